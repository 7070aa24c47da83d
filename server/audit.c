/* audit.c — the audit log's one writer (see audit.h). */
#define G_LOG_DOMAIN "th-audit"

#include "server/audit.h"

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
