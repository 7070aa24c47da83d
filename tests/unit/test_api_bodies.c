/* test_api_bodies.c — the pure REST body decoders and URL parsing
 * (server/api/bodies.c, server/api/routes.c): what each accepts, and the
 * code and message of each refusal, as the API sends them. */
#include "server/api/api-bodies.h"
#include "server/api/api-routes.h"

#include <string.h>

#define BODY(s) (s), strlen (s)

/* Takes the address of the error: the decoder call among the arguments may
 * be evaluated after a plain `error` would have been read. */
static void
assert_refused (gboolean ok, GError **errorp, const char *code, const char *message)
{
  GError *error = *errorp;

  *errorp = NULL;
  g_assert_false (ok);
  g_assert_error (error, TH_BODY_ERROR, g_str_equal (code, "bad-json")
                  ? TH_BODY_ERROR_BAD_JSON : TH_BODY_ERROR_BAD_FIELD);
  g_assert_cmpstr (th_body_error_code (error), ==, code);
  if (message)
    g_assert_cmpstr (error->message, ==, message);
  g_error_free (error);
}

static void
test_visit_create (void)
{
  ThVisitCreateBody b;
  GError *error = NULL;

  g_assert_true (th_body_visit_create (BODY ("{\"patient_name\":\"Ada\",\"scheduled_at\":"
                                             "\"2025-03-04T09:30:00.250Z\",\"modality\":\"audio-only\"}"),
                                       &b, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (b.patient_name, ==, "Ada");
  g_assert_null (b.patient_id);
  g_assert_cmpstr (b.modality, ==, "audio-only");
  g_assert_true (b.has_scheduled);
  g_assert_cmpint (b.scheduled_ms, ==, G_GINT64_CONSTANT (1741080600250));
  th_visit_create_body_clear (&b);

  assert_refused (th_body_visit_create (NULL, 0, &b, &error), &error, "bad-json",
                  "The request could not be read. Nothing was saved; reload the page and try "
                  "again.");
  assert_refused (th_body_visit_create (BODY ("[1]"), &b, &error), &error, "bad-json", NULL);
  assert_refused (th_body_visit_create (BODY ("{\"patient_name\":\"a\",\"patient_name\":\"b\"}"),
                                        &b, &error), &error, "bad-json", NULL);
  assert_refused (th_body_visit_create (BODY ("{\"patient_name\":\"a\",\"patient_id\":\"b\"}"),
                                        &b, &error), &error, "bad-field", NULL);
  assert_refused (th_body_visit_create (BODY ("{\"patient_name\":\" \\t\"}"), &b, &error), &error,
                  "bad-field", "The patient's name must be 1 to 200 characters. Nothing was saved.");
  assert_refused (th_body_visit_create (BODY ("{\"patient_id\":\"x\",\"modality\":\"fax\"}"), &b,
                                        &error), &error, "bad-field",
                  "Choose whether the visit is by video or audio only. Nothing was saved.");
  assert_refused (th_body_visit_create (BODY ("{\"patient_id\":\"x\",\"scheduled_at\":\"soon\"}"),
                                        &b, &error), &error, "bad-field",
                  "The visit's time must be a date and time with its time zone (for example "
                  "2026-12-05T14:30:00-05:00). Nothing was saved.");
  th_visit_create_body_clear (&b);
}

static void
test_sign_in (void)
{
  ThSignInBody b;
  GError *error = NULL;

  g_assert_true (th_body_sign_in (BODY ("{\"username\":\"Dr.Who\",\"password\":\"pw\"}"), &b,
                                  &error));
  g_assert_cmpstr (b.username, ==, "Dr.Who");
  g_assert_cmpstr (b.password, ==, "pw");
  th_sign_in_body_clear (&b);
  g_assert_null (b.password);
  assert_refused (th_body_sign_in (BODY ("{\"username\":\"\",\"password\":\"pw\"}"), &b, &error),
                  &error, "bad-field", "Enter your username and password.");
  assert_refused (th_body_sign_in (BODY ("{\"username\":\"a\",\"password\":\"pw\",\"x\":1}"), &b,
                                   &error), &error, "bad-field", NULL);
}

static void
test_checkin (void)
{
  ThCheckinBody b;
  GError *error = NULL;

  g_assert_true (th_body_checkin (BODY ("{\"phq9\":[0,1,2,3,0,1,2,3,1],\"asrs_a\":[4,4,4,4,0,0],"
                                        "\"side_effects\":[{\"name\":\"nausea\",\"severity\":2}],"
                                        "\"missed_doses\":[{\"order_id\":\"o-1\",\"missed\":3},"
                                        "{\"order_id\":\"o-2\",\"missed\":28}]}"), &b, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (b.n_scales, ==, 2);
  g_assert_cmpint (b.scales[0].kind, ==, SCALE_PHQ9);
  g_assert_cmpuint (b.scales[0].score.total, ==, 13);
  g_assert_true (b.scales[0].score.alert);
  g_assert_cmpint (b.scales[1].kind, ==, SCALE_ASRS_A);
  g_assert_true (b.scales[1].score.positive);
  g_assert_cmpuint (b.n_side_effects, ==, 1);
  g_assert_cmpstr (b.side_effects[0].name, ==, "nausea");
  g_assert_cmpuint (b.n_missed_doses, ==, 2);
  g_assert_cmpstr (b.missed_doses[0].order_id, ==, "o-1");
  g_assert_cmpuint (b.missed_doses[0].missed, ==, 3);
  g_assert_cmpuint (b.missed_doses[1].missed, ==, 28);
  th_checkin_body_clear (&b);

  /* The 18-item symptom checklist, scored into its subscales. */
  g_assert_true (th_body_checkin (BODY ("{\"asrs18\":[4,4,4,4,0,0,4,4,4,4,4,0,0,0,0,0,0,1]}"),
                                  &b, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (b.n_scales, ==, 1);
  g_assert_cmpint (b.scales[0].kind, ==, SCALE_ASRS18);
  g_assert_cmpuint (b.scales[0].score.inattentive, ==, 36);
  g_assert_cmpuint (b.scales[0].score.hyperactive, ==, 1);
  th_checkin_body_clear (&b);
  assert_refused (th_body_checkin (BODY ("{\"asrs18\":[0,0,0]}"), &b, &error), &error,
                  "bad-field", "Please answer all 18 questions of the ASRS v1.1 Symptom Checklist before "
                  "sending. Nothing was saved.");

  assert_refused (th_body_checkin (BODY ("{}"), &b, &error), &error, "bad-field",
                  "Answer at least one question before sending. Nothing was saved.");
  assert_refused (th_body_checkin (BODY ("{\"mood\":1}"), &b, &error), &error, "bad-field",
                  "The check-in had an answer this form does not ask for. Reload the page and "
                  "try again; nothing was saved.");
  assert_refused (th_body_checkin (BODY ("{\"gad7\":[1]}"), &b, &error), &error, "bad-field",
                  "Please answer all 7 questions of the GAD-7 before sending. Nothing was saved.");
  assert_refused (th_body_checkin (BODY ("{\"gad7\":[0,0,0,0,0,0,5]}"), &b, &error), &error,
                  "bad-field",
                  "Question 7 of the GAD-7 needs one of its listed answers. Nothing was saved.");
  /* Each scale's own range: 4 is an ASRS answer, not a PHQ-9 one. */
  assert_refused (th_body_checkin (BODY ("{\"phq9\":[0,0,0,0,0,0,0,0,4]}"), &b, &error), &error,
                  "bad-field",
                  "Question 9 of the PHQ-9 needs one of its listed answers. Nothing was saved.");
  assert_refused (th_body_checkin (BODY ("{\"side_effects\":[{\"name\":\"\",\"severity\":1}]}"),
                                   &b, &error), &error, "bad-field",
                  "Each side effect needs a name (up to 60 characters) and how much it bothers "
                  "you. Nothing was saved.");
  assert_refused (th_body_checkin (BODY ("{\"missed_doses_14d\":3}"), &b, &error), &error,
                  "bad-field", "The check-in had an answer this form does not ask for. Reload the page and "
                  "try again; nothing was saved.");
  assert_refused (th_body_checkin (BODY ("{\"missed_doses\":[{\"order_id\":\"o-1\",\"missed\":-1}]}"),
                                   &b, &error), &error, "bad-field",
                  "Each missed-dose answer needs a whole number of doses, 0 or more. Nothing was saved.");
  assert_refused (th_body_checkin (BODY ("{\"missed_doses\":[{\"order_id\":\"o-1\",\"missed\":1},"
                                         "{\"order_id\":\"o-1\",\"missed\":2}]}"),
                                   &b, &error), &error, "bad-field",
                  "A medicine's missed doses were given twice. Reload the page and try again; nothing "
                  "was saved.");
  g_assert_cmpuint (b.n_missed_doses, ==, 0);
  g_assert_cmpuint (b.n_side_effects, ==, 0);
}

static void
test_texts (void)
{
  GError *error = NULL;
  char *text = NULL;

  g_assert_true (th_body_note (BODY ("{\"text\":\"better\"}"), &text, &error));
  g_assert_cmpstr (text, ==, "better");
  g_clear_pointer (&text, g_free);
  assert_refused (th_body_note (BODY ("{\"text\":\"\\n\"}"), &text, &error), &error, "bad-field",
                  "A note cannot be empty. Nothing was saved.");
  g_assert_null (text);
  {
    /* 33,012 characters (not bytes: "é" is two bytes and one character). */
    GString *big = g_string_new ("{\"text\":\"");
    for (guint i = 0; i < 33012; i++)
      g_string_append (big, i % 2 ? "e" : "\xc3\xa9");
    g_string_append (big, "\"}");
    assert_refused (th_body_note (big->str, big->len, &text, &error), &error, "bad-field",
                    "A note can be at most 5,000 characters; this one has 33,012. Nothing was "
                    "saved.");
    g_string_free (big, TRUE);
  }
  assert_refused (th_body_note (BODY ("{\"text\":12}"), &text, &error), &error, "bad-field",
                  "A note must be text of 1 to 5,000 characters. Nothing was saved.");
  assert_refused (th_body_reason (BODY ("{\"why\":\"x\"}"), &text, &error), &error,
                  "bad-field",
                  "The reason must be text of 1 to 1,000 characters. Nothing was saved.");
  g_assert_true (th_body_guest (BODY ("{\"display_name\":\"Maria\"}"), &text, &error));
  g_assert_cmpstr (text, ==, "Maria");
  g_clear_pointer (&text, g_free);
  assert_refused (th_body_guest (BODY ("{\"display_name\":7}"), &text, &error), &error,
                  "bad-field",
                  "The guest's name must be text of 1 to 100 characters. Nothing was saved.");
}

static void
test_adjustment (void)
{
  ThAdjustmentBody b;
  GError *error = NULL;

  g_assert_true (th_body_adjustment (BODY ("{\"kind\":\"change-dose\",\"order_id\":\"o1\","
                                           "\"dose\":100,\"frequency\":\"once-daily\","
                                           "\"reason\":\"partial response\"}"), &b, &error));
  g_assert_cmpint (b.kind, ==, ADJUST_CHANGE_DOSE);
  g_assert_cmpstr (b.kind_name, ==, "change-dose");
  g_assert_cmpstr (b.order_id, ==, "o1");
  g_assert_null (b.medication_id);
  g_assert_cmpfloat (b.dose, ==, 100.0);
  th_adjustment_body_clear (&b);
  /* What catalog v2 added: a split dose, an as-needed maximum, a supply. */
  g_assert_true (th_body_adjustment (BODY ("{\"kind\":\"start\",\"medication\":\"lithium-carbonate-ir\","
                                           "\"dose\":300,\"bedtime_dose\":600,"
                                           "\"frequency\":\"morning-and-bedtime\",\"supply_days\":30,"
                                           "\"refills\":2,\"prn_max_per_day\":0,\"reason\":\"x\"}"),
                                     &b, &error));
  g_assert_cmpfloat (b.bedtime_dose, ==, 600);
  g_assert_cmpuint (b.supply_days, ==, 30);
  g_assert_cmpuint (b.refills, ==, 2);
  th_adjustment_body_clear (&b);
  assert_refused (th_body_adjustment (BODY ("{\"kind\":\"start\",\"supply_days\":91,\"reason\":\"x\"}"),
                                      &b, &error), &error, "bad-field", "The days of supply must be 1 to 90. Nothing was saved.");
  assert_refused (th_body_adjustment (BODY ("{\"kind\":\"start\",\"refills\":12,\"reason\":\"x\"}"),
                                      &b, &error), &error, "bad-field", "Refills must be 0 to 11. Nothing was saved.");
  assert_refused (th_body_adjustment (BODY ("{\"kind\":\"start\",\"refills\":1.5,\"reason\":\"x\"}"),
                                      &b, &error), &error, "bad-field", NULL);
  assert_refused (th_body_adjustment (BODY ("{\"kind\":\"pause\",\"reason\":\"x\"}"), &b, &error),
                  &error, "bad-field", NULL);
  assert_refused (th_body_adjustment (BODY ("{\"kind\":\"stop\",\"reason\":\" \"}"), &b, &error),
                  &error, "bad-field", "The reason cannot be empty. Nothing was saved.");
}

/* POST /api/visits/<id>/follow-up: weeks or a date, a time; each refusal
 * names its field. */
static void
test_follow_up (void)
{
  static const struct {
    const char *body, *field;
  } refused[] = {
    { "{}", "weeks" },
    { "{\"weeks\":2,\"date\":\"2027-03-19\"}", "weeks" },
    { "{\"weeks\":0}", "weeks" },
    { "{\"weeks\":53}", "weeks" },
    { "{\"weeks\":2.5}", "weeks" },
    { "{\"weeks\":\"2\"}", "weeks" },
    { "{\"date\":\"2027-02-30\"}", "date" },
    { "{\"date\":\"19/03/2027\"}", "date" },
    { "{\"weeks\":2,\"time\":\"24:00\"}", "time" },
    { "{\"weeks\":2,\"time\":\"9:30\"}", "time" },
    { "{\"weeks\":2,\"when\":\"soon\"}", NULL },
  };
  ThFollowUpBody b;
  const char *field = NULL;
  GError *error = NULL;

  g_assert_true (th_body_follow_up (BODY ("{\"weeks\":2}"), &b, &field, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (b.weeks, ==, 2);
  g_assert_false (g_date_valid (&b.date));
  g_assert_false (b.has_time);
  g_assert_true (
    th_body_follow_up (BODY ("{\"date\":\"2027-03-19\",\"time\":\"09:30\"}"), &b, &field, &error));
  g_assert_cmpuint (b.weeks, ==, 0);
  g_assert_true (g_date_valid (&b.date));
  g_assert_cmpuint (g_date_get_day (&b.date), ==, 19);
  g_assert_true (b.has_time);
  g_assert_cmpuint (b.hour, ==, 9);
  g_assert_cmpuint (b.minute, ==, 30);
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++) {
    g_assert_false (th_body_follow_up (BODY (refused[i].body), &b, &field, &error));
    g_assert_error (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD);
    g_assert_cmpstr (field, ==, refused[i].field);
    g_clear_error (&error);
  }
  g_assert_false (th_body_follow_up (BODY ("[2]"), &b, &field, &error));
  g_assert_error (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_JSON);
  g_clear_error (&error);
}

static void
test_evaluation (void)
{
  ThEvaluationBody b;
  GError *error = NULL;

  g_assert_true (th_body_in_person_evaluation (BODY ("{\"date\":\"2024-11-02\"}"), &b, &error));
  g_assert_cmpstr (b.date, ==, "2024-11-02");
  /* A calendar date, no time of day and no zone. */
  g_assert_true (g_date_valid (&b.day));
  g_assert_cmpuint (g_date_get_year (&b.day), ==, 2024);
  g_assert_cmpuint (g_date_get_month (&b.day), ==, 11);
  g_assert_cmpuint (g_date_get_day (&b.day), ==, 2);
  g_assert_true (th_body_in_person_evaluation (BODY ("{\"date\":\"2028-02-29\"}"), &b, &error));
  assert_refused (th_body_in_person_evaluation (BODY ("{\"date\":\"2027-02-29\"}"), &b, &error),
                  &error, "bad-field", "The evaluation date must be a calendar date written YYYY-MM-DD (for example 2026-11-03). Nothing was saved.");
  assert_refused (th_body_in_person_evaluation (BODY ("{\"date\":\"2024-11-02T10:00:00Z\"}"), &b,
                                                &error),
                  &error, "bad-field", "The evaluation date must be a calendar date written YYYY-MM-DD (for example 2026-11-03). Nothing was saved.");
  assert_refused (th_body_in_person_evaluation (BODY ("{\"date\":\"2024-1-02\"}"), &b, &error),
                  &error, "bad-field", "The evaluation date must be a calendar date written YYYY-MM-DD (for example 2026-11-03). Nothing was saved.");
  assert_refused (th_body_in_person_evaluation (BODY ("{\"date\":\"2024-02-30\"}"), &b, &error),
                  &error, "bad-field",
                  "The evaluation date must be a calendar date written YYYY-MM-DD (for example "
                  "2026-11-03). Nothing was saved.");
}

static void
test_routes (void)
{
  ThRouteParams params;
  char *storage = NULL;
  char long_id[TH_ROUTE_MAX_ID + 2];

  g_assert_true (th_route_match ("/api/visits/:visit/record", "/api/visits/abc-1/record", &params));
  g_assert_cmpuint (params.n, ==, 1);
  g_assert_cmpstr (th_route_param (&params, "visit"), ==, "abc-1");
  g_assert_null (th_route_param (&params, "order"));
  /* Ids are ours or nothing: lowercase letters, digits and '-', 1..64. */
  g_assert_false (th_route_match ("/api/visits/:visit/record", "/api/visits/ABC/record", NULL));
  g_assert_false (th_route_match ("/api/visits/:visit/record", "/api/visits/a%2e/record", NULL));
  g_assert_false (th_route_match ("/api/visits/:visit/record", "/api/visits//record", NULL));
  g_assert_false (th_route_match ("/api/visits/:visit/record", "/api/visits/a/b/c", NULL));
  g_assert_false (th_route_match ("/api/visits/:visit/record", "/api/visits/a/record/", NULL));
  g_assert_false (th_route_match ("/api/visits/:visit", "/api/visits/0a/record", NULL));
  g_assert_false (th_route_match ("/api/visits/:visit", "/api/visits", NULL));
  g_assert_true (th_route_match ("/api/visits", "/api/visits", &params));
  g_assert_cmpuint (params.n, ==, 0);
  memset (long_id, 'a', sizeof long_id - 1);
  long_id[sizeof long_id - 1] = '\0';
  {
    g_autofree char *too_long = g_strconcat ("/api/orders/", long_id, "/cosign", NULL);
    g_autofree char *just_fits = g_strconcat ("/api/orders/", long_id + 1, "/cosign", NULL);
    g_assert_false (th_route_match ("/api/orders/:order/cosign", too_long, NULL));
    g_assert_true (th_route_match ("/api/orders/:order/cosign", just_fits, &params));
    g_assert_cmpuint (strlen (th_route_param (&params, "order")), ==, TH_ROUTE_MAX_ID);
  }
  g_assert_true (th_route_match ("/api/visits/:visit/guests/:participant/revoke",
                                 "/api/visits/0a/guests/b1/revoke", &params));
  g_assert_cmpstr (th_route_param (&params, "visit"), ==, "0a");
  g_assert_cmpstr (th_route_param (&params, "participant"), ==, "b1");
  g_assert_false (th_route_match ("/api/visits/:visit/guests/:participant/revoke",
                                  "/api/visits/0a/guests/b1/revoke/x", NULL));
  /* Patterns a route may have. */
  g_assert_true (th_route_pattern_valid ("/api/visits/:visit/guests/:participant/revoke"));
  g_assert_true (th_route_pattern_valid ("/healthz"));
  g_assert_false (th_route_pattern_valid ("api/visits"));
  g_assert_false (th_route_pattern_valid ("/api//visits"));
  g_assert_false (th_route_pattern_valid ("/api/visits/"));
  g_assert_false (th_route_pattern_valid ("/api/visits/:"));
  g_assert_false (th_route_pattern_valid ("/api/:a/:a"));
  g_assert_false (th_route_pattern_valid ("/api/:a/:b/:c/:d"));
  g_assert_false (th_route_pattern_valid ("/api/Visits"));
  g_assert_cmpstr (th_query_param ("x=1&day=2025-01-02", "day", &storage), ==, "2025-01-02");
  g_clear_pointer (&storage, g_free);
  g_assert_null (th_query_param ("dayx=1", "day", &storage));
  g_assert_true (th_path_climbs ("/a/%2e%2e/b"));
  g_assert_true (th_path_climbs ("/a/%252e%252e/b"));
  g_assert_true (th_path_climbs ("/a\\b"));
  g_assert_true (th_path_climbs ("/a%00b"));
  g_assert_false (th_path_climbs ("/patient.html"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/api-bodies/visit-create", test_visit_create);
  g_test_add_func ("/api-bodies/sign-in", test_sign_in);
  g_test_add_func ("/api-bodies/checkin", test_checkin);
  g_test_add_func ("/api-bodies/texts", test_texts);
  g_test_add_func ("/api-bodies/adjustment", test_adjustment);
  g_test_add_func ("/api-bodies/evaluation", test_evaluation);
  g_test_add_func ("/api-bodies/follow-up", test_follow_up);
  g_test_add_func ("/api-routes/all", test_routes);
  return g_test_run ();
}
