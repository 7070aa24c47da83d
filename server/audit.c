/* audit.c — the audit log's one writer (see audit.h). */
#define G_LOG_DOMAIN "th-audit"

#include "server/audit.h"
#include "server/storepool/storepool.h"

void
th_audit (ThApp *app, const char *address, const char *actor, const char *action,
          const char *target, json_t *detail)
{
  g_autoptr (GError) error = NULL;
  char *text;

  /* Where it came from goes into the hashed detail. */
  if (!detail)
    detail = json_object ();
  if (detail && address && address[0])
    json_object_set_new (detail, "from", json_string (address));
  text = detail ? json_dumps (detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  /* An event without its detail still belongs in the chain; say so in the
   * log, where the gap would otherwise go unseen. */
  if (!text)
    g_warning ("audit event %s: its detail could not be built; recorded without it", action);
  if (!store_audit_append (app->store, actor ? actor : "anonymous", action, target,
                           text ? text : "{}", &error))
    g_warning ("audit event %s not recorded: %s", action, error->message);
  free (text);
  json_decref (detail);
}

typedef struct {
  char *address, *actor, *action, *target;
  json_t *detail;
} QueuedAudit;

/* On a store worker: th_audit with that worker's connection. */
static void
queued_audit_run (Store *store, gpointer data)
{
  QueuedAudit *a = data;
  ThApp app = { .store = store };

  th_audit (&app, a->address, a->actor, a->action, a->target, g_steal_pointer (&a->detail));
}

static void
queued_audit_done (gpointer data, const GError *error)
{
  QueuedAudit *a = data;

  if (error)
    g_warning ("audit event %s not recorded: %s", a->action, error->message);
  json_decref (a->detail);
  g_free (a->address);
  g_free (a->actor);
  g_free (a->action);
  g_free (a->target);
  g_free (a);
}

void
th_audit_queued (ThApp *app, const char *address, const char *actor, const char *action,
                 const char *target, json_t *detail)
{
  QueuedAudit *a;

  if (!app->pool) {
    th_audit (app, address, actor, action, target, detail);
    return;
  }
  a = g_new0 (QueuedAudit, 1);
  a->address = g_strdup (address);
  a->actor = g_strdup (actor);
  a->action = g_strdup (action);
  a->target = g_strdup (target);
  a->detail = detail;
  th_store_pool_run (app->pool, NULL, queued_audit_run, queued_audit_done, a);
}
