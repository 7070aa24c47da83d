/* rx_dispense.c — the dispensing section of the prescribing safety check
 * (rx-dispense.h): refills by DEA schedule, the schedule II series, the
 * prescriber's DEA registration for the patient's state, and a recent PDMP
 * check. Pure: the clock and the facts are passed in. */
#include "server/records/records.h"

#include <string.h>

/* The DEA's schedule codes as a registration certificate lists them. */
static const struct {
  const char *code;
  RxDeaSchedule bit;
  const char *words;
} kDeaCodes[] = {
  { "2", RX_DEA_2, "schedule II narcotic" },  { "2N", RX_DEA_2N, "schedule II non-narcotic" },
  { "3", RX_DEA_3, "schedule III narcotic" }, { "3N", RX_DEA_3N, "schedule III non-narcotic" },
  { "4", RX_DEA_4, "schedule IV" },           { "5", RX_DEA_5, "schedule V" },
};

/* Narcotic drugs under 21 U.S.C. 802(17) that a psychiatric clinic may
 * meet (opioids for opioid use disorder or pain): a registration for them
 * is "2" or "3", not "2N" / "3N". Matched against the catalog's ingredient
 * name (lower case, word start). None of the current catalog is one. */
static const char *const kNarcotics[] = {
  "buprenorphine", "codeine",  "fentanyl",  "hydrocodone", "hydromorphone",
  "methadone",     "morphine", "oxycodone", "oxymorphone", "tapentadol",
};

/* Practitioners' registrant-type letters (DEA Diversion Control Division):
 * A, B, F, G (a practitioner, G for the armed forces), M (a mid-level
 * practitioner: nurse practitioner, physician assistant). */
#define DEA_PRACTITIONER_TYPES "ABFGM"

#define MS_PER_DAY ((gint64) 86400 * 1000)

gboolean
rx_dea_schedules_parse (const char *text, guint *mask, GError **error)
{
  g_auto (GStrv) items = NULL;
  guint m = 0;

  *mask = 0;
  if (!text || !*text) {
    g_set_error_literal (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                         "Give the schedules the registration covers, e.g. 2,2N,3,3N,4,5.");
    return FALSE;
  }
  items = g_strsplit (text, ",", -1);
  for (guint i = 0; items[i]; i++) {
    g_autofree char *item = g_ascii_strup (g_strstrip (items[i]), -1);
    gboolean known = FALSE;
    for (guint k = 0; k < G_N_ELEMENTS (kDeaCodes); k++) {
      if (strcmp (item, kDeaCodes[k].code) != 0)
        continue;
      known = !(m & kDeaCodes[k].bit);
      m |= kDeaCodes[k].bit;
    }
    if (!known) {
      g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                   "\"%s\" is not a DEA schedule code, or is repeated: use 2, 2N, 3, 3N, 4 and "
                   "5, each once, separated by commas.",
                   item);
      return FALSE;
    }
  }
  *mask = m;
  return TRUE;
}

char *
rx_dea_schedules_text (guint mask)
{
  GString *s = g_string_new (NULL);

  for (guint k = 0; k < G_N_ELEMENTS (kDeaCodes); k++)
    if (mask & kDeaCodes[k].bit)
      g_string_append_printf (s, "%s%s", s->len ? ", " : "", kDeaCodes[k].code);
  return g_string_free (s, FALSE);
}

gboolean
rx_dea_number_valid (const char *number, GError **error)
{
  int d[7], sum;

  if (!number || strlen (number) != 9 || !strchr (DEA_PRACTITIONER_TYPES, number[0]) ||
      !(g_ascii_isupper (number[1]) || number[1] == '9')) {
    g_set_error_literal (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                         "A practitioner's DEA number is two letters and seven digits: the first "
                         "letter A, B, F, G or M (the registrant type), the second the first "
                         "letter of the last name (or 9), e.g. AB1234563.");
    return FALSE;
  }
  for (guint i = 0; i < 7; i++) {
    if (!g_ascii_isdigit (number[2 + i])) {
      g_set_error_literal (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                           "A DEA number ends in seven digits, e.g. AB1234563.");
      return FALSE;
    }
    d[i] = number[2 + i] - '0';
  }
  sum = d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5]);
  if (sum % 10 != d[6]) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                 "%s fails the DEA check digit: the 1st, 3rd and 5th digits plus twice the 2nd, "
                 "4th and 6th make %d, so the last digit should be %d. Check the number on the "
                 "registration certificate.",
                 number, sum, sum % 10);
    return FALSE;
  }
  return TRUE;
}

static gboolean
is_narcotic (const Medication *m)
{
  for (guint i = 0; m->name && i < G_N_ELEMENTS (kNarcotics); i++)
    if (g_str_has_prefix (m->name, kNarcotics[i]))
      return TRUE;
  return FALSE;
}

RxDeaSchedule
rx_dea_schedule_needed (const Medication *m)
{
  if (!m || !medication_is_controlled (m))
    return 0;
  if (g_strcmp0 (m->schedule, "II") == 0)
    return is_narcotic (m) ? RX_DEA_2 : RX_DEA_2N;
  if (g_strcmp0 (m->schedule, "III") == 0)
    return is_narcotic (m) ? RX_DEA_3 : RX_DEA_3N;
  if (g_strcmp0 (m->schedule, "IV") == 0)
    return RX_DEA_4;
  return RX_DEA_5;
}

static const char *
dea_words (RxDeaSchedule bit)
{
  for (guint k = 0; k < G_N_ELEMENTS (kDeaCodes); k++)
    if (kDeaCodes[k].bit == bit)
      return kDeaCodes[k].words;
  return "a controlled schedule";
}

RxDispenseFacts *
rx_dispense_facts_new (void)
{
  RxDispenseFacts *f = g_new0 (RxDispenseFacts, 1);

  g_date_clear (&f->earliest_fill, 1);
  g_date_clear (f->series, RX_SERIES_MAX);
  return f;
}

void
rx_dispense_facts_free (RxDispenseFacts *f)
{
  if (!f)
    return;
  for (guint i = 0; i < f->n_dea; i++) {
    g_free (f->dea[i].state);
    g_free (f->dea[i].number);
  }
  g_free (f->dea);
  g_free (f->patient_state);
  g_free (f->prescriber_name);
  g_free (f->pdmp_by);
  g_free (f);
}

void
rx_dispense_facts_add_dea (RxDispenseFacts *f, const char *state, const char *number,
                           guint schedules, const GDate *expires)
{
  RxDeaRegistration *r;

  f->dea = g_renew (RxDeaRegistration, f->dea, f->n_dea + 1);
  r = &f->dea[f->n_dea++];
  r->state = g_strdup (state);
  r->number = g_strdup (number);
  r->schedules = schedules;
  r->expires = *expires;
}

/* "5 Dec 2026". */
static char *
day_words (const GDate *d)
{
  char buf[64];

  if (!g_date_valid (d))
    return g_strdup ("an unknown date");
  g_date_strftime (buf, sizeof buf, "%-d %b %Y", d);
  return g_strdup (buf);
}

static char *
display_of (const Medication *m)
{
  char *who = g_strdup (m->display ? m->display : m->name);
  who[0] = g_ascii_toupper (who[0]);
  return who;
}

#define SRC_1306_12A "21 CFR 1306.12(a)"
#define SRC_1306_12B "21 CFR 1306.12(b)"
#define SRC_1306_22A "21 CFR 1306.22(a)"

/* A schedule III to V prescription may be refilled up to 5 times within
 * 6 months of the date written; a refill the supply would put later is
 * one no pharmacy may fill. */
static void
check_c3_5 (const RxCheckFacts *f, const RxDispenseFacts *d, GPtrArray *findings)
{
  g_autofree char *who = display_of (f->medication);
  GDate limit = f->today, last;

  if (f->refills > 5) {
    rx_add (findings, RX_REFUSE, "c3-5-refills", "Too many refills", SRC_1306_22A,
            "%s is a schedule %s controlled substance: at most 5 refills (21 CFR 1306.22(a)); "
            "this order has %u. Write 5 or fewer, and a new prescription when they run out.",
            who, f->medication->schedule, f->refills);
    return;
  }
  g_date_add_months (&limit, 6);
  last = d && g_date_valid (&d->earliest_fill) ? d->earliest_fill : f->today;
  /* The last refill is due when the supplies before it run out. */
  g_date_add_days (&last, f->refills * f->supply_days);
  if (f->refills > 0 && g_date_valid (&f->today) && g_date_compare (&last, &limit) > 0) {
    g_autofree char *due = day_words (&last), *end = day_words (&limit);
    rx_add (findings, RX_REFUSE, "c3-6-months", "Refills past 6 months", SRC_1306_22A,
            "%s is a schedule %s controlled substance: it may not be refilled more than 6 months "
            "after the date written (21 CFR 1306.22(a)), %s. With %u refills of %u days the last "
            "would be due %s. Write fewer refills or a shorter supply.",
            who, f->medication->schedule, end, f->refills, f->supply_days, due);
  }
}

/* The series' dates: in order, each after the supply before it ran out
 * (the clinic's rule: never two supplies in hand), none before today, and
 * at most 90 days in all. */
static void
check_series (const RxCheckFacts *f, const RxDispenseFacts *d, GPtrArray *findings)
{
  g_autofree char *who = display_of (f->medication);
  guint total = d->n_series * f->supply_days;

  if (g_strcmp0 (f->medication->schedule, "II") != 0) {
    rx_add (findings, RX_REFUSE, "c2-series", "A series is for schedule II", SRC_1306_12B,
            "%s is not a schedule II controlled substance: write one prescription with refills "
            "instead of a series of prescriptions.",
            who);
    return;
  }
  if (d->n_series < 2 || d->n_series > RX_SERIES_MAX || total > RX_SERIES_MAX_DAYS) {
    rx_add (findings, RX_REFUSE, "c2-series", "Series too long", SRC_1306_12B,
            "Schedule II prescriptions written together may cover at most a 90-day supply (21 CFR "
            "1306.12(b)); this clinic writes 2 or 3 of them. %u prescriptions of %u days make %u "
            "days.",
            d->n_series, f->supply_days, total);
    return;
  }
  for (guint i = 0; i < d->n_series; i++) {
    GDate due = i > 0 ? d->series[i - 1] : f->today;
    g_autofree char *when = day_words (&d->series[i]), *from = NULL;
    if (i > 0)
      g_date_add_days (&due, f->supply_days);
    if (g_date_compare (&d->series[i], &due) >= 0)
      continue;
    from = day_words (&due);
    if (i == 0)
      rx_add (findings, RX_REFUSE, "c2-series", "Fill date before written", SRC_1306_12B,
              "The first prescription of the series may not be filled before it is written "
              "(%s); its earliest fill date is %s.",
              from, when);
    else
      rx_add (findings, RX_REFUSE, "c2-series", "Fill dates overlap", SRC_1306_12B,
              "Each prescription of a schedule II series carries the earliest date it may be "
              "filled (21 CFR 1306.12(b)); prescription %u's (%s) comes before the supply "
              "before it runs out (%s). Space the dates at least %u days apart.",
              i + 1, when, from, f->supply_days);
    return;
  }
}

/* The prescriber's registration for the patient's state that covers the
 * order's schedule and is valid today (its expiry day included). */
static void
check_dea (const RxCheckFacts *f, const RxDispenseFacts *d, RxDeaSchedule needed,
           GPtrArray *findings)
{
  g_autofree char *who = display_of (f->medication);
  const char *name = d && d->prescriber_name ? d->prescriber_name : "The prescriber";
  const RxDeaRegistration *in_state = NULL;
  const char *source = "21 CFR 1301.12(a), 1306.03(a)";

  if (!d || !d->patient_state) {
    rx_add (findings, RX_REFUSE, "dea-registration", "The patient's state is unknown", source,
            "%s is a controlled substance: it may be prescribed only under a DEA registration "
            "for the state the patient is in, and no state is on the patient's record. Record "
            "the patient's state first.",
            who);
    return;
  }
  for (guint i = 0; i < d->n_dea; i++)
    if (g_ascii_strcasecmp (d->dea[i].state, d->patient_state) == 0)
      in_state = &d->dea[i];
  if (!in_state) {
    rx_add (findings, RX_REFUSE, "dea-registration", "No DEA registration for the state", source,
            "%s is a controlled substance, and %s has no DEA registration on record for %s, "
            "where the patient is. A DEA registration is needed in each state where controlled "
            "substances are prescribed; the clinic's administrator records it "
            "(telehealthd admin set-dea).",
            who, name, d->patient_state);
    return;
  }
  if (!(in_state->schedules & needed)) {
    g_autofree char *covers = rx_dea_schedules_text (in_state->schedules);
    rx_add (findings, RX_REFUSE, "dea-registration", "Schedule not covered", source,
            "%s is %s; %s's DEA registration for %s (%s) covers schedules %s only. Ask the "
            "clinic's administrator to record the registration with this schedule.",
            who, dea_words (needed), name, in_state->state, in_state->number,
            covers[0] ? covers : "none");
    return;
  }
  if (!g_date_valid (&f->today) || !g_date_valid (&in_state->expires) ||
      g_date_compare (&in_state->expires, &f->today) < 0) {
    g_autofree char *when = day_words (&in_state->expires);
    rx_add (findings, RX_REFUSE, "dea-registration", "DEA registration expired", source,
            "%s's DEA registration for %s (%s) expired on %s: %s, a controlled substance, cannot "
            "be prescribed under it. Record the renewed registration first.",
            name, in_state->state, in_state->number, when, who);
  }
}

/* A PDMP check of the patient's state within the clinic's window. */
static void
check_pdmp (const RxCheckFacts *f, const RxDispenseFacts *d, GPtrArray *findings)
{
  g_autofree char *who = display_of (f->medication);
  guint max_days = d && d->pdmp_max_days ? d->pdmp_max_days : RX_PDMP_MAX_DAYS_DEFAULT;
  const char *source = "State PDMP law (e.g. N.Y. Public Health Law 3343-a); the window is the "
                       "clinic's policy ([prescribing] pdmp_max_days)";
  gint64 age;

  if (!d || !d->patient_state)
    return; /* the DEA rule has said the state is missing */
  if (!d->pdmp_found) {
    rx_add (findings, RX_REFUSE, "pdmp-check", "No PDMP check", source,
            "%s is a controlled substance: check the %s prescription drug monitoring program "
            "for this patient and record the check (who, when, what was found) before "
            "prescribing it. None is on record.",
            who, d->patient_state);
    return;
  }
  age = f->now_ms - d->pdmp_at_ms;
  if (age > (gint64) max_days * MS_PER_DAY) {
    rx_add (findings, RX_REFUSE, "pdmp-check", "PDMP check too old", source,
            "%s is a controlled substance: the last %s prescription drug monitoring program "
            "check for this patient was %" G_GINT64_FORMAT " days ago%s%s, and this clinic "
            "requires one within %u days. Check the PDMP again and record it.",
            who, d->patient_state, age / MS_PER_DAY, d->pdmp_by ? ", by " : "",
            d->pdmp_by ? d->pdmp_by : "", max_days);
  }
}

void
rx_check_dispense (const RxCheckFacts *f, GPtrArray *findings)
{
  const RxDispenseFacts *d = f->dispense;
  RxDeaSchedule needed = rx_dea_schedule_needed (f->medication);
  g_autofree char *who = display_of (f->medication);

  if (d && d->n_series > 0)
    check_series (f, d, findings);
  if (!needed)
    return; /* not controlled: the 11-refill cap is med_dispense_check's */
  if (g_strcmp0 (f->medication->schedule, "II") == 0 && f->refills > 0)
    rx_add (findings, RX_REFUSE, "c2-no-refills", "No refills on schedule II", SRC_1306_12A,
            "%s is a schedule II controlled substance: it cannot be refilled (21 CFR "
            "1306.12(a)); this order has %u refill%s. Write it with no refills; for more than "
            "one month write a series of prescriptions with earliest fill dates (up to 90 days, "
            "21 CFR 1306.12(b)).",
            who, f->refills, f->refills == 1 ? "" : "s");
  else if (g_strcmp0 (f->medication->schedule, "II") != 0)
    check_c3_5 (f, d, findings);
  check_dea (f, d, needed, findings);
  check_pdmp (f, d, findings);
}
