/* lean_visit.c — the lean engine's visit, on the main context: legs in and
 * out, and which leg feeds which m-line (the slots of slots.c, shared with
 * the webrtcbin engine) handed to the visit's worker.
 *
 * The main context keeps its own view of the routes in MediaLeg.relay_in
 * (source and kind only), so that it posts a route to the worker only when
 * one changed; the worker's view (LeanOut.src) follows in posting order.
 */
#include "media/lean-private.h"

GST_DEBUG_CATEGORY_EXTERN (media_leg_debug);
#define GST_CAT_DEFAULT media_leg_debug

gboolean
lean_visit_init (MediaVisit *visit, GError **error)
{
  /* The certificate is made once per process; failing here tells the
   * visit's owner now rather than at the first participant. */
  if (lean_dtls_local_fingerprint (error) == NULL)
    return FALSE;
  visit->lean = g_new0 (LeanVisit, 1);
  visit->lean->worker = lean_worker_pick ();
  return TRUE;
}

MediaLeg *
lean_visit_add_leg (MediaVisit *visit, const char *participant_id,
                    const MediaLegCallbacks *callbacks, gpointer user_data, GError **error)
{
  MediaLeg *leg = media_leg_alloc (visit, participant_id, callbacks, user_data);
  if (!lean_leg_start (leg, error)) {
    media_leg_mark_closed (leg);
    media_leg_unref (leg);
    return NULL;
  }
  visit->legs = g_list_append (visit->legs, leg); /* the visit owns the first ref */
  media_slots_assign (visit);
  return leg;
}

/* ---- routes ---- */

typedef struct {
  guint mline;
  LeanLeg *src; /* ref or NULL */
  MediaSourceKind kind;
} RouteMsg;

static void
route_msg_free (gpointer data)
{
  RouteMsg *r = data;
  g_clear_pointer (&r->src, lean_leg_unref);
  g_free (r);
}

static void
do_route (LeanLeg *dst, gpointer data)
{
  RouteMsg *r = data;
  lean_path_set_route (dst, r->mline, r->src != NULL && !r->src->closed ? r->src : NULL, r->kind);
}

static void
post_route (MediaLeg *dst, guint mline, MediaLeg *src, MediaSourceKind kind)
{
  RouteMsg *r = g_new0 (RouteMsg, 1);
  r->mline = mline;
  r->src = src != NULL ? lean_leg_ref (src->lean) : NULL;
  r->kind = kind;
  lean_leg_post (dst->lean, do_route, r, route_msg_free);
}

/* The main context's view first (what relay_in says feeds the m-line),
 * then the worker's. */
static void
relink (MediaVisit *visit, MediaLeg *dst, guint mline, MediaLeg *src, MediaSourceKind kind)
{
  (void) visit;
  MediaRelay *r = &dst->relay_in[mline];
  g_clear_pointer (&r->source, media_leg_unref);
  if (src != NULL) {
    r->source = media_leg_ref (src);
    r->kind = kind;
  }
  post_route (dst, mline, src, kind);
}

void
lean_visit_update_links (MediaVisit *visit)
{
  media_slots_relink (visit, relink);
}

/* ---- legs out ---- */

/* Worker: closes the legs the main context names (LeanLeg refs). A leg
 * whose start has not run yet is closed all the same: its start is then
 * skipped (lean_leg_post). */
static gboolean
do_close (gpointer data)
{
  GPtrArray *legs = data;
  for (guint i = 0; i < legs->len; i++)
    lean_leg_close (g_ptr_array_index (legs, i));
  return G_SOURCE_REMOVE;
}

static void
close_on_worker (MediaVisit *visit, GList *legs)
{
  GPtrArray *leans = g_ptr_array_new_with_free_func ((GDestroyNotify) lean_leg_unref);
  for (GList *l = legs; l != NULL; l = l->next)
    if (((MediaLeg *) l->data)->lean != NULL)
      g_ptr_array_add (leans, lean_leg_ref (((MediaLeg *) l->data)->lean));
  lean_worker_run_sync (visit->lean->worker, do_close, leans);
  g_ptr_array_unref (leans);
}

/* Main-context view: what fed the leg and what it fed. */
static void
forget_relays (MediaVisit *visit, MediaLeg *leg)
{
  for (guint m = 0; m < MEDIA_MAX_MLINES; m++)
    g_clear_pointer (&leg->relay_in[m].source, media_leg_unref);
  for (GList *l = visit->legs; l != NULL; l = l->next) {
    MediaLeg *other = l->data;
    for (guint m = 0; m < MEDIA_MAX_MLINES; m++)
      if (other->relay_in[m].source == leg)
        g_clear_pointer (&other->relay_in[m].source, media_leg_unref);
  }
}

void
lean_visit_remove_leg (MediaVisit *visit, MediaLeg *leg)
{
  media_leg_mark_closed (leg);
  forget_relays (visit, leg);
  media_slots_release (visit, leg);
  visit->legs = g_list_remove (visit->legs, leg);
  /* Synchronous: when this returns, the worker has closed the agent and cut
   * every route from this leg, so no packet or callback of it comes later. */
  GList one = { leg, NULL, NULL };
  close_on_worker (visit, &one);
  media_leg_unref (leg);
  media_visit_update_links (visit);
}

void
lean_visit_free (MediaVisit *visit)
{
  if (visit->lean == NULL)
    return;
  for (GList *l = visit->legs; l != NULL; l = l->next)
    media_leg_mark_closed (l->data);
  for (GList *l = visit->legs; l != NULL; l = l->next)
    forget_relays (visit, l->data);
  close_on_worker (visit, visit->legs);
  for (GList *l = visit->legs; l != NULL; l = l->next)
    memset (((MediaLeg *) l->data)->slot, 0, sizeof ((MediaLeg *) l->data)->slot);
  g_list_free_full (g_steal_pointer (&visit->legs), (GDestroyNotify) media_leg_unref);
  g_warn_if_fail (visit->lean->legs == NULL);
  g_main_context_unref (visit->lean->worker);
  g_clear_pointer (&visit->lean, g_free);
}
