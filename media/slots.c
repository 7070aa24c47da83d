/* slots.c — who each client sees where: the remote slots of every leg, the
 * screen share, and the streams_changed reports to the owner.
 *
 * A leg's client receives K remote slots (media.h). When a participant's
 * microphone or camera first reaches the relay, that participant takes a
 * slot on every other leg: the one it had there before if it is free (a
 * participant who reconnects comes back on the same m-lines, so the page's
 * tile stays where it was), else the lowest free one. It keeps the slot
 * until its leg goes. Both its audio and its video use that slot's m-lines.
 *
 * The screen m-line (m2 down) of every other leg carries the screen share of
 * a leg that may share (the room allows it for the provider) while packets
 * keep coming: a browser that stops sharing (replaceTrack(null)) just stops
 * sending, so a share that stays quiet for SCREEN_QUIET_MS has ended.
 *
 * Everything here runs on the visit's main context.
 */
#include "media/media-private.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (media_slots_debug);
#define GST_CAT_DEFAULT media_slots_debug

/* Chrome's screen capture sends at least about one frame a second even
 * when nothing moves (it repeats the last frame for the encoder), so a
 * share quiet this long has stopped. */
#define SCREEN_QUIET_MS 2500
#define SCREEN_CHECK_MS 500

static void
init_debug (void)
{
  if (media_slots_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (media_slots_debug, "mediaslots", 0, "telehealth media slots");
}

static gchar *
memory_key (MediaLeg *viewer, MediaLeg *source)
{
  return g_strdup_printf ("%s\n%s", viewer->participant, source->participant);
}

static gint
slot_of (MediaVisit *visit, MediaLeg *viewer, MediaLeg *source)
{
  for (guint s = 0; s < visit->remote_slots; s++)
    if (viewer->slot[s] == source)
      return (gint) s;
  return -1;
}

static void
assign_one (MediaVisit *visit, MediaLeg *viewer, MediaLeg *source)
{
  gchar *key = memory_key (viewer, source);
  gint want = -1;
  gint remembered = GPOINTER_TO_INT (g_hash_table_lookup (visit->slot_memory, key)) - 1;
  if (remembered >= 0 && (guint) remembered < visit->remote_slots &&
      viewer->slot[remembered] == NULL)
    want = remembered;
  for (guint s = 0; want < 0 && s < visit->remote_slots; s++)
    if (viewer->slot[s] == NULL)
      want = (gint) s;
  if (want < 0) {
    /* More participants than the layout has slots: the room's participant
     * limit should have kept this from happening. */
    GST_WARNING ("leg %s: no free slot for %s", viewer->participant, source->participant);
    g_free (key);
    return;
  }
  GST_INFO ("leg %s: slot %d is %s", viewer->participant, want, source->participant);
  viewer->slot[want] = source;
  g_hash_table_replace (visit->slot_memory, key, GINT_TO_POINTER (want + 1));
}

static gboolean
can_share (MediaLeg *leg)
{
  return !leg->closed && leg->may_share && leg->receiving[MEDIA_SOURCE_SCREEN] && leg->screen_on;
}

void
media_slots_assign (MediaVisit *visit)
{
  init_debug ();
  /* Sources in join order, so that on every leg the earlier participants
   * tend to have the lower slots. */
  for (GList *v = visit->legs; v != NULL; v = v->next) {
    MediaLeg *viewer = v->data;
    if (viewer->closed)
      continue;
    for (GList *s = visit->legs; s != NULL; s = s->next) {
      MediaLeg *source = s->data;
      if (source == viewer || source->closed ||
          (!source->receiving[MEDIA_SOURCE_MIC] && !source->receiving[MEDIA_SOURCE_CAMERA]))
        continue;
      if (slot_of (visit, viewer, source) < 0)
        assign_one (visit, viewer, source);
    }
  }
  /* One screen at a time: a share in progress keeps the m-line. */
  if (visit->screen != NULL && !can_share (visit->screen))
    visit->screen = NULL;
  for (GList *l = visit->legs; visit->screen == NULL && l != NULL; l = l->next)
    if (can_share (l->data))
      visit->screen = l->data;
}

void
media_slots_release (MediaVisit *visit, MediaLeg *leg)
{
  for (GList *v = visit->legs; v != NULL; v = v->next) {
    MediaLeg *viewer = v->data;
    for (guint s = 0; s < MEDIA_MAX_REMOTE_SLOTS; s++)
      if (viewer->slot[s] == leg)
        viewer->slot[s] = NULL;
  }
  memset (leg->slot, 0, sizeof leg->slot);
  if (visit->screen == leg)
    visit->screen = NULL;
}

MediaLeg *
media_slots_wanted (MediaVisit *visit, MediaLeg *dst, guint mline, MediaSourceKind *kind)
{
  MediaMline m;
  media_layout_mline (mline, &m);
  MediaLeg *src = m.slot < 0 ? visit->screen : dst->slot[m.slot];
  if (src == NULL || src == dst || src->closed || !src->receiving[m.source])
    return NULL;
  *kind = m.source;
  return src;
}

void
media_slots_relink (MediaVisit *visit, MediaRelinkFunc func)
{
  media_slots_assign (visit);
  for (GList *d = visit->legs; d != NULL; d = d->next) {
    MediaLeg *dst = d->data;
    if (dst->closed || dst->state != MEDIA_LEG_CONNECTED)
      continue;
    for (guint m = 0; m < dst->n_mlines; m++) {
      MediaSourceKind kind = MEDIA_SOURCE_MIC;
      MediaLeg *src = media_slots_wanted (visit, dst, m, &kind);
      MediaRelay *r = &dst->relay_in[m];
      if (r->source == src && (src == NULL || r->kind == kind))
        continue;
      GST_INFO ("relay m-line %u of %s: %s %s", m, dst->participant,
                src ? src->participant : "nobody", src ? media_source_name (kind) : "");
      func (visit, dst, m, src, kind);
    }
  }
  media_slots_schedule_report (visit);
}

/* ---- reports ---- */

static void
stream_clear (gpointer p)
{
  MediaStream *s = p;
  g_free ((gchar *) s->mid);
  g_free ((gchar *) s->participant);
}

static GArray *
streams_now (MediaLeg *leg)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (MediaStream));
  g_array_set_clear_func (out, stream_clear);
  for (guint m = 0; m < leg->n_mlines && m < MEDIA_MAX_MLINES; m++) {
    MediaSourceKind kind;
    MediaLeg *src = media_slots_wanted (leg->visit, leg, m, &kind);
    if (src == NULL)
      continue;
    MediaStream s = {
      .mline = m,
      .mid = g_strdup (leg->mid[m] ? leg->mid[m] : ""),
      .kind = kind == MEDIA_SOURCE_MIC ? "audio" : "video",
      .content = kind == MEDIA_SOURCE_SCREEN ? MEDIA_CONTENT_SCREEN : MEDIA_CONTENT_CAMERA,
      .participant = g_strdup (src->participant),
    };
    g_array_append_val (out, s);
  }
  return out;
}

static gboolean
streams_equal (GArray *a, GArray *b)
{
  if (a == NULL || b == NULL || a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++) {
    MediaStream *x = &g_array_index (a, MediaStream, i), *y = &g_array_index (b, MediaStream, i);
    if (x->mline != y->mline || x->content != y->content || strcmp (x->kind, y->kind) != 0 ||
        strcmp (x->participant, y->participant) != 0 || strcmp (x->mid, y->mid) != 0)
      return FALSE;
  }
  return TRUE;
}

void
media_slots_report (MediaLeg *leg, gboolean force)
{
  leg->report_pending = FALSE;
  if (leg->closed || leg->visit == NULL || !leg->offered)
    return;
  GArray *now = streams_now (leg);
  if (!force && streams_equal (now, leg->reported)) {
    g_array_unref (now);
    return;
  }
  if (leg->reported != NULL)
    g_array_unref (leg->reported);
  leg->reported = now;
  if (leg->callbacks.streams_changed == NULL)
    return;
  /* The owner may remove this leg from inside the callback. */
  media_leg_ref (leg);
  g_array_ref (now);
  leg->callbacks.streams_changed (leg, (const MediaStream *) (void *) now->data, now->len,
                                  leg->user_data);
  g_array_unref (now);
  media_leg_unref (leg);
}

static gboolean
report_all (gpointer data)
{
  MediaVisit *visit = data;
  g_source_unref (visit->report_source);
  visit->report_source = NULL;
  /* A copy: a callback may remove legs. */
  GList *legs = g_list_copy_deep (visit->legs, (GCopyFunc) (void (*) (void)) media_leg_ref, NULL);
  for (GList *l = legs; l != NULL; l = l->next)
    media_slots_report (l->data, FALSE);
  g_list_free_full (legs, (GDestroyNotify) media_leg_unref);
  return G_SOURCE_REMOVE;
}

/* Later, never inline: this runs from inside media_visit_remove_leg and
 * friends, and the owner's callback must not re-enter the owner's own call. */
void
media_slots_schedule_report (MediaVisit *visit)
{
  if (visit->report_source != NULL)
    return;
  visit->report_source = g_idle_source_new ();
  g_source_set_callback (visit->report_source, report_all, visit, NULL);
  g_source_set_static_name (visit->report_source, "media-streams-report");
  g_source_attach (visit->report_source, visit->context);
}

/* ---- screen shares going quiet ---- */

static gboolean
screen_check (gpointer data)
{
  MediaVisit *visit = data;
  gint64 now = g_get_monotonic_time ();
  gboolean changed = FALSE, any = FALSE;
  for (GList *l = visit->legs; l != NULL; l = l->next) {
    MediaLeg *leg = l->data;
    if (leg->closed || !leg->receiving[MEDIA_SOURCE_SCREEN])
      continue;
    any = TRUE;
    gint64 last = atomic_load (&leg->screen_last_us);
    gboolean on = last != 0 && now - last < SCREEN_QUIET_MS * 1000;
    if (!on)
      atomic_store (&leg->screen_flowing, 0); /* the next packet says so at once */
    if (on != leg->screen_on) {
      GST_INFO ("leg %s: screen share %s", leg->participant, on ? "on" : "off");
      leg->screen_on = on;
      changed = TRUE;
    }
  }
  if (changed)
    media_visit_update_links (visit);
  if (any)
    return G_SOURCE_CONTINUE;
  g_source_unref (visit->screen_check);
  visit->screen_check = NULL;
  return G_SOURCE_REMOVE;
}

void
media_slots_watch_screens (MediaVisit *visit)
{
  if (visit->screen_check != NULL)
    return;
  visit->screen_check = g_timeout_source_new (SCREEN_CHECK_MS);
  g_source_set_callback (visit->screen_check, screen_check, visit, NULL);
  g_source_set_static_name (visit->screen_check, "media-screen-check");
  g_source_attach (visit->screen_check, visit->context);
}
