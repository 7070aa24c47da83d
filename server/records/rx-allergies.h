/* rx-allergies.h — the allergies section of records-rx.h (allergies and
 * intolerances, a lamotrigine rechallenge after a rash) and the ICD-10-CM
 * subset of diagnoses (config/conditions.json). */
#pragma once

#if !defined(TH_RECORDS_H_INSIDE)
#error "include server/records/records.h, not rx-allergies.h"
#endif

/* ------------------------------------------------------------ diagnoses */

#define RX_ICD10CM_SYSTEM "http://hl7.org/fhir/sid/icd-10-cm"

/* One diagnosis of the clinic's list. */
typedef struct {
  char *code;    /* "F33.1": billable as written */
  char *display; /* the code's title in the ICD-10-CM tabular list */
  char *group;   /* "Major depressive disorder, recurrent" */
} RxCondition;

struct _RxConditionTable {
  RxCondition *conditions; /* in the file's order */
  guint n_conditions;
  char *source; /* the code set and where it was published */
  GHashTable *by_code;
};

/* Loads config/conditions.json (version 1): strict; errors name the file,
 * the entry and the field. A code that does not look like an ICD-10-CM
 * code, a code twice, or an empty title refuses the whole file. */
RxConditionTable *rx_conditions_load (const char *path, GError **error);
void rx_conditions_free (RxConditionTable *t);
/* The entry for `code` (exact, as ICD-10-CM writes it: "F33.1"), or NULL. */
const RxCondition *rx_condition_find (const RxConditionTable *t, const char *code);

/* The wire's words, each a FHIR R4 code: condition-clinical ("active",
 * "recurrence", "relapse", "inactive", "remission", "resolved") and
 * condition-ver-status ("unconfirmed", "provisional", "differential",
 * "confirmed", "refuted", "entered-in-error"). */
gboolean rx_condition_clinical_valid (const char *status);
gboolean rx_condition_verification_valid (const char *status);
/* "active", "recurrence" and "relapse" are the conditions an order may
 * treat (FHIR's condition-clinical: the active group). */
gboolean rx_condition_clinical_is_active (const char *status);

/* ------------------------------------------------------------ allergies */

/* What a reaction looked like: a short list a prescriber picks from. */
typedef struct {
  const char *code;   /* the wire word: "rash" */
  const char *text;   /* for sentences: "a rash" */
  const char *snomed; /* SNOMED CT, only where the concept is certain; else NULL */
  const char *snomed_display;
  gboolean skin; /* a rash-type reaction (lamotrigine rechallenge) */
} RxManifestation;

/* rash | sjs-ten | anaphylaxis | angioedema | hives | other; NULL otherwise. */
const RxManifestation *rx_manifestation_find (const char *code);
const RxManifestation *rx_manifestations (guint *n);

/* Each TRUE for the wire's words: type allergy | intolerance; severity
 * mild | moderate | severe; criticality low | high | unable-to-assess;
 * status active | inactive | resolved | entered-in-error. */
gboolean rx_allergy_type_valid (const char *type);
gboolean rx_allergy_severity_valid (const char *severity);
gboolean rx_allergy_criticality_valid (const char *criticality);
gboolean rx_allergy_status_valid (const char *status);

/* One recorded allergy or intolerance, as the check sees it. */
typedef struct {
  char *substance_kind; /* "ingredient" | "class" | "other" */
  char *substance;      /* ingredient lower case ("lamotrigine"), the catalog's class
                           ("SSRI"), or free text */
  gboolean intolerance; /* FALSE: an allergy */
  char *manifestation;  /* rx_manifestation_find's code, NULL when none recorded */
  char *reaction;       /* free text, may be NULL */
  char *status;         /* active | inactive | resolved | entered-in-error */
  GDate noted;          /* the onset when recorded, else the day it was recorded */
} RxAllergy;

struct _RxAllergyFacts {
  RxAllergy *allergies;
  guint n_allergies;
};

RxAllergyFacts *rx_allergy_facts_new (void);
/* Copies the strings. */
void rx_allergy_facts_add (RxAllergyFacts *facts, const RxAllergy *allergy);
void rx_allergy_facts_free (RxAllergyFacts *facts);

/* The rules (sources in rx_allergies.c):
 *   allergy         — an active allergy to the order's ingredient: refused;
 *   class-allergy   — an active allergy to the order's class: refused;
 *   intolerance     — an active intolerance to the ingredient or class: warns;
 *   lamotrigine-rechallenge — lamotrigine after a recorded rash or SJS/TEN to
 *                     it (any status but entered-in-error): refused.
 * Entered-in-error entries are never looked at; inactive and resolved ones
 * only by the rechallenge rule. */
void rx_check_allergies (const RxCheckFacts *f, GPtrArray *findings);
