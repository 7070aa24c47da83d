/* cluster.c — this node among those sharing one PostgreSQL (cluster.h).
 *
 * Leases are renewed by the heartbeat, not per visit: one job every third
 * of a lease extends all of this node's leases at once. The same job lets
 * go of the leases of visits that have no room here any more (ended, or
 * everyone gone past the reconnect grace), and of nothing it was just
 * given: a hello's claim comes before its room exists, so visits claimed
 * within the last lease are kept too (`claimed`), and a lease is let go
 * only when its visit had no room at two beats in a row (`orphans`): a
 * claim whose hello was still on a worker at one beat's look is known by
 * the next.
 *
 * Fencing. Another node may take a visit once this node's heartbeat is a
 * lease old in the database, whatever this node believes. So a node whose
 * heartbeats stop reaching the database (lost, or too slow to answer) must
 * stop hosting before that: a lease after the start of its last heartbeat
 * that went through, less a margin, it lets go of every room it hosts (the
 * participants are told to reconnect; another node, or this one once the
 * database answers again, takes them in) and hosts nothing new until a
 * heartbeat goes through again. (A node that is the only one seen in the
 * last day keeps its rooms: nobody else could take them, and the visits'
 * media needs no database.) The heartbeats run on a connection of their
 * own, so a queue of the clinic's work never delays them. */
#define G_LOG_DOMAIN "th-cluster"

#include "server/cluster/cluster.h"

#include "server/http/http.h"
#include "server/metrics/metrics.h"
#include "server/storepool/storepool.h"

/* The nodes a page may be redirected to: those seen within a day (a page
 * loaded now may live that long; a node started later is reached after a
 * reload or through the entry node). */
#define PEERS_SEEN_S (24 * 60 * 60)

/* A staff member redirected to another node gets a join link for their
 * participant valid this long: enough to open the socket there; a later
 * drop goes back through the entry node, which hands out a fresh one. */
#define REDIRECT_TOKEN_MS (2 * 60 * 1000)

/* Fencing's margin before the lease would expire: a second, or a quarter
 * of a short lease (the timer's own delay on a busy loop). */
#define FENCE_MARGIN_MS(lease_ms) MIN (1000, (lease_ms) / 4)

struct _ThCluster {
  ThApp *app;
  char *node_id;
  char *base_url;
  guint lease_s;
  guint timer;
  ThStorePool *beats; /* one worker, one connection: the heartbeats' own */
  gboolean beating;   /* a heartbeat job is out */
  gint64 beat_ok_us;  /* monotonic start of the last heartbeat that went through */
  guint fence_timer;  /* fires when beat_ok_us is nearly a lease old */
  gboolean fenced;    /* the rooms were let go; nothing hosted until a beat goes through */
  gboolean stopped;
  GHashTable *claimed; /* visit id → monotonic µs of the claim (main thread) */
  guint n_peers;       /* the nodes seen in the last day, this one included, at the last beat */
  GPtrArray *orphans;  /* leases held at the last beat whose visit had no room here */
};

typedef struct {
  ThCluster *cluster; /* NULL once freed meanwhile: never the case, the pool drains first */
  char *node_id, *base_url;
  guint lease_s;
  gint64 began_us;    /* monotonic, on the worker, before the heartbeat */
  gint64 began_real;  /* the same moment on the wall clock (the metrics) */
  gboolean ok;        /* the heartbeat went through */
  GPtrArray *keep;    /* visit ids this node still hosts */
  GPtrArray *release; /* visit ids to let go of: orphans at two beats in a row */
  GPtrArray *held;    /* what this node held after the beat (back to the loop) */
  guint released;
  GPtrArray *peers; /* the nodes' base URLs, for the pages' CSP */
} Beat;

static gboolean
kept (const GPtrArray *keep, const char *visit_id)
{
  for (guint i = 0; i < keep->len; i++)
    if (g_strcmp0 (keep->pdata[i], visit_id) == 0)
      return TRUE;
  return FALSE;
}

/* The address in front of the nodes ([server] public_base_url, the load
 * balancer's) serves pages too, which a redirect sends to a node: they
 * are ours as much as the nodes' own. */
static void
add_front_door (ThCluster *c, GPtrArray *peers)
{
  if (c->app->base_url && !kept (peers, c->app->base_url))
    g_ptr_array_add (peers, g_strdup (c->app->base_url));
}

/* On a store worker. */
static void
beat_run (Store *store, gpointer data)
{
  Beat *b = data;
  g_autoptr (GError) error = NULL;

  /* Before the statement: the database's heartbeat time is later still. */
  b->began_us = g_get_monotonic_time ();
  b->began_real = g_get_real_time ();
  if (!store_node_heartbeat (store, b->node_id, b->base_url, b->lease_s, FALSE, &error)) {
    g_warning ("cluster: heartbeat failed: %s", error->message);
    return;
  }
  b->ok = TRUE;
  for (guint i = 0; i < b->release->len; i++) {
    if (!store_lease_release (store, b->release->pdata[i], b->node_id, &error)) {
      g_warning ("cluster: a lease was not let go: %s", error->message);
      return;
    }
    b->released++;
  }
  b->held = store_leases_held (store, b->node_id, NULL);
  b->peers = store_nodes_live (store, PEERS_SEEN_S, NULL);
}

static gboolean on_fence (gpointer data);

/* A heartbeat went through, begun at `began_us`: this node may host until
 * nearly a lease after it. */
static void
beat_went_through (ThCluster *c, gint64 began_us)
{
  gint64 lease_ms = (gint64) c->lease_s * 1000;
  gint64 until_us = began_us + (lease_ms - FENCE_MARGIN_MS (lease_ms)) * 1000;
  gint64 now = g_get_monotonic_time ();

  if (began_us <= c->beat_ok_us)
    return;
  c->beat_ok_us = began_us;
  if (c->fenced) {
    c->fenced = FALSE;
    g_message ("cluster: the database answers this node's heartbeat again: it hosts visits again");
  }
  g_clear_handle_id (&c->fence_timer, g_source_remove);
  if (!c->stopped)
    c->fence_timer = g_timeout_add (until_us > now ? (guint) ((until_us - now) / 1000) : 0,
                                    on_fence, c);
}

/* No heartbeat went through for nearly a lease: let go of every room
 * before another node may take its visit (see the top of this file). */
static gboolean
on_fence (gpointer data)
{
  ThCluster *c = data;
  g_autoptr (GPtrArray) ids = sig_hub_visit_ids (c->app->hub);
  guint told = 0;

  c->fence_timer = 0;
  c->fenced = TRUE;
  /* The only node of the day: no other takes a lease over, and one that
   * starts needs the database this node cannot reach. The visits go on
   * (their media needs no database); nothing new is hosted meanwhile. */
  if (c->n_peers <= 1) {
    g_warning ("cluster: no heartbeat of this node reached the database for %" G_GINT64_FORMAT
               " ms: no other node was seen in the last day, so the %u visits hosted here go "
               "on; none is taken in until the database answers again",
               (g_get_monotonic_time () - c->beat_ok_us) / 1000, ids->len);
    return G_SOURCE_REMOVE;
  }
  th_metrics_inc (TH_M_CLUSTER_FENCES);
  for (guint i = 0; i < ids->len; i++)
    told += sig_hub_release_visit (c->app->hub, ids->pdata[i], "shutdown");
  /* What hellos claimed is void too: their rooms are not made here now. */
  g_hash_table_remove_all (c->claimed);
  g_warning ("cluster: no heartbeat of this node reached the database for %" G_GINT64_FORMAT
             " ms (its leases are %u s): it lets go of the %u visits it hosted (%u participants "
             "told to reconnect) and hosts none until the database answers again",
             (g_get_monotonic_time () - c->beat_ok_us) / 1000, c->lease_s, ids->len, told);
  return G_SOURCE_REMOVE;
}

gboolean
th_cluster_may_host (const ThCluster *cluster)
{
  gint64 lease_ms;

  if (!cluster)
    return TRUE;
  lease_ms = (gint64) cluster->lease_s * 1000;
  return !cluster->fenced && g_get_monotonic_time () - cluster->beat_ok_us <
                               (lease_ms - FENCE_MARGIN_MS (lease_ms)) * 1000;
}

static void
beat_done (gpointer data, const GError *error)
{
  Beat *b = data;

  if (error)
    g_warning ("cluster: heartbeat not run: %s", error->message);
  if (!error && b->ok) {
    beat_went_through (b->cluster, b->began_us);
    th_metric_set (th_metrics_series (th_metrics (), TH_M_CLUSTER_HEARTBEAT, NULL),
                   (double) b->began_real / G_USEC_PER_SEC);
  } else {
    th_metrics_inc (TH_M_CLUSTER_HEARTBEAT_FAILURES);
  }
  if (b->held)
    th_metric_set (th_metrics_series (th_metrics (), TH_M_CLUSTER_LEASES, NULL), b->held->len);
  if (b->released)
    g_debug ("cluster: let go of %u visits no longer hosted here", b->released);
  b->cluster->beating = FALSE;
  /* Held now with no room at this beat's look: let go at the next beat if
   * still without one. */
  g_ptr_array_set_size (b->cluster->orphans, 0);
  for (guint i = 0; b->held && i < b->held->len; i++)
    if (!kept (b->keep, b->held->pdata[i]))
      g_ptr_array_add (b->cluster->orphans, g_strdup (b->held->pdata[i]));
  g_clear_pointer (&b->held, g_ptr_array_unref);
  if (b->peers) {
    if (b->peers->len != b->cluster->n_peers)
      g_message ("cluster: %u nodes known", b->peers->len);
    b->cluster->n_peers = b->peers->len;
    add_front_door (b->cluster, b->peers);
    th_http_set_peer_nodes (b->peers);
  }
  g_clear_pointer (&b->peers, g_ptr_array_unref);
  g_ptr_array_unref (b->keep);
  g_ptr_array_unref (b->release);
  g_free (b->node_id);
  g_free (b->base_url);
  g_free (b);
}

static gboolean
on_beat (gpointer data)
{
  ThCluster *c = data;
  GHashTableIter iter;
  gpointer key, value;
  gint64 now = g_get_monotonic_time ();
  Beat *b;

  if (c->stopped)
    return G_SOURCE_CONTINUE;
  if (c->beating) /* a slow database: one beat at a time */
    return G_SOURCE_CONTINUE;
  b = g_new0 (Beat, 1);
  b->cluster = c;
  b->node_id = g_strdup (c->node_id);
  b->base_url = g_strdup (c->base_url);
  b->lease_s = c->lease_s;
  b->keep = sig_hub_visit_ids (c->app->hub);
  g_hash_table_iter_init (&iter, c->claimed);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    if (now - *(gint64 *) value > (gint64) c->lease_s * G_USEC_PER_SEC) {
      g_hash_table_iter_remove (&iter);
      continue;
    }
    g_ptr_array_add (b->keep, g_strdup (key));
  }
  b->release = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < c->orphans->len; i++)
    if (!kept (b->keep, c->orphans->pdata[i]))
      g_ptr_array_add (b->release, g_strdup (c->orphans->pdata[i]));
  c->beating = TRUE;
  th_store_pool_run (c->beats, NULL, beat_run, beat_done, b);
  return G_SOURCE_CONTINUE;
}

ThCluster *
th_cluster_start (ThApp *app, GError **error)
{
  const ThConfig *config = app->config;
  ThCluster *c;
  guint released = 0;
  gint64 began_us;

  if (!config->store_postgresql)
    return NULL;
  c = g_new0 (ThCluster, 1);
  c->app = app;
  c->node_id = g_strdup (config->cluster_node_id);
  c->base_url = g_strdup (config->cluster_base_url ? config->cluster_base_url : app->base_url);
  c->lease_s = config->cluster_lease_s;
  c->claimed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c->orphans = g_ptr_array_new_with_free_func (g_free);
  /* Two live nodes under one id would take each other's leases for their
   * own. (A restart soon after a crash looks the same: only said.) */
  {
    gboolean seen = FALSE;
    if (store_node_seen (app->store, c->node_id, c->lease_s, &seen, NULL) && seen)
      g_message ("cluster: a node with id %s beat less than %u s ago: if it is not this "
                 "node's earlier run, give each node its own [cluster] node_id",
                 c->node_id, c->lease_s);
  }
  /* On the main thread, once, before any hello: this node's row must exist
   * before it claims, and whatever an earlier run of it held is not hosted
   * by this one. */
  began_us = g_get_monotonic_time ();
  if (!store_node_heartbeat (app->store, c->node_id, c->base_url, c->lease_s, TRUE, error) ||
      !store_lease_release_all (app->store, c->node_id, &released, error)) {
    g_prefix_error (error, "cluster: ");
    th_cluster_free (c);
    return NULL;
  }
  {
    g_autoptr (GPtrArray) peers = store_nodes_live (app->store, PEERS_SEEN_S, NULL);
    if (peers) {
      c->n_peers = peers->len;
      add_front_door (c, peers);
      th_http_set_peer_nodes (peers);
    }
  }
  g_message ("cluster: node %s at %s, leases of %u s%s", c->node_id, c->base_url, c->lease_s,
             released ? " (an earlier run's leases let go)" : "");
  /* A beat's statements wait no longer than a third of a lease for a lock
   * (the next beat is due then). */
  c->beats = th_store_pool_new (app->store, 1, MAX (c->lease_s * 1000 / 3, 500));
  beat_went_through (c, began_us);
  th_metric_set (th_metrics_series (th_metrics (), TH_M_CLUSTER_HEARTBEAT, NULL),
                 (double) (g_get_real_time () - (g_get_monotonic_time () - began_us)) /
                   G_USEC_PER_SEC);
  c->timer = g_timeout_add (MAX (c->lease_s * 1000 / 3, 500), on_beat, c);
  return c;
}

void
th_cluster_stop (ThCluster *cluster)
{
  g_autoptr (GError) error = NULL;
  guint released = 0;

  if (!cluster || cluster->stopped)
    return;
  cluster->stopped = TRUE;
  g_clear_handle_id (&cluster->timer, g_source_remove);
  g_clear_handle_id (&cluster->fence_timer, g_source_remove);
  /* On the main thread: the process is stopping, nothing else waits. */
  if (!store_lease_release_all (cluster->app->store, cluster->node_id, &released, &error))
    g_warning ("cluster: leases not let go (they expire in %u s): %s", cluster->lease_s,
               error->message);
  else
    g_message ("cluster: let go of %u visits for the other nodes", released);
}

void
th_cluster_free (ThCluster *cluster)
{
  if (!cluster)
    return;
  g_clear_handle_id (&cluster->timer, g_source_remove);
  /* Its last beat's answer comes back first (beat_done uses the cluster). */
  g_clear_pointer (&cluster->beats, th_store_pool_free);
  g_clear_handle_id (&cluster->fence_timer, g_source_remove);
  g_hash_table_unref (cluster->claimed);
  g_ptr_array_unref (cluster->orphans);
  g_free (cluster->node_id);
  g_free (cluster->base_url);
  g_free (cluster);
}

void
th_cluster_claimed (ThCluster *cluster, const char *visit_id)
{
  gint64 *at;

  if (!cluster || !visit_id)
    return;
  at = g_new (gint64, 1);
  *at = g_get_monotonic_time ();
  g_hash_table_replace (cluster->claimed, g_strdup (visit_id), at);
}

gboolean
th_cluster_claim (Store *store, const ThConfig *config, SigIdentity *identity, gboolean by_session,
                  GError **error)
{
  g_autofree char *holder = NULL;
  gint64 now;

  if (!config->store_postgresql)
    return TRUE;
  if (!store_lease_claim (store, identity->visit_id, config->cluster_node_id,
                          config->cluster_lease_s, &holder, error))
    return FALSE;
  if (!holder) {
    /* Hosted here. Where the page may go if this node goes away: */
    g_autoptr (GPtrArray) live = store_nodes_live (store, config->cluster_lease_s, NULL);
    if (live) {
      g_ptr_array_add (live, NULL);
      identity->nodes = g_strdupv ((char **) live->pdata);
    }
    return TRUE;
  }
  if (by_session) {
    now = store_now_ms ();
    identity->redirect_token = store_issue_join_token (store, identity->participant_id,
                                                       now - 60 * 1000, now + REDIRECT_TOKEN_MS,
                                                       error);
    if (!identity->redirect_token)
      return FALSE;
  }
  identity->redirect_url = g_steal_pointer (&holder);
  return TRUE;
}
