/* rx_allergies.c — the allergies section of the prescribing safety check
 * (records-rx.h): an order for a recorded allergen or its class is refused,
 * an intolerance warns, and lamotrigine is not restarted after a rash.
 * Pure: the API gathers the patient's allergies (rx_gather_allergies.c). */
#include "server/records/records.h"

#include <string.h>

/* The reactions a prescriber picks from. SNOMED CT codes only where the
 * concept is certain (anaphylaxis 39579001, the code FHIR R4's own
 * AllergyIntolerance example uses; eruption of skin 271807003); the others
 * are exported as text rather than guessed. */
static const RxManifestation kManifestations[] = {
  { "rash", "a rash", "271807003", "Eruption of skin", TRUE },
  { "sjs-ten", "Stevens-Johnson syndrome / toxic epidermal necrolysis", NULL, NULL, TRUE },
  { "anaphylaxis", "anaphylaxis", "39579001", "Anaphylaxis", FALSE },
  { "angioedema", "angioedema", NULL, NULL, FALSE },
  { "hives", "hives", NULL, NULL, FALSE },
  { "other", "another reaction", NULL, NULL, FALSE },
};

const RxManifestation *
rx_manifestations (guint *n)
{
  *n = G_N_ELEMENTS (kManifestations);
  return kManifestations;
}

const RxManifestation *
rx_manifestation_find (const char *code)
{
  for (guint i = 0; code && i < G_N_ELEMENTS (kManifestations); i++)
    if (strcmp (kManifestations[i].code, code) == 0)
      return &kManifestations[i];
  return NULL;
}

static gboolean
word_in (const char *const *list, const char *word)
{
  return word && g_strv_contains (list, word);
}

/* FHIR R4 AllergyIntolerance: type, reaction.severity, criticality and
 * clinicalStatus (with verificationStatus entered-in-error as one more
 * status the clinic sets). */
gboolean
rx_allergy_type_valid (const char *type)
{
  static const char *const k[] = { "allergy", "intolerance", NULL };
  return word_in (k, type);
}

gboolean
rx_allergy_severity_valid (const char *severity)
{
  static const char *const k[] = { "mild", "moderate", "severe", NULL };
  return word_in (k, severity);
}

gboolean
rx_allergy_criticality_valid (const char *criticality)
{
  static const char *const k[] = { "low", "high", "unable-to-assess", NULL };
  return word_in (k, criticality);
}

gboolean
rx_allergy_status_valid (const char *status)
{
  static const char *const k[] = { "active", "inactive", "resolved", "entered-in-error", NULL };
  return word_in (k, status);
}

/* ------------------------------------------------------------ facts */

RxAllergyFacts *
rx_allergy_facts_new (void)
{
  return g_new0 (RxAllergyFacts, 1);
}

void
rx_allergy_facts_add (RxAllergyFacts *facts, const RxAllergy *a)
{
  RxAllergy *copy;

  facts->allergies = g_renew (RxAllergy, facts->allergies, facts->n_allergies + 1);
  copy = &facts->allergies[facts->n_allergies++];
  *copy = *a;
  copy->substance_kind = g_strdup (a->substance_kind);
  copy->substance = g_strdup (a->substance);
  copy->manifestation = g_strdup (a->manifestation);
  copy->reaction = g_strdup (a->reaction);
  copy->status = g_strdup (a->status);
}

void
rx_allergy_facts_free (RxAllergyFacts *facts)
{
  if (!facts)
    return;
  for (guint i = 0; i < facts->n_allergies; i++) {
    RxAllergy *a = &facts->allergies[i];
    g_free (a->substance_kind);
    g_free (a->substance);
    g_free (a->manifestation);
    g_free (a->reaction);
    g_free (a->status);
  }
  g_free (facts->allergies);
  g_free (facts);
}

/* ------------------------------------------------------------ the rules */

#define SOURCE_ALLERGY                                                                   \
  "FDA labels, 4 Contraindications: known hypersensitivity to the drug (each product's " \
  "prescribing information, DailyMed)"
#define SOURCE_CLASS_ALLERGY                                                                \
  "Clinic policy (issue 15): an allergy recorded to a drug class counts for every drug of " \
  "that class until an allergist documents otherwise"
#define SOURCE_INTOLERANCE                                                   \
  "Clinic policy (issue 15): an intolerance is a non-immune reaction (FHIR " \
  "AllergyIntolerance.type); the order goes ahead, the finding is kept with it"
#define SOURCE_RECHALLENGE                                                                   \
  "FDA label (Lamictal), Boxed Warning and 5.1 Serious Skin Rashes; 2.1: restarting after "  \
  "a rash associated with prior lamotrigine is not recommended unless the rash was clearly " \
  "not drug related"

/* "hives (welts on both arms), noted 3 Mar 2025" */
static char *
reaction_words (const RxAllergy *a)
{
  const RxManifestation *m = rx_manifestation_find (a->manifestation);
  g_autofree char *day = NULL;
  GString *s = g_string_new (NULL);

  if (g_date_valid (&a->noted)) {
    char buf[32];
    g_date_strftime (buf, sizeof buf, "%-d %b %Y", &a->noted);
    day = g_strdup (buf);
  }
  g_string_append (s, m ? m->text : "no reaction recorded");
  if (a->reaction && *a->reaction)
    g_string_append_printf (s, " (%s)", a->reaction);
  if (day)
    g_string_append_printf (s, ", noted %s", day);
  return g_string_free (s, FALSE);
}

static gboolean
is_rash (const RxAllergy *a)
{
  const RxManifestation *m = rx_manifestation_find (a->manifestation);
  return m && m->skin;
}

static void
check_one (const RxCheckFacts *f, const RxAllergy *a, const char *ingredient, GPtrArray *out)
{
  const char *klass = f->medication->drug_class;
  gboolean on_ingredient = g_strcmp0 (a->substance_kind, "ingredient") == 0 &&
                           g_ascii_strcasecmp (a->substance, ingredient) == 0;
  gboolean on_class = g_strcmp0 (a->substance_kind, "class") == 0 && klass &&
                      g_ascii_strcasecmp (a->substance, klass) == 0;
  g_autofree char *words = reaction_words (a);
  const char *what = a->intolerance ? "intolerance" : "allergy";

  if (!on_ingredient && !on_class)
    return;
  /* A rash with lamotrigine stays a reason not to restart it after the
   * entry is marked inactive or resolved: only "entered in error" (the
   * rash was clearly not the drug's) lifts it. */
  if (on_ingredient && strcmp (ingredient, "lamotrigine") == 0 && is_rash (a)) {
    rx_add (out, RX_REFUSE, "lamotrigine-rechallenge", "Lamotrigine after a rash",
            SOURCE_RECHALLENGE,
            "A rash was recorded with lamotrigine (%s, %s). Lamotrigine is not restarted after a "
            "rash: its boxed warning is for serious skin rashes, Stevens-Johnson syndrome and "
            "toxic epidermal necrolysis. Choose another medicine; if the rash was clearly not "
            "caused by lamotrigine, mark that %s entered in error with the reason first.",
            what, words, what);
    return;
  }
  if (g_strcmp0 (a->status, "active") != 0)
    return;
  if (a->intolerance) {
    rx_add (out, RX_WARN, "intolerance", "Recorded intolerance", SOURCE_INTOLERANCE,
            "The patient has a recorded intolerance to %s (%s). The order for %s goes ahead; "
            "watch for the same reaction and tell the patient what to look for.",
            a->substance, words, f->medication->name);
  } else if (on_ingredient) {
    rx_add (out, RX_REFUSE, "allergy", "Recorded allergy", SOURCE_ALLERGY,
            "The patient has a recorded allergy to %s (%s). %s cannot be ordered: choose a "
            "medicine the patient is not allergic to; if the allergy was recorded in error, "
            "mark it entered in error first.",
            a->substance, words, f->medication->name);
  } else {
    rx_add (out, RX_REFUSE, "class-allergy", "Allergy to this class", SOURCE_CLASS_ALLERGY,
            "The patient has a recorded allergy to the %s class (%s), and %s is one of them. It "
            "cannot be ordered: choose a medicine of another class; if the allergy was recorded "
            "in error, mark it entered in error first.",
            a->substance, words, f->medication->name);
  }
}

void
rx_check_allergies (const RxCheckFacts *f, GPtrArray *findings)
{
  g_autofree char *ingredient = NULL;

  if (!f->allergies || !f->medication || !f->medication->name)
    return;
  ingredient = g_ascii_strdown (f->medication->name, -1);
  for (guint i = 0; i < f->allergies->n_allergies; i++) {
    const RxAllergy *a = &f->allergies->allergies[i];
    /* Entered in error: it never happened. */
    if (g_strcmp0 (a->status, "entered-in-error") == 0 || !a->substance)
      continue;
    check_one (f, a, ingredient, findings);
  }
}
