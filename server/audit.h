/* audit.h — the hash-chained audit log, written by the transport, the
 * signaling hooks and every REST handler (the chain itself lives in the
 * store: store_audit_append). */
#pragma once

#include <jansson.h>
#include "server/app.h"

G_BEGIN_DECLS

/* Appends one event; takes `detail` (may be NULL), to which the caller's
 * `address` is added as "from" (it is part of what is hashed). A failure is
 * logged, not returned: the action itself has been recorded. */
void th_audit (ThApp *app, const char *address, const char *actor, const char *action,
               const char *target, json_t *detail);
/* The same, written on a store worker when the app has them (the main
 * loop does not wait for the database); at once otherwise. For events the
 * main loop records as they happen (refusals), whose order among other
 * writes does not matter. */
void th_audit_queued (ThApp *app, const char *address, const char *actor, const char *action,
                      const char *target, json_t *detail);

G_END_DECLS
