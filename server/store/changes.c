/* changes.c — telling listeners that a visit changed (store.h, "Visit
 * changes"; issue 18): the provider's console on any node learns at once
 * that a patient is waiting, a visit was booked, moved or ended.
 *
 * One helper, store_visit_changed, called inside the transaction that made
 * the change. On PostgreSQL it is a pg_notify in that transaction: the
 * database delivers it at commit, to every node's listener (listen.c), and
 * drops it on rollback. On sqlite (one process) the visit is noted on the
 * connection and handed to its sink after the commit. No trigger: the
 * schema stays as the migrations have it. */
#define G_LOG_DOMAIN "th-store"

#include "server/store/store-private.h"

#include <string.h>

/* A UUID-like id: letters, digits, '-' (what visits and staff ids are). */
static gboolean
id_valid (const char *id)
{
  gsize n = id ? strlen (id) : 0;

  if (n == 0 || n > 64)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (id[i]) && id[i] != '-')
      return FALSE;
  return TRUE;
}

gboolean
store_visit_change_parse (const char *payload, char **visit_id, char **provider_id,
                          char **supervisor_id)
{
  g_auto (GStrv) ids = payload ? g_strsplit (payload, " ", 4) : NULL;
  guint n = ids ? g_strv_length (ids) : 0;

  if (n < 2 || n > 3)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (!id_valid (ids[i]))
      return FALSE;
  *visit_id = g_strdup (ids[0]);
  *provider_id = g_strdup (ids[1]);
  *supervisor_id = n == 3 ? g_strdup (ids[2]) : NULL;
  return TRUE;
}

void
store_set_change_sink (Store *store, StoreVisitChangedFunc func, gpointer user_data)
{
  g_return_if_fail (store != NULL);
  store->change_fn = func;
  store->change_data = user_data;
}

/* The payload, built by the database from the rows (the same SQL on both):
 * the visit, its provider and, for a PA, their supervising psychiatrist. */
#define PAYLOAD "v.id || ' ' || v.provider_id || COALESCE(' ' || s.supervising_psychiatrist_id, '')"
#define PAYLOAD_FROM "FROM visits v JOIN staff s ON s.id = v.provider_id WHERE v.id = ?1"

gboolean
store_visit_changed (Store *store, const char *visit_id, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean found = FALSE, ok;

  if (store->backend == STORE_BACKEND_POSTGRESQL) {
    ok = store_select_optional_row (store,
                                    "SELECT pg_notify('" STORE_VISITS_CHANNEL "', " PAYLOAD ")"
                                    " " PAYLOAD_FROM,
                                    visit_id, "notify visit change", &stmt, &found, error);
    store_stmt_free (stmt);
    return ok;
  }
  if (!store->change_fn)
    return TRUE;
  ok = store_select_optional_row (store, "SELECT " PAYLOAD " " PAYLOAD_FROM, visit_id,
                                  "read visit change", &stmt, &found, error);
  if (ok && found) {
    char *pair = g_strdup (store_col_text (stmt, 0));
    if (!store->changed)
      store->changed = g_ptr_array_new_with_free_func (g_free);
    /* Once per visit and transaction. */
    for (guint i = 0; i < store->changed->len; i++)
      if (strcmp (store->changed->pdata[i], pair) == 0)
        g_clear_pointer (&pair, g_free);
    if (pair)
      g_ptr_array_add (store->changed, pair);
  }
  store_stmt_free (stmt);
  return ok;
}

void
store_changes_committed (Store *store)
{
  g_autoptr (GPtrArray) changed = g_steal_pointer (&store->changed);

  if (!changed || !store->change_fn)
    return;
  for (guint i = 0; i < changed->len; i++) {
    g_autofree char *visit = NULL, *provider = NULL, *supervisor = NULL;
    if (store_visit_change_parse (changed->pdata[i], &visit, &provider, &supervisor))
      store->change_fn (visit, provider, supervisor, store->change_data);
  }
}

void
store_changes_dropped (Store *store)
{
  g_clear_pointer (&store->changed, g_ptr_array_unref);
}
