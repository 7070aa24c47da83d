/* store-diary.h — part of the store's face: the patient's between-visit
 * diary (issue 14, migration 19): diary links, a day's entry with the
 * safety signals it raises, the daily reminder. Other parts include
 * server/store/store.h, which includes this file; it is not a face of its
 * own. */
#pragma once

#if !defined(TH_STORE_H_INSIDE)
#error "include server/store/store.h, not store-diary.h"
#endif

/* ------------------------------------------------------------ links */
/* A diary link is a secret of its own (as a join token: 32 random bytes,
 * base64url, stored as SHA-256, compared in constant time), long-lived,
 * ended only by staff revoking every live link of the patient. */

/* A new link for the patient (staff_id: who made it; NULL when minted for
 * a message). Returns the token text, once. NOT_FOUND without the patient. */
char *store_diary_link_create (Store *store, const char *patient_id, const char *staff_id,
                               GError **error);
/* A fresh link for a message, only while staff have the diary turned on
 * (the patient has a live link): NULL without an error otherwise. */
char *store_diary_link_mint_if_live (Store *store, const char *patient_id, GError **error);
/* Revokes every live link of the patient; *n (may be NULL) gets how many. */
gboolean store_diary_links_revoke (Store *store, const char *patient_id, const char *staff_id,
                                   guint *n, GError **error);
/* Whether the patient has a live link, and since when the newest one. */
gboolean store_diary_link_status (Store *store, const char *patient_id, gboolean *live,
                                  gint64 *since_ms, GError **error);
/* The link and patient of a presented token: NOT_FOUND for an unknown one,
 * EXPIRED for a revoked one. */
gboolean store_diary_link_resolve (Store *store, const char *token, char **link_id,
                                   char **patient_id, GError **error);

/* ------------------------------------------------------------ entries */

/* One current order as the entry records it and the rules read it. */
typedef struct {
  const char *order_id;
  const char *drug;        /* the ingredient, for the alert's sentence */
  guint missed_alert_days; /* config/diary.json; 0: none */
  const char *missed_risk;
  gboolean logged; /* the patient said something of its doses */
  guint taken;
  guint missed;
  const char *reason; /* forgot | side-effect | ran-out | chose-not-to | NULL */
} StoreDiaryOrder;

/* A home reading (observation kinds with `home`, records.h). */
typedef struct {
  const char *kind;
  const char *loinc;
  const char *unit;
  double value;
  gboolean has_value2;
  double value2;
  /* Read against the monitoring table (config/monitoring.json) by the
   * caller: FHIR's interpretation code, and the safety alert a value past a
   * threshold raises (rule and sentence; NULL when none). */
  const char *interpretation;
  const char *alert_rule;
  const char *alert_summary;
} StoreDiaryReading;

typedef struct {
  const char *patient_id;
  const char *link_id;
  const char *day;    /* "YYYY-MM-DD", checked by the caller against the patient's today */
  gint64 day_noon_ms; /* the readings' effective time: noon of `day` in the patient's zone,
                       * or now when `day` is today */
  gint item9;         /* 0..3, -1 when not answered */
  const char *note;   /* NULL when none */
  const StoreDiaryOrder *orders;
  guint n_orders;
  const DiaryRating *ratings; /* records.h: order index, effect code, severity */
  guint n_ratings;
  const StoreDiaryReading *readings;
  guint n_readings;
} StoreDiaryEntryNew;

typedef struct {
  char *entry_id;
  guint alerts_raised;  /* new alerts (a re-saved day raises none twice) */
  gboolean crisis;      /* a signal the patient sees the crisis text for */
  gboolean task_opened; /* an item-9 safety task was opened */
} StoreDiarySaved;

void store_diary_saved_clear (StoreDiarySaved *s);

/* Appends the entry, its doses, ratings and readings, and raises its
 * safety signals (records.h diary_signals) in one transaction: an alert is
 * written with its entry or not at all. */
gboolean store_diary_entry_save (Store *store, const StoreDiaryEntryNew *entry, gint64 now_ms,
                                 StoreDiarySaved *out, GError **error);

/* A day's record as read back: the newest entry of the day. */
typedef struct {
  char *order_id;
  guint taken;
  guint missed;
  char *reason;
} StoreDiaryDoseRow;

typedef struct {
  char *order_id;
  char *effect;
  guint severity;
} StoreDiaryEffectRow;

typedef struct {
  char *kind;
  double value;
  gboolean has_value2;
  double value2;
  char *unit;
} StoreDiaryReadingRow;

typedef struct {
  char *rule;
  char *summary;
  char *order_id;
  gint64 raised_at_ms;
  gboolean acknowledged;
} StoreDiaryAlertRow;

typedef struct {
  char *entry_id;
  char *day;
  gint64 made_at_ms;
  gint item9; /* -1: not answered */
  char *note;
  GArray *doses;    /* StoreDiaryDoseRow */
  GArray *effects;  /* StoreDiaryEffectRow */
  GArray *readings; /* StoreDiaryReadingRow */
  GArray *alerts;   /* StoreDiaryAlertRow, the alerts raised by this day's entries */
} StoreDiaryDay;

void store_diary_day_free (gpointer day);
/* The record of each day in [from_day, to_day] with an entry, newest day
 * first (StoreDiaryDay *). */
GPtrArray *store_diary_days (Store *store, const char *patient_id, const char *from_day,
                             const char *to_day, GError **error);

/* ------------------------------------------------------------ reminder */

/* hour 0..23 in the patient's zone and channel "email" | "sms"; hour -1
 * turns the reminder off. */
gboolean store_diary_reminder_set (Store *store, const char *patient_id, gint hour,
                                   const char *channel, gint64 now_ms, GError **error);
/* *hour -1 when none; *channel NULL then. */
gboolean store_diary_reminder_get (Store *store, const char *patient_id, gint *hour, char **channel,
                                   GError **error);
/* Queues in the outbox ("diary-reminder", no visit) the reminder of every
 * patient whose hour it is now in their zone (`clinic_zone` when they have
 * none), not yet sent today, with a live diary link and an address for
 * the channel, if that channel is set up (email_on, sms_on); marks the day
 * sent in the same transaction. *queued (may be NULL) gets how many. */
gboolean store_diary_reminders_queue (Store *store, gint64 now_ms, GTimeZone *clinic_zone,
                                      gboolean email_on, gboolean sms_on, guint *queued,
                                      GError **error);
