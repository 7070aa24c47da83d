/* store-day.h — part of the store's face: the clinic's day around the
 * visits (issue 13): the messages to patients (outbox), care teams and the
 * next follow-up. Other parts include server/store/store.h, which includes
 * this file where these declarations belong; it is not a face of its own. */
#pragma once

#if !defined(TH_STORE_H_INSIDE)
#error "include server/store/store.h, not store-day.h"
#endif

/* ------------------------------------------------------------ outbox */
/* outbox.c (issue 13): every message to a patient is a row before it is
 * sent (migration 15). The store keeps who, which channel and kind, when it
 * is due, its attempts and state; never the body or the link (the sender,
 * server/notify, makes both when it sends). States: pending (waits for
 * next_attempt_at), sending (claimed: the network call is under way),
 * sent, failed (gave up after the configured attempts; staff may retry),
 * withdrawn (must not go any more; last_error says why). */

typedef struct {
  const char *channel;    /* "email" | "sms" */
  const char *kind;       /* "invitation" | "update" | "cancellation" | "reminder" */
  const char *recipient;  /* an email address or an E.164 number */
  guint reminder_minutes; /* a reminder: how long before the start; else 0 */
  gint64 due_at_ms;       /* when it is to go */
} StoreOutboxNew;

typedef struct {
  char *id;
  char *visit_id;   /* NULL for a diary reminder (kind "diary-reminder") */
  char *patient_id; /* a diary reminder's patient; NULL on a visit's message */
  char *channel;
  char *kind;
  char *recipient;
  guint reminder_minutes;
  gint64 created_at_ms;
  gint64 due_at_ms;
  gint64 next_attempt_at_ms;
  guint attempts;
  gint64 sent_at_ms; /* 0 until sent */
  char *last_error;  /* in words, for staff; NULL when none */
  char *state;       /* pending | sending | sent | failed | withdrawn */
} StoreOutboxMessage;

void store_outbox_message_clear (StoreOutboxMessage *m);
void store_outbox_message_free (gpointer m);

/* One change of a visit, in one transaction: the visit's calendar SEQUENCE
 * (created at 0 when it has none; raised by one when `raise_sequence`), its
 * cancelled mark set when `cancelled`, every pending or failed invitation,
 * update and reminder of the visit withdrawn with `withdraw_reason` (when
 * not NULL), then the `n_rows` new messages. *sequence (may be NULL) gets
 * the visit's SEQUENCE. NOT_FOUND without such a visit. */
gboolean store_outbox_visit_changed (Store *store, const char *visit_id, gboolean raise_sequence,
                                     gboolean cancelled, const char *withdraw_reason,
                                     const StoreOutboxNew *rows, guint n_rows, guint *sequence,
                                     GError **error);
/* The visit's SEQUENCE and cancelled mark (0 and FALSE when no message was
 * ever queued for it). */
gboolean store_visit_notify_get (Store *store, const char *visit_id, guint *sequence,
                                 gboolean *cancelled, GError **error);
gboolean store_outbox_get (Store *store, const char *message_id, StoreOutboxMessage *out,
                           GError **error);
/* The visit's messages, oldest first (StoreOutboxMessage*). */
GPtrArray *store_outbox_list_visit (Store *store, const char *visit_id, GError **error);
/* Pending messages with next_attempt_at <= now_ms, the earliest first, at
 * most `limit`. */
GPtrArray *store_outbox_due (Store *store, gint64 now_ms, guint limit, GError **error);
/* The earliest next_attempt_at of a pending message; 0 when none. */
/* Messages not yet sent nor given up (pending, or being sent now). */
gboolean store_outbox_waiting (Store *store, guint64 *n, GError **error);
gboolean store_outbox_next_due (Store *store, gint64 *at_ms, GError **error);
/* Claims a pending message for sending (state sending, attempts + 1),
 * committed before the network call. *claimed is FALSE (nothing written)
 * when it is no longer pending. */
gboolean store_outbox_claim (Store *store, const char *message_id, gint64 now_ms, gboolean *claimed,
                             GError **error);
/* After the network call: sent (when `error_text` is NULL), or pending
 * again at next_attempt_ms with the error, or failed when `give_up`. */
gboolean store_outbox_finish (Store *store, const char *message_id, gint64 now_ms,
                              const char *error_text, gint64 next_attempt_ms, gboolean give_up,
                              GError **error);
/* A pending, sending or failed message that must not go: withdrawn with
 * `reason`. */
gboolean store_outbox_withdraw (Store *store, const char *message_id, const char *reason,
                                GError **error);
/* At start: messages left "sending" by a crash go again (pending, now);
 * *n (may be NULL) gets how many. */
gboolean store_outbox_recover (Store *store, gint64 now_ms, guint *n, GError **error);
/* Staff asked for a pending or failed message to go now; INVALID (nothing
 * written) for one sent, being sent or withdrawn. */
gboolean store_outbox_retry (Store *store, const char *message_id, gint64 now_ms, GError **error);
/* ------------------------------------------------------------ care team */
/* care_team.c: the clinicians who share a patient's record (migration 15). */

typedef struct {
  char *staff_id;
  char *display_name;
  char *role;
  gint64 added_at_ms;
  char *added_by;      /* staff id */
  char *added_by_name; /* NULL when that account is gone */
} StoreCareTeamMember;
void store_care_team_member_free (StoreCareTeamMember *m);

/* The patient's care team, first added first; NOT_FOUND when no such
 * patient. */
GPtrArray *store_care_team_list (Store *store, const char *patient_id, GError **error);
/* Adds `staff_id` to the patient's care team; *added is FALSE when they
 * were on it already (nothing written). NOT_FOUND (no such patient or staff
 * member), INVALID "not a clinician" (the front desk, or a role that does
 * not treat) or "account disabled". */
gboolean store_care_team_add (Store *store, const char *patient_id, const char *staff_id,
                              const char *added_by, gboolean *added, GError **error);
/* NOT_FOUND when `staff_id` is not on the patient's care team. */
gboolean store_care_team_remove (Store *store, const char *patient_id, const char *staff_id,
                                 GError **error);

/* How a staff member is related to a patient, each independently. */
typedef struct {
  gboolean created;    /* made the patient's record (details only, not the clinical record) */
  gboolean had_visit;  /* is the provider of one of the patient's visits */
  gboolean care_team;  /* is on the patient's care team */
  gboolean supervises; /* supervises a PA who is the provider of one of the patient's visits */
} StorePatientRelation;
/* NOT_FOUND when no such patient. */
gboolean store_patient_relation (Store *store, const char *patient_id, const char *staff_id,
                                 StorePatientRelation *out, GError **error);
/* The visits in [from_ms, to_ms) of the PAs this psychiatrist supervises,
 * by scheduled time. */
GPtrArray *store_list_supervised_visits (Store *store, const char *supervisor_id, gint64 from_ms,
                                         gint64 to_ms, GError **error);
/* ------------------------------------------------------------ follow-ups */
/* followups.c: the next follow-up of a visit that ended (issue 13). The
 * rules that suggest it are records.h's; dates are the clinic's calendar
 * dates, "YYYY-MM-DD". */

typedef struct {
  char *visit_id;      /* the visit that ended */
  char *rule;          /* the rule's code (follow_up_rule_code) */
  guint suggested_weeks;
  char *reason;        /* the suggestion in words */
  guint weeks;         /* the interval chosen; 0: none chosen (or a date was) */
  char *due_date;      /* the follow-up is due by this date */
  char *next_visit_id; /* the visit booked for it; NULL: none */
} StoreFollowUp;

void store_follow_up_clear (StoreFollowUp *f);
/* Records the suggestion for an ended visit unless one is recorded
 * already (a booking made first wins): *recorded tells which. */
gboolean store_follow_up_suggest (Store *store, const StoreFollowUp *f, gboolean *recorded,
                                  GError **error);
/* The visit's follow-up; NOT_FOUND when none is recorded. */
gboolean store_get_follow_up (Store *store, const char *visit_id, StoreFollowUp *out,
                              GError **error);

/* Books the next visit (as store_book_visit) and records it on the ended
 * visit's follow-up (f: its suggestion, the chosen weeks, the due date) in
 * one transaction: all of it or nothing. */
gboolean store_book_follow_up (Store *store, const StoreFollowUp *f, const char *decided_by,
                               const StoreVisitBooking *booking, StoreBookedVisit *out,
                               GError **error);

/* The patient's next visit after `after_ms` still to come (scheduled or
 * waiting), other than `except_id`; NOT_FOUND when none is booked. */
gboolean store_next_visit (Store *store, const char *patient_id, const char *except_id,
                           gint64 after_ms, StoreVisit *out, GError **error);

/* A patient whose last visit ended (or was missed) with nothing booked
 * after it: "who is overdue" reads these and decides. */
typedef struct {
  StoreVisit last;        /* the patient's last visit that ended or was missed */
  gint64 ended_at_ms;     /* when it reached its state */
  gboolean no_show;       /* its state is no_show */
  gboolean has_follow_up; /* a follow-up row exists (the fields below) */
  StoreFollowUp follow_up;
} StoreFollowUpDue;

void store_follow_up_due_free (StoreFollowUpDue *d);
/* Patients of `provider_id` (the provider of their last visit; NULL:
 * every provider) whose last visit ended or was a no-show and who have no
 * visit scheduled, waiting or in progress from then on. Oldest due first is
 * the caller's to sort. */
GPtrArray *store_list_follow_ups_due (Store *store, const char *provider_id, GError **error);
