/* test_followup.c — the next follow-up's rule table (server/records/
 * followup.c): each rule from real catalog entries, the shortest interval
 * winning, a configured policy, and the sources named. */
#include <string.h>

#include <glib.h>

#include "server/records/records.h"
#include "tests/unit/clinical-fixture.h"

static MedCatalog *catalog;

static const Medication *
med (const char *id)
{
  const Medication *m = med_catalog_find (catalog, id);
  g_assert_nonnull (m);
  return m;
}

static void
change (FollowUpFacts *f, AdjustmentKind kind, const char *id, double before, double after)
{
  FollowUpChange c = {
    .kind = kind, .medication = med (id), .daily_before = before, .daily_after = after
  };
  follow_up_note_change (f, &c);
}

static void
test_defaults_and_sources (void)
{
  FollowUpPolicy p;

  follow_up_policy_default (&p);
  g_assert_cmpuint (p.weeks[FOLLOW_UP_ITEM9], ==, 1);
  g_assert_cmpuint (p.weeks[FOLLOW_UP_LEVEL], ==, 1);
  g_assert_cmpuint (p.weeks[FOLLOW_UP_ANTIDEPRESSANT], ==, 2);
  g_assert_cmpuint (p.weeks[FOLLOW_UP_CONTROLLED], ==, 4);
  g_assert_cmpuint (p.weeks[FOLLOW_UP_DOSE_CHANGE], ==, 4);
  g_assert_cmpuint (p.weeks[FOLLOW_UP_STABLE], ==, 12);
  g_assert_cmpuint (p.weeks[FOLLOW_UP_NOT_SEEN], ==, 1);
  for (guint i = 0; i < FOLLOW_UP_N_RULES; i++) {
    FollowUpRule back;
    const char *code = follow_up_rule_code ((FollowUpRule) i);
    g_assert_nonnull (code);
    g_assert_true (follow_up_rule_from_code (code, &back));
    g_assert_cmpuint (back, ==, i);
    g_assert_true (g_str_has_suffix (follow_up_rule_key ((FollowUpRule) i), "_weeks"));
    /* Each source says where its number comes from, or that it is the clinic's. */
    g_assert_nonnull (
      strstr (follow_up_rule_source ((FollowUpRule) i), follow_up_rule_key ((FollowUpRule) i)));
  }
  g_assert_nonnull (strstr (follow_up_rule_source (FOLLOW_UP_ANTIDEPRESSANT), "FDA boxed warning"));
  g_assert_nonnull (
    strstr (follow_up_rule_source (FOLLOW_UP_ANTIDEPRESSANT), "APA Practice Guideline"));
  g_assert_nonnull (strstr (follow_up_rule_source (FOLLOW_UP_STABLE), "Clinic policy"));
  g_assert_false (follow_up_rule_from_code ("weekly", NULL));
  g_assert_null (follow_up_rule_code ((FollowUpRule) FOLLOW_UP_N_RULES));
}

static void
test_stable (void)
{
  FollowUpFacts f = { 0 };
  FollowUpSuggestion s;

  follow_up_suggest (&f, NULL, &s);
  g_assert_cmpuint (s.rule, ==, FOLLOW_UP_STABLE);
  g_assert_cmpuint (s.weeks, ==, 12);
  g_assert_cmpstr (s.reason, ==, "no change in this visit (stable: clinic policy)");
  g_assert_cmpuint (s.applied, ==, 1u << FOLLOW_UP_STABLE);
  follow_up_suggestion_clear (&s);
}

static void
test_antidepressant_started (void)
{
  FollowUpFacts f = { 0 };
  FollowUpSuggestion s;

  change (&f, ADJUST_START, "sertraline", 0, 50);
  follow_up_suggest (&f, NULL, &s);
  g_assert_cmpuint (s.rule, ==, FOLLOW_UP_ANTIDEPRESSANT);
  g_assert_cmpuint (s.weeks, ==, 2);
  g_assert_cmpstr (s.reason, ==,
                   "started sertraline (antidepressant started: FDA label monitoring)");
  follow_up_suggestion_clear (&s);
  follow_up_facts_clear (&f);

  /* Raised: the antidepressant rule; lowered: a dose change. */
  change (&f, ADJUST_CHANGE_DOSE, "escitalopram", 10, 20);
  follow_up_suggest (&f, NULL, &s);
  g_assert_cmpuint (s.rule, ==, FOLLOW_UP_ANTIDEPRESSANT);
  g_assert_cmpstr (s.reason, ==,
                   "raised escitalopram (antidepressant started: FDA label monitoring)");
  follow_up_suggestion_clear (&s);
  follow_up_facts_clear (&f);
  change (&f, ADJUST_CHANGE_DOSE, "escitalopram", 20, 10);
  follow_up_suggest (&f, NULL, &s);
  g_assert_cmpuint (s.rule, ==, FOLLOW_UP_DOSE_CHANGE);
  g_assert_cmpuint (s.weeks, ==, 4);
  g_assert_cmpstr (s.reason, ==, "lowered escitalopram (dose changed: clinic policy)");
  follow_up_suggestion_clear (&s);
  follow_up_facts_clear (&f);

  /* A switch to another SNRI and a stop of one. */
  change (&f, ADJUST_SWITCH, "duloxetine", 0, 60);
  g_assert_cmpstr (f.antidepressant, ==, "switched to duloxetine");
  follow_up_facts_clear (&f);
  change (&f, ADJUST_STOP, "amitriptyline", 0, 0);
  g_assert_null (f.antidepressant);
  g_assert_cmpstr (f.dose_change, ==, "stopped amitriptyline");
  follow_up_facts_clear (&f);
}

static void
test_levels_and_controlled (void)
{
  FollowUpFacts f = { 0 };
  FollowUpSuggestion s;

  change (&f, ADJUST_CHANGE_DOSE, "lithium-carbonate-er", 900, 600);
  change (&f, ADJUST_START, "divalproex-er", 0, 500);
  /* The first of a kind is the one named. */
  g_assert_cmpstr (f.level, ==, "changed the dose of lithium carbonate");
  follow_up_suggest (&f, NULL, &s);
  g_assert_cmpuint (s.rule, ==, FOLLOW_UP_LEVEL);
  g_assert_cmpuint (s.weeks, ==, 1);
  g_assert_nonnull (strstr (s.source, "lithium"));
  follow_up_suggestion_clear (&s);
  follow_up_facts_clear (&f);
  /* Lamotrigine is a mood stabilizer dosed without levels. */
  change (&f, ADJUST_START, "lamotrigine", 0, 25);
  g_assert_null (f.level);
  g_assert_cmpstr (f.dose_change, ==, "started lamotrigine");
  follow_up_facts_clear (&f);

  change (&f, ADJUST_START, "methylphenidate-ir", 0, 10);
  change (&f, ADJUST_START, "alprazolam", 0, 0.5);
  g_assert_cmpstr (f.controlled, ==, "started methylphenidate");
  follow_up_suggest (&f, NULL, &s);
  g_assert_cmpuint (s.rule, ==, FOLLOW_UP_CONTROLLED);
  g_assert_cmpuint (s.weeks, ==, 4);
  follow_up_suggestion_clear (&s);
  follow_up_facts_clear (&f);
  /* A new dose of a controlled substance already taken is a dose change. */
  change (&f, ADJUST_CHANGE_DOSE, "methylphenidate-ir", 20, 30);
  g_assert_null (f.controlled);
  g_assert_cmpstr (f.dose_change, ==, "raised methylphenidate");
  follow_up_facts_clear (&f);
}

/* A visit that did not take place is rebooked soon; an item-9 alert of its
 * check-in (same weeks) is named first. */
static void
test_not_seen (void)
{
  FollowUpFacts f = { .not_seen = TRUE };
  FollowUpSuggestion s;

  follow_up_suggest (&f, NULL, &s);
  g_assert_cmpuint (s.rule, ==, FOLLOW_UP_NOT_SEEN);
  g_assert_cmpuint (s.weeks, ==, 1);
  g_assert_cmpstr (s.reason, ==,
                   "the visit ended without the patient being admitted (visit did not take "
                   "place: clinic policy)");
  follow_up_suggestion_clear (&s);
  f.item9_alert = TRUE;
  follow_up_suggest (&f, NULL, &s);
  g_assert_cmpuint (s.rule, ==, FOLLOW_UP_ITEM9);
  g_assert_cmpuint (s.applied, ==, (1u << FOLLOW_UP_ITEM9) | (1u << FOLLOW_UP_NOT_SEEN));
  follow_up_suggestion_clear (&s);
}

static void
test_shortest_wins (void)
{
  FollowUpFacts f = { 0 };
  FollowUpSuggestion s;
  FollowUpPolicy p;

  /* An item-9 alert in a visit that started an antidepressant and changed
   * a dose: 1 week, the alert named, every rule that applied kept. */
  f.item9_alert = TRUE;
  change (&f, ADJUST_START, "fluoxetine", 0, 20);
  change (&f, ADJUST_CHANGE_DOSE, "buspirone", 15, 30);
  follow_up_suggest (&f, NULL, &s);
  g_assert_cmpuint (s.rule, ==, FOLLOW_UP_ITEM9);
  g_assert_cmpuint (s.weeks, ==, 1);
  g_assert_cmpstr (s.reason, ==,
                   "PHQ-9 item 9 above 0 in this visit's check-in (PHQ-9 item 9 alert: close "
                   "follow-up while suicidal ideation is present)");
  g_assert_cmpuint (s.applied, ==,
                    (1u << FOLLOW_UP_ITEM9) | (1u << FOLLOW_UP_ANTIDEPRESSANT) |
                      (1u << FOLLOW_UP_DOSE_CHANGE));
  follow_up_suggestion_clear (&s);

  /* A clinic that sees item-9 alerts at 2 weeks and new antidepressants at
   * 1: the antidepressant wins; on a tie the graver (earlier) rule. */
  follow_up_policy_default (&p);
  p.weeks[FOLLOW_UP_ITEM9] = 2;
  p.weeks[FOLLOW_UP_ANTIDEPRESSANT] = 1;
  follow_up_suggest (&f, &p, &s);
  g_assert_cmpuint (s.rule, ==, FOLLOW_UP_ANTIDEPRESSANT);
  g_assert_cmpuint (s.weeks, ==, 1);
  follow_up_suggestion_clear (&s);
  p.weeks[FOLLOW_UP_ANTIDEPRESSANT] = 2;
  follow_up_suggest (&f, &p, &s);
  g_assert_cmpuint (s.rule, ==, FOLLOW_UP_ITEM9);
  g_assert_cmpuint (s.weeks, ==, 2);
  follow_up_suggestion_clear (&s);
  /* Configured stable interval. */
  follow_up_facts_clear (&f);
  p.weeks[FOLLOW_UP_STABLE] = 8;
  follow_up_suggest (&f, &p, &s);
  g_assert_cmpuint (s.weeks, ==, 8);
  follow_up_suggestion_clear (&s);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  catalog = load_shipped ();
  g_test_add_func ("/followup/defaults-and-sources", test_defaults_and_sources);
  g_test_add_func ("/followup/stable", test_stable);
  g_test_add_func ("/followup/antidepressant", test_antidepressant_started);
  g_test_add_func ("/followup/levels-and-controlled", test_levels_and_controlled);
  g_test_add_func ("/followup/not-seen", test_not_seen);
  g_test_add_func ("/followup/shortest-wins", test_shortest_wins);
  rc = g_test_run ();
  med_catalog_free (catalog);
  return rc;
}
