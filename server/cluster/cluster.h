/* cluster.h — this node among the telehealthd nodes sharing one PostgreSQL
 * (issue 18). Only with [store] backend = postgresql; on sqlite one
 * machine is one node and none of this runs.
 *
 * Each visit's media is relayed by one node: the one holding its lease
 * (store-cluster.h). The lease is claimed inside the hello's authorize job
 * on a store worker, so a hello reaching a node that does not host the
 * visit is answered with redirect {url} to the node that does, not with a
 * welcome. A heartbeat (a store job every third of [cluster]
 * lease_seconds) says this node is alive, renews its leases, and lets go of
 * those whose visits no longer have a room here. A node whose heartbeats
 * stop going through lets go of its rooms before its leases expire
 * (fencing). A graceful stop lets go
 * of every lease at once, so the pages, told to reconnect, are taken in by
 * another node without waiting for the leases to expire. */
#pragma once

#include "server/app.h"

G_BEGIN_DECLS

typedef struct _ThCluster ThCluster;

/* Joins the cluster: says this node is starting (its row, its base URL:
 * [cluster] public_base_url, else app->base_url), lets go of leases an
 * earlier run of this node left, and starts the heartbeat. Needs app->pool
 * and app->hub. NULL with no error on sqlite. */
ThCluster *th_cluster_start (ThApp *app, GError **error);
/* Lets go of every lease this node holds now (a graceful stop); the
 * heartbeat stops. Main thread. */
void th_cluster_stop (ThCluster *cluster);
void th_cluster_free (ThCluster *cluster);

/* On a store worker, inside the hello's check, after the identity was
 * found (TRUE): takes the visit's lease for this node, or fills
 * identity->redirect_url with the holder's base URL. `by_session`: the
 * participant is known by a staff cookie of this node's origin, which the
 * other node cannot see; it then gets identity->redirect_token, a join
 * link for its participant valid a few minutes (sent in the redirect
 * message, never in a URL). FALSE on a store failure. Does nothing on
 * sqlite. */
gboolean th_cluster_claim (Store *store, const ThConfig *config, SigIdentity *identity,
                           gboolean by_session, GError **error);
/* Main thread: FALSE while this node may not host a visit: no heartbeat
 * of its own went through for nearly a lease, so another node may take
 * its visits (cluster.c, fencing). TRUE on sqlite (cluster NULL). */
gboolean th_cluster_may_host (const ThCluster *cluster);
/* Main thread: this node took the visit's lease just now (a hello's job
 * did), so the next heartbeat keeps it even if its room is not made yet. */
void th_cluster_claimed (ThCluster *cluster, const char *visit_id);

G_END_DECLS
