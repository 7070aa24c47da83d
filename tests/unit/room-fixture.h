/* room-fixture.h — what the rooms' unit tests share: a recording transport
 * (the frames a client got), hooks that record what the server would store,
 * and a hub with small limits. Tokens "patient-N", "guest-N" and
 * "provider-N" are people of visit "v1" (whose patient is "Robin
 * Guestless"); "vN-patient" is the patient of visit vN.
 *
 * Header-only (static inline), so each test program includes what it uses.
 */
#pragma once

#include "signaling/signaling.h"

#include <string.h>
#include <jansson.h>

typedef struct {
  GPtrArray *frames;    /* text frames sent, oldest first */
  gboolean closed;
  gboolean joined; /* told its hello was verified */
} FakeTransport;

typedef struct {
  SigHub *hub;
  GPtrArray *events;    /* "participant:event" */
  GPtrArray *states;    /* visit states recorded */
  GPtrArray *stored;    /* chat texts and modality switches the hooks stored */
} Fixture;

static inline void
fake_send (gpointer data, const char *text)
{
  FakeTransport *t = data;
  g_ptr_array_add (t->frames, g_strdup (text));
}

static inline void
fake_close (gpointer data)
{
  ((FakeTransport *) data)->closed = TRUE;
}

static inline void
fake_joined (gpointer data)
{
  ((FakeTransport *) data)->joined = TRUE;
}

static const SigTransport transport = { .send = fake_send, .close = fake_close,
                                        .joined = fake_joined };

static inline gboolean
authorize (const char *token, const char *visit G_GNUC_UNUSED, const char *credential G_GNUC_UNUSED,
           SigIdentity *out, SigErrorCode *code, char **message, gpointer user_data G_GNUC_UNUSED)
{
  if (!token || (!g_str_has_prefix (token, "patient-") && !g_str_has_prefix (token, "guest-") &&
                 !g_str_has_prefix (token, "provider-") && !g_str_has_suffix (token, "-patient"))) {
    *code = SIG_ERR_UNAUTHORIZED;
    *message = g_strdup ("no");
    return FALSE;
  }
  if (g_str_has_suffix (token, "-patient")) {
    out->visit_id = g_strndup (token, strlen (token) - strlen ("-patient"));
    out->patient_display_name = g_strdup (token);
  } else {
    out->visit_id = g_strdup ("v1");
    out->patient_display_name = g_strdup ("Robin Guestless");
  }
  out->participant_id = g_strdup (token);
  out->display_name = g_strdup (token);
  out->role = g_str_has_prefix (token, "guest-") ? SIG_ROLE_GUEST
            : g_str_has_prefix (token, "provider-") ? SIG_ROLE_PROVIDER
            : SIG_ROLE_PATIENT;
  out->visit_state = g_strdup ("scheduled");
  /* One provider for every visit: they share one waiting line. */
  out->provider_key = g_strdup ("dr-1");
  return TRUE;
}

static inline gboolean
state_changed (const char *visit_id G_GNUC_UNUSED, const char *state, gpointer user_data)
{
  Fixture *f = user_data;
  g_ptr_array_add (f->states, g_strdup (state));
  return TRUE;
}

static inline void
participant_event (const char *visit_id G_GNUC_UNUSED, const char *participant_id,
                   SigRole role G_GNUC_UNUSED, const char *event, const char *address G_GNUC_UNUSED,
                   gpointer user_data)
{
  Fixture *f = user_data;
  g_ptr_array_add (f->events, g_strdup_printf ("%s:%s", participant_id, event));
}

/* A text containing "FAIL" cannot be stored (a full disk, say). */
static inline gboolean
chat_hook (const char *visit_id G_GNUC_UNUSED, const char *participant_id, const char *text,
           gint64 *at_ms, gpointer user_data)
{
  Fixture *f = user_data;
  if (strstr (text, "FAIL"))
    return FALSE;
  *at_ms = G_GINT64_CONSTANT (1795780800000);
  g_ptr_array_add (f->stored, g_strdup_printf ("chat:%s:%s", participant_id, text));
  return TRUE;
}

static inline gboolean
modality_hook (const char *visit_id G_GNUC_UNUSED, const char *participant_id,
               const char *modality, gpointer user_data)
{
  Fixture *f = user_data;
  g_ptr_array_add (f->stored, g_strdup_printf ("modality:%s:%s", participant_id, modality));
  return TRUE;
}

static const SigHooks hooks = {
  .authorize = authorize,
  .visit_state_changed = state_changed,
  .participant_event = participant_event,
  .chat = chat_hook,
  .modality_changed = modality_hook,
};

static inline void
fixture_set_up (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  f->events = g_ptr_array_new_with_free_func (g_free);
  f->states = g_ptr_array_new_with_free_func (g_free);
  f->stored = g_ptr_array_new_with_free_func (g_free);
  f->hub = sig_hub_new (&hooks, f, NULL);
  sig_hub_set_limits (f->hub, &(SigLimits) { .grace_s = 1, .media_timeout_s = 0,
                                             .max_visits = 2, .max_participants = 3 });
}

static inline void
fixture_tear_down (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  sig_hub_free (f->hub);
  g_ptr_array_unref (f->events);
  g_ptr_array_unref (f->states);
  g_ptr_array_unref (f->stored);
}

static inline FakeTransport *
transport_new (void)
{
  FakeTransport *t = g_new0 (FakeTransport, 1);
  t->frames = g_ptr_array_new_with_free_func (g_free);
  return t;
}

static inline void
transport_free (FakeTransport *t)
{
  g_ptr_array_unref (t->frames);
  g_free (t);
}

static inline SigConn *
say_hello (Fixture *f, FakeTransport *t, const char *token)
{
  SigConn *conn = sig_hub_connect (f->hub, &transport, t, NULL, "127.0.0.1");
  g_autofree char *hello = g_strdup_printf ("{\"type\":\"hello\",\"token\":\"%s\"}", token);
  sig_conn_receive (conn, hello, strlen (hello), FALSE);
  return conn;
}

/* Whether the transport got a frame of `type` whose `field` equals `value`. */
static inline gboolean
got (FakeTransport *t, const char *type, const char *field, const char *value)
{
  for (guint i = 0; i < t->frames->len; i++) {
    json_t *m = json_loads (g_ptr_array_index (t->frames, i), 0, NULL);
    gboolean match = m && g_strcmp0 (json_string_value (json_object_get (m, "type")), type) == 0 &&
                     (!field || g_strcmp0 (json_string_value (json_object_get (m, field)), value) == 0);
    json_decref (m);
    if (match)
      return TRUE;
  }
  return FALSE;
}

static inline gboolean
has_event (Fixture *f, const char *event)
{
  for (guint i = 0; i < f->events->len; i++)
    if (strcmp (g_ptr_array_index (f->events, i), event) == 0)
      return TRUE;
  return FALSE;
}

static inline gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static inline void
run_loop_for (guint ms)
{
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);
  g_timeout_add (ms, quit_loop, loop);
  g_main_loop_run (loop);
  g_main_loop_unref (loop);
}

static inline void
send_text (SigConn *c, const char *text)
{
  sig_conn_receive (c, text, strlen (text), FALSE);
}

static inline guint
count_type (FakeTransport *t, const char *type)
{
  guint n = 0;
  for (guint i = 0; i < t->frames->len; i++)
    n += strstr (g_ptr_array_index (t->frames, i), type) != NULL;
  return n;
}

/* The last frame of `type` as JSON (json_decref it), or NULL. */
static inline json_t *
last_of (FakeTransport *t, const char *type)
{
  for (guint i = t->frames->len; i-- > 0;) {
    json_t *m = json_loads (g_ptr_array_index (t->frames, i), 0, NULL);
    if (m && g_strcmp0 (json_string_value (json_object_get (m, "type")), type) == 0)
      return m;
    json_decref (m);
  }
  return NULL;
}

