/* notify.h — invitations and reminders to patients (issue 13): the
 * outbox's sender, the messages it makes, and the calendar invitation.
 *
 * A change of a visit (booked, moved, cancelled) queues its messages as
 * rows of the store's outbox (store.h, "outbox") in one transaction: an
 * email to the patient's address when [mail] host is set, a text message
 * to their mobile phone when [sms] url is set, and the reminders at
 * [notify] reminders before the start. The sender, a timer on the GLib main
 * loop, takes the due rows one at a time: it claims the row (committed),
 * makes the message then — a fresh join link minted for the patient, the
 * visit's time as it is now, in the patient's time zone — and hands the
 * network call (libcurl: SMTP, or the SMS webhook's HTTPS POST) to a worker
 * thread (GTask), so the loop never waits on a mail server. The result is
 * written back on the main loop: sent, or pending again with backoff (1, 5,
 * 15, 60, 240 minutes ...), or failed after [notify] max_attempts (staff may
 * retry).
 *
 * What a restart guarantees: nothing queued is lost (the rows are in the
 * store before the booking is answered); a message is sent at least once,
 * and twice only when the server died between the network call and writing
 * its result (the row is still "sending" at the next start and goes again,
 * with the same Message-ID, or the same "id" for the SMS gateway, so the
 * repeat can be recognised). A clean stop (SIGTERM) waits for the send in
 * flight, so it never causes a repeat.
 *
 * Nothing clinical goes in a message: the clinic's name, the provider's
 * name, the time, the link, the clinic's phone. Used from the main thread. */
#pragma once

#include <glib.h>

#include "server/config.h"
#include "server/store/store.h"

G_BEGIN_DECLS

typedef struct _Notify Notify;

typedef enum {
  NOTIFY_BOOKED,    /* an invitation (METHOD:REQUEST, SEQUENCE 0) and the reminders */
  NOTIFY_MOVED,     /* an update (REQUEST, SEQUENCE + 1); the reminders follow the new time */
  NOTIFY_CANCELLED, /* a cancellation (METHOD:CANCEL, SEQUENCE + 1); no reminder goes */
} NotifyChange;

/* The sender for `store` with the settings of `config` (both outlive it);
 * links start with `base_url`. Sends nothing until notify_start. */
Notify *notify_new (Store *store, const ThConfig *config, const char *base_url);
/* The store's workers the sender's reads and writes run on (key "outbox"),
 * set before notify_start; the pool must stay until notify_stop returns.
 * Without one, they run on the main thread with `store`. */
struct _ThStorePool;
void notify_set_pool (Notify *notify, struct _ThStorePool *pool);
/* Messages left "sending" by a crash go again; the timer is armed. */
gboolean notify_start (Notify *notify, GError **error);
/* No more sends; waits (at most the transfer timeout) for the one in
 * flight and writes its result. */
void notify_stop (Notify *notify);
void notify_free (Notify *notify);

/* Queues what `change` of the visit means for the patient (see above), in
 * one transaction, and wakes the sender. *queued (may be NULL) gets the
 * number of messages queued now, reminders included: 0 when the patient has
 * no address for any channel that is set up. */
gboolean notify_visit_changed (Notify *notify, const char *visit_id, NotifyChange change,
                               guint *queued, GError **error);
/* notify_visit_changed's rows, on `store` with the settings of `config`,
 * without waking the sender (for a store worker: the caller wakes it from
 * the main loop, th_app_notify_kick). */
gboolean notify_queue_visit_changed (Store *store, const ThConfig *config, const char *visit_id,
                                     NotifyChange change, guint *queued, GError **error);
/* A pending or failed message goes again now (STORE_ERROR_INVALID for one
 * sent, being sent or withdrawn). */
gboolean notify_retry (Notify *notify, const char *message_id, GError **error);
/* Wakes the sender (a message may be due). */
void notify_kick (Notify *notify);

/* Whether any channel is set up ([mail] host or [sms] url). */
gboolean notify_configured (const Notify *notify);
gboolean notify_config_configured (const ThConfig *config);

/* How long the calendar invitation says the visit lasts: the visit's
 * length (DTEND = DTSTART + it). */
guint notify_visit_length_minutes (const StoreVisit *visit);

/* One message as it would go now (what the sender sends; the tests read
 * it). Making it mints a fresh join link (a store write). */
typedef struct {
  char *channel;    /* "email" | "sms" */
  char *to;         /* the address or number */
  char *subject;    /* email */
  char *text;       /* the email's text, or the SMS */
  char *ics;        /* email: the calendar invitation (text/calendar), else NULL */
  char *method;     /* "REQUEST" | "CANCEL" (email) */
  char *message_id; /* "<outbox id@clinic host>": the same on every attempt */
} NotifyMessage;

void notify_message_clear (NotifyMessage *m);
gboolean notify_compose (Notify *notify, const StoreOutboxMessage *row, NotifyMessage *out,
                         GError **error);

G_END_DECLS
