/* test_labs_body.c — POST /api/patients/<id>/observations at the edge
 * (server/api/bodies_labs.c): a known kind with a believable value becomes
 * typed values; anything else is refused in the clinician's words. */
#include <string.h>

#include <glib.h>

#include "server/api/api-bodies.h"

static gboolean
decode (const char *json, ThObservationBody *b, char **message)
{
  GError *error = NULL;
  gboolean ok = th_body_observation (json, strlen (json), b, &error);

  *message = error ? g_strdup (error->message) : NULL;
  if (error) {
    g_assert_true (error->domain == TH_BODY_ERROR);
    g_error_free (error);
  }
  return ok;
}

static void
test_accepted (void)
{
  ThObservationBody b;
  g_autofree char *m1 = NULL, *m2 = NULL, *m3 = NULL;

  g_assert_true (decode ("{\"kind\":\"lithium\",\"value\":1.5}", &b, &m1));
  g_assert_cmpstr (b.kind->code, ==, "lithium");
  g_assert_cmpfloat (b.value, ==, 1.5);
  g_assert_false (b.has_value2);
  g_assert_false (b.has_effective);
  g_assert_cmpstr (b.visit_id, ==, "");
  g_assert_true (decode ("{\"kind\":\"blood-pressure\",\"value\":128,\"value2\":82,"
                         "\"effective_at\":\"2026-11-12\",\"visit_id\":\"v-1\"}",
                         &b, &m2));
  g_assert_true (b.has_value2);
  g_assert_cmpfloat (b.value2, ==, 82);
  g_assert_true (b.has_effective && b.effective_is_date);
  g_assert_cmpuint (g_date_get_day (&b.effective_day), ==, 12);
  g_assert_cmpstr (b.visit_id, ==, "v-1");
  g_assert_true (decode ("{\"kind\":\"qtc\",\"value\":480,"
                         "\"effective_at\":\"2026-11-12T09:30:00-06:00\"}",
                         &b, &m3));
  g_assert_false (b.effective_is_date);
  g_assert_cmpint (b.effective_ms, ==, G_GINT64_CONSTANT (1794497400000));
}

static void
test_refused (void)
{
  static const struct {
    const char *json, *says;
  } cases[] = {
    { "[1]", "" },
    { "{\"kind\":\"lithum\",\"value\":1}", "\"lithum\" is not a lab or vital sign" },
    { "{\"kind\":\"lithium\"}", "needs a kind and a value" },
    { "{\"kind\":\"lithium\",\"value\":\"1.5\"}", "must be a number" },
    { "{\"kind\":\"lithium\",\"value\":15}", "Lithium level of 15 mmol/L cannot be right" },
    { "{\"kind\":\"lithium\",\"value\":-0.1}", "cannot be right" },
    { "{\"kind\":\"blood-pressure\",\"value\":120}", "needs both numbers" },
    { "{\"kind\":\"blood-pressure\",\"value\":80,\"value2\":120}",
      "the second number is the lower" },
    { "{\"kind\":\"heart-rate\",\"value\":80,\"value2\":60}", "is one number" },
    { "{\"kind\":\"lithium\",\"value\":1,\"effective_at\":\"2026-02-30\"}", "The date taken" },
    { "{\"kind\":\"lithium\",\"value\":1,\"effective_at\":\"2026-11-12T09:30:00\"}",
      "with its zone" },
    { "{\"kind\":\"lithium\",\"value\":1,\"visit_id\":\"\"}", "visit_id" },
    { "{\"kind\":\"lithium\",\"value\":1,\"unit\":\"mEq/L\"}", "nothing else" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    ThObservationBody b;
    g_autofree char *message = NULL;

    if (decode (cases[i].json, &b, &message))
      g_error ("case %zu accepted: %s", i, cases[i].json);
    if (!strstr (message, cases[i].says) || !strstr (message, "Nothing was saved"))
      g_error ("case %zu: \"%s\" does not say \"%s\"", i, message, cases[i].says);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/labs-body/accepted", test_accepted);
  g_test_add_func ("/labs-body/refused", test_refused);
  return g_test_run ();
}
