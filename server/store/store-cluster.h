/* store-cluster.h — part of the store's face: the nodes that serve one
 * PostgreSQL and the lease each visit's host holds (issue 18, migration 27).
 * On sqlite the tables exist and stay unused: one machine is one node.
 *
 * Every time here is the database's clock (PostgreSQL's clock_timestamp(),
 * sqlite's 'now'), never the node's: nodes drift, and in the tests they
 * share a faked clock (TELEHEALTHD_TEST_NOW). Node ids and base URLs are
 * configuration, not patient data: they may be logged. Other parts include
 * server/store/store.h, which includes this file. */
#pragma once

#if !defined(TH_STORE_H_INSIDE)
#error "include server/store/store.h, not store-cluster.h"
#endif

/* Says this node is alive: upserts its row (id, base URL, heartbeat; and
 * its start time when `starting`) and extends every lease it holds to
 * `lease_seconds` from now, in one transaction. */
gboolean store_node_heartbeat (Store *store, const char *node_id, const char *base_url,
                               guint lease_seconds, gboolean starting, GError **error);

/* Takes the visit's lease for `node_id` (which must have heartbeaten) when
 * it is free, expired, held by a dead node (no heartbeat for
 * `lease_seconds`) or already ours — one statement, so two nodes claiming
 * at once cannot both win. TRUE with *holder_url NULL: ours now. TRUE with
 * *holder_url set: another live node holds it, and this is its base URL. */
gboolean store_lease_claim (Store *store, const char *visit_id, const char *node_id,
                            guint lease_seconds, char **holder_url, GError **error);
/* Gives up the visit's lease if `node_id` holds it (no error otherwise). */
gboolean store_lease_release (Store *store, const char *visit_id, const char *node_id,
                              GError **error);
/* Gives up every lease `node_id` holds (a graceful stop, a restart);
 * *released (may be NULL) gets how many. */
gboolean store_lease_release_all (Store *store, const char *node_id, guint *released,
                                  GError **error);
/* The base URLs of the nodes that heartbeat within `lease_seconds`, by
 * node id; NULL on a failure. */
GPtrArray *store_nodes_live (Store *store, guint lease_seconds, GError **error);
/* The visits whose lease `node_id` holds now (expired or not), by id. */
GPtrArray *store_leases_held (Store *store, const char *node_id, GError **error);
/* Whether a node with this id beat within `seconds` (*seen), e.g. another
 * live node configured with the same id. */
gboolean store_node_seen (Store *store, const char *node_id, guint seconds, gboolean *seen,
                          GError **error);
