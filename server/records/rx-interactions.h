/* rx-interactions.h — the interactions section of records-rx.h: pairs of
 * drugs or classes (config/interactions.json), checked across the
 * patient's orders and medications from elsewhere.
 *
 * The file holds a vocabulary (ingredient -> RxNorm ingredient code and
 * tags: "ssri", "maoi", "qtc-prolonging"...) and rules (two sides, each a
 * set of tags and/or ingredients; major or moderate; the clinical text,
 * what to do, the source; an optional washout). Loading is strict: an
 * unknown key or tag, a missing source, or a catalog ingredient missing
 * from the vocabulary refuses the whole file, naming the entry and field. */
#pragma once

#if !defined(TH_RECORDS_H_INSIDE)
#error "include server/records/records.h, not rx-interactions.h"
#endif

/* One ingredient of the vocabulary. */
typedef struct {
  char *ingredient; /* lower case: "sertraline", "lithium carbonate" */
  char *rxnorm;     /* RxNorm ingredient code, NULL when there is none */
  char *source;     /* the sources block's text for that code */
  char **tags;      /* NULL-terminated */
} RxVocabEntry;

/* One side of a rule, or the drug a washout follows. */
typedef struct {
  char **tags;        /* NULL-terminated, may be empty */
  char **ingredients; /* NULL-terminated, may be empty */
} RxSide;

typedef struct {
  RxSide stopped;
  guint days; /* the rule still applies until this many days after the stop */
} RxWashout;

typedef struct {
  char *id;            /* the finding's rule code: "serotonergic-duplication" */
  RxSeverity severity; /* RX_MAJOR or RX_WARN (moderate) */
  RxSide a, b;
  char *title;
  char *text;   /* the clinical text: the risk */
  char *action; /* what to do */
  char *source;
  RxWashout *washouts; /* in file order: the first that matches the stopped drug decides */
  guint n_washouts;
} RxInteractionRule;

struct _RxInteractionTable {
  GPtrArray *vocab;    /* RxVocabEntry *, file order */
  GHashTable *by_name; /* ingredient -> RxVocabEntry * (borrowed) */
  GPtrArray *rules;    /* RxInteractionRule * */
  guint n_rules;
};

/* Loads and validates path; every ingredient of `catalog` (its lower-cased
 * Medication.name) must be in the vocabulary. NULL + CLINICAL_ERROR_CATALOG
 * naming the file, the entry and the field otherwise. */
RxInteractionTable *rx_interactions_load (const char *path, const MedCatalog *catalog,
                                          GError **error);
void rx_interactions_free (RxInteractionTable *t);

/* The vocabulary entry of an ingredient (any case), or NULL. */
const RxVocabEntry *rx_vocab_find (const RxInteractionTable *t, const char *ingredient);
/* The first vocabulary entry with this RxNorm code, or NULL. */
const RxVocabEntry *rx_vocab_find_rxnorm (const RxInteractionTable *t, const char *code);
guint rx_vocab_size (const RxInteractionTable *t);
const RxVocabEntry *rx_vocab_get (const RxInteractionTable *t, guint index);
gboolean rx_vocab_has_tag (const RxVocabEntry *e, const char *tag);

/* The check (records-rx.h): the new medication against every live drug of
 * f->drugs (not stopped, not replaced); stopped drugs, and the replaced one
 * (stopped now), only for rules with a washout. Drugs the vocabulary does
 * not know (free text from elsewhere) make one warning that they could not
 * be checked. Major rules add RX_MAJOR, moderate ones RX_WARN. */
void rx_check_interactions (const RxCheckFacts *f, GPtrArray *findings);
