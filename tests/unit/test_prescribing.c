/* test_prescribing.c — who may prescribe what, when: the prescribing rules
 * over the full role × substance × modality × time matrix, and the edges
 * (window boundary, month ends, future evaluations, unknown modality). */
#include <string.h>

#include <glib.h>

#include "server/records/records.h"
#include "server/clock/clock.h"
#include "tests/unit/clinical-fixture.h"

/* A calendar date. */
static GDate
date_of (gint y, gint mo, gint d)
{
  GDate g;
  g_date_clear (&g, 1);
  g_date_set_dmy (&g, (GDateDay) d, (GDateMonth) mo, (GDateYear) y);
  return g;
}

/* No date: "none on record". */
static GDate
no_date (void)
{
  GDate g;
  g_date_clear (&g, 1);
  return g;
}

/* The clinic's today at a wall-clock time in `zone`, the way the server
 * computes it: the instant, then its date in the clinic's zone. */
static GDate
today_at (const char *zone, gint y, gint mo, gint d, gint h, gint mi)
{
  GTimeZone *tz = g_time_zone_new_identifier (zone);
  GDateTime *dt;
  GDate g;

  g_assert_nonnull (tz);
  dt = g_date_time_new (tz, y, mo, d, h, mi, 0);
  g_assert_nonnull (dt);
  th_clock_local_date (tz, g_date_time_to_unix (dt) * 1000, &g);
  g_date_time_unref (dt);
  g_time_zone_unref (tz);
  return g;
}

/* ----------------------------------------------------------- prescribing */

static const char *
decision_name (PrescribeDecision d)
{
  switch (d) {
  case PRESCRIBE_ALLOWED:
    return "allowed";
  case PRESCRIBE_PENDING_COSIGN:
    return "pending";
  case PRESCRIBE_REFUSED:
    return "refused";
  default:
    return "?";
  }
}

/* Runs the decision and checks it against the expectation; on refusal the
 * rule code must match and the reason be a sentence. */
static void
assert_decision (const char *label, const PrescribeContext *ctx, PrescribeDecision want,
                 const char *want_rule)
{
  char *rule = (char *) "garbage", *reason = (char *) "garbage";
  PrescribeDecision got = prescribe_decide (ctx, &rule, &reason);
  char *got_s = g_strdup_printf ("%s: %s %s", label, decision_name (got), rule ? rule : "-");
  char *want_s = g_strdup_printf ("%s: %s %s", label, decision_name (want), want_rule ? want_rule : "-");
  g_assert_cmpstr (got_s, ==, want_s);
  if (got == PRESCRIBE_REFUSED) {
    g_assert_nonnull (reason);
    g_assert_cmpuint (strlen (reason), >, 20);
    g_assert_true (g_ascii_isupper (reason[0]));
    g_assert_true (g_str_has_suffix (reason, "."));
  } else {
    g_assert_null (rule);
    g_assert_null (reason);
  }
  g_free (rule);
  g_free (reason);
  g_free (got_s);
  g_free (want_s);
}

typedef struct {
  const char *role;
  gboolean has_supervisor;
  PrescribeDecision base;    /* when no controlled rule applies */
} RoleCase;

static const RoleCase kRoles[] = {
  { "psychiatrist", FALSE, PRESCRIBE_ALLOWED },
  { "pmhnp", FALSE, PRESCRIBE_ALLOWED },
  { "pcp", FALSE, PRESCRIBE_ALLOWED },
  { "pa", TRUE, PRESCRIBE_PENDING_COSIGN },
  { "pa", FALSE, PRESCRIBE_REFUSED },
  { "admin", FALSE, PRESCRIBE_REFUSED },
  { "admin", TRUE, PRESCRIBE_REFUSED },
  { "patient", FALSE, PRESCRIBE_REFUSED },
};

typedef enum { T_INSIDE, T_OUTSIDE_RECENT, T_OUTSIDE_OLD, T_OUTSIDE_NONE } TimeCase;

/* For a new controlled prescription: the rule that refuses it, or NULL. */
typedef struct {
  const char *modality;
  TimeCase time;
  const char *rule;
} ControlledCase;

static const ControlledCase kControlled[] = {
  { "video", T_INSIDE, NULL },
  { "video", T_OUTSIDE_RECENT, NULL },
  { "video", T_OUTSIDE_OLD, "controlled-in-person" },
  { "video", T_OUTSIDE_NONE, "controlled-in-person" },
  { "audio-only", T_INSIDE, "controlled-audio-only" },
  { "audio-only", T_OUTSIDE_RECENT, "controlled-audio-only" },
  { "audio-only", T_OUTSIDE_OLD, "controlled-audio-only" },
  { "audio-only", T_OUTSIDE_NONE, "controlled-audio-only" },
};

static const char *const kTimeNames[] = { "inside", "outside+recent", "outside+old", "outside+none" };

static void
set_time (PrescribeContext *ctx, TimeCase t)
{
  ctx->policy_end = date_of (2026, 12, 31);
  ctx->in_person_eval_months = 24;
  switch (t) {
  case T_INSIDE:
    ctx->today = date_of (2026, 6, 15);
    ctx->in_person_eval = no_date ();   /* none needed inside the window */
    break;
  case T_OUTSIDE_RECENT:
    ctx->today = date_of (2027, 6, 15);
    ctx->in_person_eval = date_of (2026, 1, 10);    /* 17 months */
    break;
  case T_OUTSIDE_OLD:
    ctx->today = date_of (2027, 6, 15);
    ctx->in_person_eval = date_of (2024, 6, 14);    /* 36 months */
    break;
  case T_OUTSIDE_NONE:
    ctx->today = date_of (2027, 6, 15);
    ctx->in_person_eval = no_date ();
    break;
  }
}

static void
test_prescribe_matrix (void)
{
  MedCatalog *c = load_shipped ();
  const Medication *meds[2] = { med_catalog_find (c, "methylphenidate-ir"),
                                med_catalog_find (c, "sertraline") };
  guint n = 0;

  g_assert_true (medication_is_controlled (meds[0]));
  g_assert_false (medication_is_controlled (meds[1]));

  for (gsize r = 0; r < G_N_ELEMENTS (kRoles); r++)
    for (gsize m = 0; m < G_N_ELEMENTS (meds); m++)
      for (gsize k = 0; k < G_N_ELEMENTS (kControlled); k++)
        for (gint prescribes = 0; prescribes <= 1; prescribes++) {
          const RoleCase *rc = &kRoles[r];
          const ControlledCase *cc = &kControlled[k];
          gboolean controlled = m == 0;
          PrescribeContext ctx = {
            .actor_role = rc->role,
            .has_supervisor = rc->has_supervisor,
            .medication = meds[m],
            .new_prescription = prescribes,
            .modality = cc->modality,
          };
          PrescribeDecision want = rc->base;
          const char *want_rule = NULL;
          char *label;

          set_time (&ctx, cc->time);
          /* The role rule comes first; then any new controlled order (a
           * start, switch or change in either direction) may be refused,
           * which beats a PA's pending. A pure stop never is. */
          if (rc->base == PRESCRIBE_REFUSED)
            want_rule = "role";
          else if (controlled && prescribes && cc->rule != NULL) {
            want = PRESCRIBE_REFUSED;
            want_rule = cc->rule;
          }
          label = g_strdup_printf ("%s%s %s %s %s %s", rc->role,
                                   rc->has_supervisor ? "+supervisor" : "", meds[m]->id,
                                   cc->modality, kTimeNames[cc->time],
                                   prescribes ? "new order" : "pure stop");
          assert_decision (label, &ctx, want, want_rule);
          g_free (label);
          n++;
        }
  /* 8 roles × 2 substances × 2 modalities × 4 times × 2 directions. */
  g_assert_cmpuint (n, ==, 256);
  med_catalog_free (c);
}

static void
test_prescribe_edges (void)
{
  MedCatalog *c = load_shipped ();
  const Medication *mph = med_catalog_find (c, "methylphenidate-ir");
  const Medication *alprazolam = med_catalog_find (c, "alprazolam");
  PrescribeContext ctx = {
    .actor_role = "psychiatrist",
    .medication = mph,
    .new_prescription = TRUE,
    .modality = "video",
    .policy_end = date_of (2026, 12, 31),
    .in_person_eval = no_date (),
    .in_person_eval_months = 24,
  };
  char *rule = NULL, *reason = NULL;

  /* The window closes at the end of its last day in the clinic's zone: in
   * New York, 23:30 on Dec 31 (04:30 UTC on Jan 1) is inside, 00:30 on
   * Jan 1 is not; 18:59 on Dec 31 (23:59 UTC) is of course inside. */
  ctx.today = today_at ("America/New_York", 2026, 12, 31, 23, 30);
  assert_decision ("New York, Dec 31 23:30", &ctx, PRESCRIBE_ALLOWED, NULL);
  ctx.today = today_at ("America/New_York", 2026, 12, 31, 18, 59);
  assert_decision ("New York, Dec 31 18:59", &ctx, PRESCRIBE_ALLOWED, NULL);
  ctx.today = today_at ("America/New_York", 2027, 1, 1, 0, 30);
  assert_decision ("New York, Jan 1 00:30", &ctx, PRESCRIBE_REFUSED, "controlled-in-person");
  /* East of UTC+12 the new year comes first: 00:30 on Jan 1 in Kiritimati
   * (UTC+14) is 10:30 UTC on Dec 31, and the window there has closed. */
  ctx.today = today_at ("Pacific/Kiritimati", 2027, 1, 1, 0, 30);
  assert_decision ("Kiritimati, Jan 1 00:30", &ctx, PRESCRIBE_REFUSED, "controlled-in-person");
  ctx.today = today_at ("Pacific/Kiritimati", 2026, 12, 31, 23, 30);
  assert_decision ("Kiritimati, Dec 31 23:30", &ctx, PRESCRIBE_ALLOWED, NULL);
  /* Without a date for today nothing can be judged: refused. */
  ctx.today = no_date ();
  assert_decision ("no today", &ctx, PRESCRIBE_REFUSED, "controlled-in-person");

  /* Exactly 24 calendar months ago counts; a day earlier does not. */
  ctx.today = date_of (2027, 6, 15);
  ctx.in_person_eval = date_of (2025, 6, 15);
  assert_decision ("eval 24 months ago", &ctx, PRESCRIBE_ALLOWED, NULL);
  ctx.in_person_eval = date_of (2025, 6, 14);
  assert_decision ("eval 24 months + 1 day ago", &ctx, PRESCRIBE_REFUSED, "controlled-in-person");
  /* Calendar months, not 30-day blocks: 24 × 30 days ago is still inside. */
  ctx.in_person_eval = ctx.today;
  g_date_subtract_days (&ctx.in_person_eval, 720);
  assert_decision ("eval 720 days ago", &ctx, PRESCRIBE_ALLOWED, NULL);

  /* An evaluation dated after today does not count; today does, at any
   * hour (the date has no time of day). */
  ctx.in_person_eval = date_of (2027, 6, 16);
  assert_decision ("eval tomorrow", &ctx, PRESCRIBE_REFUSED, "controlled-in-person");
  ctx.in_person_eval = ctx.today;
  assert_decision ("eval today", &ctx, PRESCRIBE_ALLOWED, NULL);
  ctx.today = today_at ("America/New_York", 2027, 6, 15, 0, 30);
  ctx.in_person_eval = date_of (2027, 6, 15);
  assert_decision ("eval today, 00:30 in New York", &ctx, PRESCRIBE_ALLOWED, NULL);

  /* Month ends clamp: 1 month before Mar 31 is Feb 28. */
  ctx.in_person_eval_months = 1;
  ctx.today = date_of (2027, 3, 31);
  ctx.in_person_eval = date_of (2027, 2, 28);
  assert_decision ("Mar 31 - 1 month", &ctx, PRESCRIBE_ALLOWED, NULL);
  ctx.in_person_eval = date_of (2027, 2, 27);
  assert_decision ("Mar 31 - 1 month - 1 day", &ctx, PRESCRIBE_REFUSED, "controlled-in-person");
  /* ... and Feb 29 in a leap year. */
  ctx.today = date_of (2028, 3, 31);
  ctx.in_person_eval = date_of (2028, 2, 29);
  assert_decision ("Mar 31 2028 - 1 month", &ctx, PRESCRIBE_ALLOWED, NULL);
  ctx.in_person_eval = date_of (2028, 2, 28);
  assert_decision ("Mar 31 2028 - 1 month - 1 day", &ctx, PRESCRIBE_REFUSED,
                   "controlled-in-person");
  /* Leap day minus 12 months is Feb 28; minus 48 months is Feb 29 again. */
  ctx.in_person_eval_months = 12;
  ctx.today = date_of (2028, 2, 29);
  ctx.in_person_eval = date_of (2027, 2, 28);
  assert_decision ("Feb 29 - 12 months", &ctx, PRESCRIBE_ALLOWED, NULL);
  ctx.in_person_eval = date_of (2027, 2, 27);
  assert_decision ("Feb 29 - 12 months - 1 day", &ctx, PRESCRIBE_REFUSED, "controlled-in-person");
  ctx.in_person_eval_months = 48;
  ctx.in_person_eval = date_of (2024, 2, 29);
  assert_decision ("Feb 29 - 48 months", &ctx, PRESCRIBE_ALLOWED, NULL);
  ctx.in_person_eval = date_of (2024, 2, 28);
  assert_decision ("Feb 29 - 48 months - 1 day", &ctx, PRESCRIBE_REFUSED, "controlled-in-person");
  /* A cutoff before year 1: every evaluation on record is recent enough. */
  ctx.in_person_eval_months = 120;
  ctx.today = date_of (5, 6, 1);
  ctx.in_person_eval = date_of (1, 1, 1);
  assert_decision ("cutoff before year 1", &ctx, PRESCRIBE_ALLOWED, NULL);
  ctx.in_person_eval_months = 24;
  ctx.in_person_eval = no_date ();

  /* A missing or unknown modality is treated as audio-only. */
  ctx.today = date_of (2026, 6, 15);
  ctx.modality = NULL;
  assert_decision ("no modality", &ctx, PRESCRIBE_REFUSED, "controlled-audio-only");
  ctx.modality = "phone";
  assert_decision ("unknown modality", &ctx, PRESCRIBE_REFUSED, "controlled-audio-only");
  ctx.modality = "Video";
  assert_decision ("miscased modality", &ctx, PRESCRIBE_REFUSED, "controlled-audio-only");
  /* ...but it does not matter for an uncontrolled medication or a stop. */
  ctx.medication = med_catalog_find (c, "sertraline");
  assert_decision ("unknown modality, uncontrolled", &ctx, PRESCRIBE_ALLOWED, NULL);
  ctx.medication = NULL;
  assert_decision ("pure stop", &ctx, PRESCRIBE_ALLOWED, NULL);

  /* Unknown, missing and miscased roles are refused. */
  ctx.modality = "video";
  ctx.medication = mph;
  ctx.actor_role = NULL;
  assert_decision ("no role", &ctx, PRESCRIBE_REFUSED, "role");
  ctx.actor_role = "nurse";
  assert_decision ("nurse", &ctx, PRESCRIBE_REFUSED, "role");
  ctx.actor_role = "Psychiatrist";
  assert_decision ("Psychiatrist", &ctx, PRESCRIBE_REFUSED, "role");

  /* The reason names the medication and its schedule, as a sentence. */
  ctx.actor_role = "pmhnp";
  ctx.modality = "audio-only";
  g_assert_cmpint (prescribe_decide (&ctx, &rule, &reason), ==, PRESCRIBE_REFUSED);
  g_assert_cmpstr (rule, ==, "controlled-audio-only");
  g_assert_cmpstr (reason, ==,
                   "Methylphenidate is a schedule II controlled substance; it cannot be "
                   "prescribed (started or changed) in an audio-only visit. Only stopping it is "
                   "possible here.");
  g_clear_pointer (&rule, g_free);
  g_clear_pointer (&reason, g_free);
  ctx.medication = alprazolam;
  ctx.modality = "video";
  ctx.today = date_of (2027, 6, 15);
  ctx.in_person_eval = no_date ();
  ctx.in_person_eval_months = 24;
  g_assert_cmpint (prescribe_decide (&ctx, &rule, &reason), ==, PRESCRIBE_REFUSED);
  g_assert_cmpstr (rule, ==, "controlled-in-person");
  g_assert_nonnull (strstr (reason, "Alprazolam is a schedule IV"));
  g_assert_nonnull (strstr (reason, "24 months"));
  g_clear_pointer (&rule, g_free);
  g_clear_pointer (&reason, g_free);

  /* rule and reason may be NULL when the caller only wants the decision. */
  g_assert_cmpint (prescribe_decide (&ctx, NULL, NULL), ==, PRESCRIBE_REFUSED);

  med_catalog_free (c);
}

/* Under the Controlled Substances Act every new controlled order is a new
 * prescription: a lower dose with another frequency (alprazolam 0.5 mg three
 * times daily to 1 mg as needed), a plain decrease or a frequency-only change
 * meets the same rules as a start. Only a pure stop is exempt. */
static void
test_prescribe_controlled_changes (void)
{
  MedCatalog *c = load_shipped ();
  const Medication *alprazolam = med_catalog_find (c, "alprazolam");
  PrescribeContext ctx = {
    .actor_role = "psychiatrist",
    .medication = alprazolam,
    .new_prescription = TRUE,     /* 0.5 mg three times daily -> 1 mg as needed */
    .modality = "audio-only",
    .in_person_eval_months = 24,
  };

  ctx.policy_end = date_of (2026, 12, 31);
  ctx.today = date_of (2026, 6, 15);
  g_date_clear (&ctx.in_person_eval, 1);

  assert_decision ("controlled decrease + as-needed, audio-only", &ctx, PRESCRIBE_REFUSED,
                   "controlled-audio-only");
  ctx.actor_role = "pa";
  ctx.has_supervisor = TRUE;
  assert_decision ("PA's controlled decrease, audio-only", &ctx, PRESCRIBE_REFUSED,
                   "controlled-audio-only");
  ctx.actor_role = "psychiatrist";
  ctx.has_supervisor = FALSE;
  /* A controlled decrease after the window, without an in-person evaluation. */
  ctx.modality = "video";
  ctx.today = date_of (2027, 1, 15);
  assert_decision ("controlled decrease after the window", &ctx, PRESCRIBE_REFUSED,
                   "controlled-in-person");
  /* A pure stop passes in audio-only, inside and after the window, for a
   * prescriber and (effective at once, see store_apply_adjustment) a PA. */
  ctx.new_prescription = FALSE;
  ctx.modality = "audio-only";
  assert_decision ("pure stop, audio-only, after the window", &ctx, PRESCRIBE_ALLOWED, NULL);
  ctx.today = date_of (2026, 6, 15);
  assert_decision ("pure stop, audio-only", &ctx, PRESCRIBE_ALLOWED, NULL);
  ctx.medication = NULL;
  assert_decision ("pure stop, no medication", &ctx, PRESCRIBE_ALLOWED, NULL);
  /* An uncontrolled decrease in audio-only is allowed. */
  ctx.medication = med_catalog_find (c, "sertraline");
  ctx.new_prescription = TRUE;
  assert_decision ("uncontrolled decrease, audio-only", &ctx, PRESCRIBE_ALLOWED, NULL);
  med_catalog_free (c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/clinical/prescribe/matrix", test_prescribe_matrix);
  g_test_add_func ("/clinical/prescribe/edges", test_prescribe_edges);
  g_test_add_func ("/clinical/prescribe/controlled-changes", test_prescribe_controlled_changes);
  return g_test_run ();
}
