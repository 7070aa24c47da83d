/* api-bodies.h — the REST request bodies, decoded into C values by pure
 * functions: no store, no app, no I/O. Each decoder takes the raw body
 * (may contain NULs, may be NULL) and either fills its struct or fails with
 * a TH_BODY_ERROR whose message is what the client is told; the handler
 * answers 400 with th_body_error_code() as the code. Fuzzed by
 * tests/fuzz/fuzz_rest_bodies.c. */
#pragma once

#include <glib.h>
#include "server/records/records.h" /* AdjustmentKind */

G_BEGIN_DECLS

#define TH_BODY_ERROR (th_body_error_quark ())
GQuark th_body_error_quark (void);

typedef enum {
  TH_BODY_ERROR_BAD_JSON,  /* "bad-json": not a JSON object */
  TH_BODY_ERROR_BAD_FIELD, /* "bad-field": a field is missing, unexpected or out of range */
} ThBodyErrorCode;

/* The wire code of a TH_BODY_ERROR ("bad-json" | "bad-field"). */
const char *th_body_error_code (const GError *error);

/* For the decoders (bodies*.c): the body as a JSON object, duplicate keys
 * refused; NULL with a bad-json error ("Nothing was saved") otherwise. */
struct json_t *th_body_load_object (const char *body, gsize len, GError **error);

/* POST /api/visits {"patient_name" | "patient_id", "scheduled_at"?, "modality"?} */
typedef struct {
  char *patient_name; /* exactly one of patient_name and patient_id */
  char *patient_id;
  char *modality; /* NULL | "video" | "audio-only" */
  gboolean has_scheduled;
  gint64 scheduled_ms; /* when has_scheduled */
} ThVisitCreateBody;
gboolean th_body_visit_create (const char *body, gsize len, ThVisitCreateBody *out, GError **error);
void th_visit_create_body_clear (ThVisitCreateBody *b);

/* ---- the schedule (bodies_schedule.c). A start is the clinic's wall clock,
 * {"date": "YYYY-MM-DD", "time": "HH:MM"}, read in `zone` ([clinic]
 * time_zone). A refusal is TH_BODY_ERROR_BAD_JSON (400: not a JSON object)
 * or TH_BODY_ERROR_BAD_FIELD with *field the key at fault (422; NULL when
 * the body has a key the form never sends). */

/* Whether the body is a JSON object with the key `name` (which shape of
 * POST /api/visits it is). */
gboolean th_body_has_field (const char *body, gsize len, const char *name);
/* The instant of a local date and time in `zone`; FALSE with *problem (in
 * words) for a date that is not real, a malformed time, or a time the
 * clocks skip. */
gboolean th_local_start (GTimeZone *zone, const char *date, const char *time, gint64 *out_ms,
                         const char **problem);

/* POST /api/visits {"patient_id", "provider_id"?, "start", "length_minutes"? (5..240,
 * default 30), "type"? ("initial_evaluation" | "follow_up", default follow_up),
 * "modality"?, "confirm_double_booking"?} */
typedef struct {
  char *patient_id;
  char *provider_id; /* NULL: the caller */
  gint64 start_ms;
  guint length_minutes;
  const char *visit_type; /* static */
  char *modality;         /* NULL: video */
  gboolean confirm_double_booking;
} ThVisitBookBody;
gboolean th_body_visit_book (const char *body, gsize len, GTimeZone *zone, ThVisitBookBody *out,
                             const char **field, GError **error);
void th_visit_book_body_clear (ThVisitBookBody *b);

/* POST /api/visits/<id>/move {"start", "length_minutes"?, "confirm_double_booking"?} */
typedef struct {
  gint64 start_ms;
  guint length_minutes; /* 0: keep the visit's */
  gboolean confirm_double_booking;
} ThVisitMoveBody;
gboolean th_body_visit_move (const char *body, gsize len, GTimeZone *zone, ThVisitMoveBody *out,
                             const char **field, GError **error);

/* POST /api/visits/<id>/cancel {"reason"}: 1..500 characters, trimmed, into
 * *reason (g_free). */
gboolean th_body_visit_cancel (const char *body, gsize len, char **reason, const char **field,
                               GError **error);

/* POST /api/session {"username", "password"} */
typedef struct {
  char *username; /* as sent, 1..64 bytes of UTF-8 */
  char *password; /* at most 1024 bytes; wiped when cleared */
} ThSignInBody;
gboolean th_body_sign_in (const char *body, gsize len, ThSignInBody *out, GError **error);
void th_sign_in_body_clear (ThSignInBody *b);

/* POST /api/visits/<id>/checkin {"phq9"?, "gad7"?, "asrs_a"?, "asrs18"?,
 * "side_effects"?, "missed_doses"?: [{"order_id", "missed"}]}: each scale
 * answered is scored (scale_score). Which orders may be named, and each
 * one's cap, the route checks against the patient's current medications. */
typedef struct {
  char *name;
  guint severity; /* 0..3 */
} ThSideEffectBody;
typedef struct {
  char *order_id; /* 1..64 characters */
  guint missed;   /* 0..MISSED_DOSE_DAYS x 6; the order's own cap is checked later */
} ThMissedDoseBody;
typedef struct {
  ScaleKind kind;
  gint items[SCALE_MAX_ITEMS];
  guint n_items;
  ScaleScore score;
} ThScaleBody;
typedef struct {
  ThScaleBody scales[4]; /* in the order phq9, gad7, asrs_a, asrs18 (those answered) */
  guint n_scales;
  ThSideEffectBody *side_effects; /* n_side_effects entries (g_free) */
  guint n_side_effects;
  ThMissedDoseBody *missed_doses; /* n_missed_doses entries (g_free), distinct orders */
  guint n_missed_doses;
} ThCheckinBody;
gboolean th_body_checkin (const char *body, gsize len, ThCheckinBody *out, GError **error);
void th_checkin_body_clear (ThCheckinBody *b);

/* POST /api/visits/<id>/notes {"text"} — 1..5000 characters, not blank. */
gboolean th_body_note (const char *body, gsize len, char **text, GError **error);

/* POST /api/visits/<id>/adjustments {"kind", "order_id"?, "medication"? (a catalog
 * formulation id), "dose"?, "bedtime_dose"?, "unit"?, "frequency"?, "route"?,
 * "prn_max_per_day"?, "supply_days"?, "refills"?, "reason"} */
typedef struct {
  AdjustmentKind kind;
  char *kind_name; /* start | stop | change-dose | switch */
  char *order_id;  /* each of these NULL when absent */
  char *medication_id;
  double dose; /* 0 when absent */
  char *unit;
  char *frequency;
  char *route;
  char *reason;          /* 1..1000 characters, not blank */
  double bedtime_dose;   /* morning-and-bedtime: the bedtime amount ("dose" is the
                               morning one); 0 when absent */
  guint prn_max_per_day; /* as-needed: the most doses a day; 0 when absent */
  guint supply_days;     /* days of supply to dispense, 1..90; 0 when absent */
  guint refills;         /* 0..11 (0 when absent) */
  char *safety_confirm;  /* "safety_confirm": {"reason"}: the prescriber confirms a large
                            supply of a drug lethal in overdose while a safety task is
                            open (1..1000 characters); NULL when absent */
  char *override_reason; /* "override": {"reason"}: the prescriber overrides the major
                            findings of the safety check (records-rx.h), 1..1000
                            characters; NULL when absent */
  char *condition_id;    /* "condition_id": the patient's condition the order treats
                            (an id, 1..64 characters); NULL when absent */
  /* Issue 15, item 7 (bodies_dispense.c): "quantity" (units of the dose form,
   * above zero; must match the dose and the days' supply), "earliest_fill_date"
   * (YYYY-MM-DD), "series" (2 or 3 dates: a schedule II series, each
   * prescription's earliest fill date). */
  gboolean has_quantity;
  double quantity;
  GDate earliest_fill; /* invalid when absent */
  guint n_series;
  GDate series[3];
} ThAdjustmentBody;
/* The dispensing keys of an adjustment body (NULL when absent). */
gboolean th_body_adjustment_dispense (struct json_t *quantity, const char *earliest_fill_date,
                                      struct json_t *series, ThAdjustmentBody *out, GError **error);
#define TH_MAX_SUPPLY_DAYS 90
#define TH_MAX_REFILLS 11
gboolean th_body_adjustment (const char *body, gsize len, ThAdjustmentBody *out, GError **error);
/* POST /api/orders/<id>/cosign: an empty body, {} or {"override": {"reason"}} for
 * major findings of the safety check first seen at co-signature. *override_reason
 * gets the reason or NULL. */
gboolean th_body_cosign (const char *body, gsize len, char **override_reason, GError **error);
void th_adjustment_body_clear (ThAdjustmentBody *b);

/* POST /api/orders/<id>/entered-in-error and /decline {"reason"} — 1..1000 characters. */
gboolean th_body_reason (const char *body, gsize len, char **reason, GError **error);

/* POST /api/visits/<id>/guests {"display_name"} — 1..100 characters. */
gboolean th_body_guest (const char *body, gsize len, char **display_name, GError **error);

/* POST /api/patients/<id>/care-team {"staff_id"}: a staff id (1..64
 * characters); whether it names a clinician is the store's to say. */
gboolean th_body_care_team (const char *body, gsize len, char **staff_id, GError **error);
/* POST /api/patients/<id>/in-person-evaluation {"date": "YYYY-MM-DD", "performed_by"?} */
/* {"version": 1..64 characters, "decision": "accepted" | "declined"} */
typedef struct {
  char *version;
  gboolean accepted;
} ThConsentBody;
gboolean th_body_consent (const char *body, gsize len, ThConsentBody *out, GError **error);
void th_consent_body_clear (ThConsentBody *b);

typedef struct {
  char date[11];          /* as sent: YYYY-MM-DD */
  GDate day;              /* that calendar date (no time of day, no zone) */
  char performed_by[801]; /* "performed_by": a clinician's name or a staff id, 1..200
                             characters; "" when absent */
} ThEvaluationBody;
gboolean th_body_in_person_evaluation (const char *body, gsize len, ThEvaluationBody *out,
                                       GError **error);
/* "performed_by" of an in-person evaluation (bodies_dispense.c). */
gboolean th_body_evaluation_by (const char *performed_by, ThEvaluationBody *out, GError **error);

/* GET, POST /api/patients/<id>/pharmacy {"name", "address", "phone", "ncpdp_id"?}
 * (bodies_dispense.c): the patient's preferred pharmacy. */
typedef struct {
  char *name;     /* 1..200 */
  char *address;  /* 1..500 */
  char *phone;    /* 1..40: digits, spaces, + ( ) - . */
  char *ncpdp_id; /* 7 digits, NULL when absent */
} ThPharmacyBody;
gboolean th_body_pharmacy (const char *body, gsize len, ThPharmacyBody *out, GError **error);
void th_pharmacy_body_clear (ThPharmacyBody *b);

/* POST /api/patients/<id>/pdmp-checks {"state"?, "result", "checked_at"?}: a
 * check of the prescription drug monitoring program. state: a USPS code
 * (absent: the patient's); result: what was found, 1..2000 characters;
 * checked_at: an instant with an offset (absent: now). */
typedef struct {
  char state[3]; /* "" when absent */
  char *result;
  gboolean has_checked_at;
  gint64 checked_at_ms;
} ThPdmpBody;
gboolean th_body_pdmp_check (const char *body, gsize len, ThPdmpBody *out, GError **error);
void th_pdmp_body_clear (ThPdmpBody *b);

/* POST /api/patients/<id>/observations {"kind", "value", "value2"?,
 * "effective_at"?, "visit_id"?} (bodies_labs.c): a lab or vital sign the
 * clinic enters. kind is an observation kind (records.h) and the value(s)
 * believable for it (observation_value_valid); effective_at is an instant
 * with an offset or a calendar date (YYYY-MM-DD); absent: now. Whether it
 * lies in the future is the route's (it has the clock). */
typedef struct {
  const ObservationKind *kind;
  double value;
  gboolean has_value2;
  double value2;
  gboolean has_effective;
  gboolean effective_is_date; /* a calendar date: effective_day; else effective_ms */
  GDate effective_day;
  gint64 effective_ms;
  char visit_id[65]; /* "" when none */
} ThObservationBody;
gboolean th_body_observation (const char *body, gsize len, ThObservationBody *out, GError **error);

/* POST /api/patients and /api/patients/<id> {"name", "birth_date", "mrn",
 * "email"?, "phone"?, "time_zone"?, "region"?, "language"?,
 * "confirm_duplicate"?} (bodies_patient.c). An optional field may be null
 * or "" for none. `today` is the clinic's date: a date of birth after it is
 * refused. On failure *field is the key at fault (NULL when the body is not
 * an object or has an unknown key) and the message says, in a front-desk
 * person's words, what is wrong with it; the route answers 422. */
typedef struct {
  char *name;          /* 1..200 characters, trimmed */
  char birth_date[11]; /* YYYY-MM-DD, a real date in [1900-01-01, today] */
  char *mrn;           /* 1..32 of [A-Za-z0-9-] */
  char *email;         /* NULL or local@domain.tld, at most 254 bytes */
  char *phone;         /* NULL or E.164: "+" and 8..15 digits (spaces, dashes,
                       * dots and brackets taken out) */
  char *time_zone;     /* NULL or an IANA zone GLib knows ("America/New_York") */
  char *region;        /* NULL or a code of region_table ("NY") */
  char *language;      /* NULL or a BCP 47 tag, language[-subtag]* ("en", "pt-BR") */
  gboolean confirm_duplicate;
} ThPatientBody;
gboolean th_body_patient (const char *body, gsize len, const GDate *today, ThPatientBody *out,
                          const char **field, GError **error);
void th_patient_body_clear (ThPatientBody *b);
/* The validators, one per field (pure; unit-tested). */
gboolean th_email_valid (const char *email);
/* The E.164 form of `phone` (newly allocated), or NULL when it is not one. */
char *th_phone_e164 (const char *phone);
gboolean th_time_zone_valid (const char *zone);
gboolean th_language_tag_valid (const char *tag);
gboolean th_mrn_valid (const char *mrn);

/* POST /api/visits/<id>/follow-up {"weeks" | "date", "time"?,
 * "confirm_double_booking"?}: weeks 1..52 or a date "YYYY-MM-DD", a time
 * "HH:MM" (the clinic's), and whether to keep a clash with another of the
 * provider's visits (as a booking from the schedule does). On a
 * BAD_FIELD, *field names the field at fault ("weeks", "date", "time"; NULL
 * when the body's shape is wrong): the route answers 422 naming it. */
typedef struct {
  guint weeks; /* 0: a date was given */
  GDate date;  /* valid when given */
  gboolean has_time;
  guint hour, minute;
  gboolean confirm_double_booking;
} ThFollowUpBody;
gboolean th_body_follow_up (const char *body, gsize len, ThFollowUpBody *out, const char **field,
                            GError **error);

/* ---- safety (bodies_safety.c, issue 14) */

/* POST /api/alerts/<id>/acknowledge {"note"}: *note NULL when absent (the
 * route says a note is needed). */
gboolean th_body_alert_ack (const char *body, gsize len, char **note, GError **error);

/* POST /api/safety-tasks/<id>/close {"screen"?: {"q1".."q6": bool,
 * "q6_past_3_months"?: bool}, "risk_level"?, "risk_reason"?, "plan"?: [code],
 * "plan_reason"?, "location"?, "visit_id"?}: what is missing is the rule's
 * to name (422). */
typedef struct {
  gboolean has_screen;
  CssrsScreen screen;
  char *risk_level;
  char *risk_reason;
  char **plans; /* NULL-terminated */
  guint n_plans;
  char *plan_reason;
  char *location;
  char *visit_id;
} ThSafetyCloseBody;
gboolean th_body_safety_close (const char *body, gsize len, ThSafetyCloseBody *out,
                               GError **error);
void th_safety_close_body_clear (ThSafetyCloseBody *b);
/* ---- the patient's diary (bodies_diary.c). POST /api/diary/entries
 * {"day", "doses": [{"order_id", "taken", "missed", "reason"?}],
 *  "side_effects": [{"order_id", "effect", "severity": none|mild|moderate|severe}],
 *  "item9"?: 0..3 | null, "note"?: text | null,
 *  "readings"?: {"weight_kg"?, "systolic"?, "diastolic"?, "heart_rate"?}} */
typedef struct {
  char *order_id;
  guint taken, missed;
  char *reason; /* forgot | side-effect | ran-out | chose-not-to | NULL */
} ThDiaryDoseBody;
typedef struct {
  char *order_id;
  char *effect;
  guint severity; /* 0..3 */
} ThDiaryEffectBody;
typedef struct {
  char *day;
  ThDiaryDoseBody *doses;
  guint n_doses;
  ThDiaryEffectBody *effects;
  guint n_effects;
  gint item9; /* -1: not answered */
  char *note; /* NULL: none */
  gboolean has_weight, has_systolic, has_diastolic, has_heart_rate;
  double weight_kg, systolic, diastolic, heart_rate;
} ThDiaryEntryBody;
gboolean th_body_diary_entry (const char *body, gsize len, ThDiaryEntryBody *out, GError **error);
void th_diary_entry_body_clear (ThDiaryEntryBody *b);
/* POST /api/diary/reminder {"hour": 0..23 | null (off), "channel"?: "email" | "sms"} */
gboolean th_body_diary_reminder (const char *body, gsize len, gint *hour, char **channel,
                                 GError **error);

/* POST /api/patients/<id>/reproductive (bodies_reproductive.c, issue 15):
 * {"sex_at_birth", "unable_reason"?, "pregnancy", "pregnancy_checked"?,
 * "breastfeeding", "contraception"?: {"method", "highly_effective"},
 * "valproate_counselling"?: {"date", "by"}} into out (rx_reproductive_clear);
 * th_reproductive_check: the answers fit together, no date after today. */
gboolean th_body_reproductive (const char *body, gsize len, RxReproductive *out, GError **error);
gboolean th_reproductive_check (const RxReproductive *r, const GDate *today, GError **error);

G_END_DECLS
