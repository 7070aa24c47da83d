/* protocol_encode.c — the outbound half of the signaling wire protocol:
 * one function per server → client message, each returning compact JSON.
 *
 * Arguments come from the server itself (the store, the media layer, text
 * already validated by sig_message_parse), so a NULL where the wire needs a
 * string, or text that is not UTF-8, is a server bug: it is reported with
 * g_critical/g_warning and the encoder returns NULL instead of putting
 * something half-formed on the wire. Optional human-facing text
 * (display_name) may be NULL and is then sent as JSON null.
 */
#define G_LOG_DOMAIN "th-signaling"

#include "signaling/signaling.h"

#include <stdlib.h>
#include <jansson.h>

/* Serializes and releases `obj`; the result is g_malloc'ed so callers can
 * use g_free as with every other string of the module. */
static char *
finish (json_t *obj, const json_error_t *jerr)
{
  char *text;
  char *copy;

  if (obj == NULL) {
    /* jansson's message names the offending format position, never
       * more than the server's own data. */
    g_warning ("signaling: cannot encode message: %s", jerr->text);
    return NULL;
  }
  text = json_dumps (obj, JSON_COMPACT);
  json_decref (obj);
  if (text == NULL) {
    g_warning ("signaling: cannot serialize message");
    return NULL;
  }
  copy = g_strdup (text);
  free (text);
  return copy;
}

/* ISO 8601 UTC with milliseconds, e.g. "2026-11-27T12:00:00.000Z", the
 * form JavaScript's Date parses and produces itself. */
static char *
format_time (gint64 unix_ms)
{
  /* Floor division so that times before 1970 still get a 0..999 ms part. */
  gint64 secs = unix_ms / 1000;
  gint64 ms = unix_ms % 1000;
  GDateTime *dt;
  char *base;
  char *text;

  if (ms < 0) {
    ms += 1000;
    secs -= 1;
  }
  dt = g_date_time_new_from_unix_utc (secs);
  if (dt == NULL) {
    /* Outside GDateTime's years 1..9999: a bogus clock, not worth
       * failing the whole message for. */
    g_warning ("signaling: timestamp %" G_GINT64_FORMAT " ms out of range", unix_ms);
    return g_strdup ("1970-01-01T00:00:00.000Z");
  }
  base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  text = g_strdup_printf ("%s.%03dZ", base, (int) ms);
  g_free (base);
  g_date_time_unref (dt);
  return text;
}

char *
sig_encode_error (SigErrorCode code, const char *message)
{
  json_error_t jerr;

  /* A message is optional for callers; the client always gets one. */
  if (message == NULL)
    message = sig_error_code_name (code);
  return finish (json_pack_ex (&jerr, 0, "{s:s, s:s, s:s}", "type", "error", "code",
                               sig_error_code_name (code), "message", message),
                 &jerr);
}

char *
sig_encode_welcome (const char *visit, SigRole role, const char *participant,
                    const char *display_name, const char *patient_display_name, const char *state)
{
  json_error_t jerr;

  g_return_val_if_fail (visit != NULL, NULL);
  g_return_val_if_fail (participant != NULL, NULL);
  g_return_val_if_fail (state != NULL, NULL);

  return finish (json_pack_ex (&jerr, 0, "{s:s, s:i, s:s, s:s, s:s, s:s?, s:s?, s:s}", "type",
                               "welcome", "protocol", SIG_PROTOCOL_VERSION, "visit", visit, "role",
                               sig_role_name (role), "participant", participant, "display_name",
                               display_name, "patient_display_name", patient_display_name, "state",
                               state),
                 &jerr);
}

char *
sig_encode_waiting (const SigWaitingEntry *entries, guint n_entries)
{
  json_error_t jerr;
  json_t *list;

  g_return_val_if_fail (entries != NULL || n_entries == 0, NULL);

  list = json_array ();
  for (guint i = 0; i < n_entries; i++) {
    const SigWaitingEntry *e = &entries[i];
    char *since;
    json_t *item;

    if (e->participant == NULL) {
      json_decref (list);
      g_return_val_if_reached (NULL);
    }

    since = format_time (e->since_unix_ms);
    item = json_pack_ex (&jerr, 0, "{s:s, s:s?, s:s, s:s}", "participant", e->participant,
                         "display_name", e->display_name, "role", sig_role_name (e->role), "since",
                         since);
    g_free (since);
    if (item == NULL) {
      json_decref (list);
      return finish (NULL, &jerr);
    }
    json_array_append_new (list, item);
  }
  /* "o" steals the reference to `list`, also when packing fails. */
  return finish (json_pack_ex (&jerr, 0, "{s:s, s:o}", "type", "waiting", "participants", list),
                 &jerr);
}

char *
sig_encode_visit_state (const char *state)
{
  json_error_t jerr;

  g_return_val_if_fail (state != NULL, NULL);
  return finish (json_pack_ex (&jerr, 0, "{s:s, s:s}", "type", "visit-state", "state", state),
                 &jerr);
}

char *
sig_encode_offer (const char *sdp)
{
  json_error_t jerr;

  g_return_val_if_fail (sdp != NULL, NULL);
  return finish (json_pack_ex (&jerr, 0, "{s:s, s:s}", "type", "offer", "sdp", sdp), &jerr);
}

char *
sig_encode_ice (const char *candidate, guint mline)
{
  json_error_t jerr;

  /* "" is meaningful (end of candidates); NULL is not. */
  g_return_val_if_fail (candidate != NULL, NULL);
  return finish (json_pack_ex (&jerr, 0, "{s:s, s:s, s:I}", "type", "ice", "candidate", candidate,
                               "sdpMLineIndex", (json_int_t) mline),
                 &jerr);
}

char *
sig_encode_peer_state (const char *participant, const char *display_name, SigRole role,
                       const char *state)
{
  json_error_t jerr;

  g_return_val_if_fail (participant != NULL, NULL);
  g_return_val_if_fail (state != NULL, NULL);
  return finish (json_pack_ex (&jerr, 0, "{s:s, s:s, s:s?, s:s, s:s}", "type", "peer-state",
                               "participant", participant, "display_name", display_name, "role",
                               sig_role_name (role), "state", state),
                 &jerr);
}

char *
sig_encode_connect_trouble (const char *participant, const char *display_name, SigRole role,
                            gboolean trouble)
{
  json_error_t jerr;

  g_return_val_if_fail (participant != NULL, NULL);
  return finish (json_pack_ex (&jerr, 0, "{s:s, s:s, s:s?, s:s, s:b}", "type", "connect-trouble",
                               "participant", participant, "display_name", display_name, "role",
                               sig_role_name (role), "trouble", trouble),
                 &jerr);
}

char *
sig_encode_chat (const char *from, const char *display_name, const char *text, gint64 at_unix_ms)
{
  json_error_t jerr;
  char *at;
  char *result;

  g_return_val_if_fail (from != NULL, NULL);
  g_return_val_if_fail (text != NULL, NULL);

  at = format_time (at_unix_ms);
  result = finish (json_pack_ex (&jerr, 0, "{s:s, s:s, s:s?, s:s, s:s}", "type", "chat", "from",
                                 from, "display_name", display_name, "text", text, "at", at),
                   &jerr);
  g_free (at);
  return result;
}

char *
sig_encode_media_state (const char *participant, const char *display_name, SigRole role,
                        gboolean audio, gboolean video)
{
  json_error_t jerr;

  g_return_val_if_fail (participant != NULL, NULL);
  return finish (json_pack_ex (&jerr, 0, "{s:s, s:s, s:s?, s:s, s:b, s:b}", "type", "media-state",
                               "participant", participant, "display_name", display_name, "role",
                               sig_role_name (role), "audio", audio, "video", video),
                 &jerr);
}

char *
sig_encode_modality (const char *modality, const char *by, const char *display_name)
{
  json_error_t jerr;

  g_return_val_if_fail (modality != NULL, NULL);
  return finish (json_pack_ex (&jerr, 0, "{s:s, s:s, s:s?, s:s?}", "type", "modality", "modality",
                               modality, "by", by, "display_name", by ? display_name : NULL),
                 &jerr);
}

char *
sig_encode_queue (guint position, gboolean provider_present)
{
  json_error_t jerr;

  return finish (json_pack_ex (&jerr, 0, "{s:s, s:I, s:b}", "type", "queue", "position",
                               (json_int_t) position, "provider_present", provider_present),
                 &jerr);
}

char *
sig_encode_quality (gdouble loss_pct, gdouble rtt_ms, gboolean have_rtt, gdouble rx_kbps)
{
  json_error_t jerr;
  /* One decimal of loss, whole kbit/s and ms: more digits would be noise. */
  json_t *obj = json_pack_ex (&jerr, 0, "{s:s, s:f, s:I}", "type", "quality", "loss_pct",
                              (gdouble) (gint64) (MAX (loss_pct, 0) * 10.0 + 0.5) / 10.0, "rx_kbps",
                              (json_int_t) (MAX (rx_kbps, 0) + 0.5));

  if (obj && have_rtt)
    json_object_set_new (obj, "rtt_ms", json_integer ((json_int_t) (MAX (rtt_ms, 0) + 0.5)));
  return finish (obj, &jerr);
}

char *
sig_encode_streams (const SigStreamEntry *entries, guint n_entries)
{
  json_error_t jerr;
  json_t *list;

  g_return_val_if_fail (entries != NULL || n_entries == 0, NULL);

  list = json_array ();
  for (guint i = 0; i < n_entries; i++) {
    const SigStreamEntry *e = &entries[i];
    json_t *item;

    if (e->mid == NULL || e->kind == NULL || e->content == NULL || e->participant == NULL) {
      json_decref (list);
      g_return_val_if_reached (NULL);
    }
    item = json_pack_ex (&jerr, 0, "{s:s, s:I, s:s, s:s, s:s, s:s?, s:s}", "mid", e->mid, "mline",
                         (json_int_t) e->mline, "kind", e->kind, "content", e->content,
                         "participant", e->participant, "display_name", e->display_name, "role",
                         sig_role_name (e->role));
    if (item == NULL) {
      json_decref (list);
      return finish (NULL, &jerr);
    }
    json_array_append_new (list, item);
  }
  /* "o" steals the reference to `list`, also when packing fails. */
  return finish (json_pack_ex (&jerr, 0, "{s:s, s:o}", "type", "streams", "streams", list), &jerr);
}

char *
sig_encode_bye (const char *reason)
{
  json_error_t jerr;

  g_return_val_if_fail (reason != NULL, NULL);
  return finish (json_pack_ex (&jerr, 0, "{s:s, s:s}", "type", "bye", "reason", reason), &jerr);
}

char *
sig_encode_redirect (const char *url, const char *token)
{
  json_error_t jerr;

  g_return_val_if_fail (url != NULL, NULL);
  if (token)
    return finish (json_pack_ex (&jerr, 0, "{s:s, s:s, s:s}", "type", "redirect", "url", url,
                                 "token", token),
                   &jerr);
  return finish (json_pack_ex (&jerr, 0, "{s:s, s:s}", "type", "redirect", "url", url), &jerr);
}

char *
sig_encode_nodes (const char *const *urls)
{
  json_t *list = json_array ();
  json_error_t jerr;

  for (guint i = 0; urls && urls[i]; i++)
    json_array_append_new (list, json_string (urls[i]));
  return finish (json_pack_ex (&jerr, 0, "{s:s, s:o}", "type", "nodes", "urls", list), &jerr);
}

char *
sig_encode_record_changed (const char *what)
{
  /* The parts of the record another page can change; a table, so the wire
   * never carries anything else. */
  static const char *const parts[] = { "checkin", "orders", NULL };
  json_error_t jerr;

  if (what == NULL || !g_strv_contains (parts, what)) {
    g_critical ("signaling: record-changed for an unknown part");
    return NULL;
  }
  return finish (json_pack_ex (&jerr, 0, "{s:s, s:s}", "type", "record-changed", "what", what),
                 &jerr);
}
