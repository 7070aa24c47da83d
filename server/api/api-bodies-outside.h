/* api-bodies-outside.h — the bodies of the medications-from-elsewhere
 * routes (issue 15), decoded by pure functions like the rest of
 * api-bodies.h (bodies_other_meds.c; fuzzed by tests/fuzz). Which drug a
 * name or code stands for is the route's business (the interaction table). */
#pragma once

#include "server/api/api-bodies.h"

/* POST /api/patients/<id>/other-medications {"name"?, "rxnorm"?, "dose"?,
 * "prescriber"?, "stopped_on"?, "verified"?}. Text fields: null or "" for
 * none, else 1..200 characters; rxnorm: 1..10 digits; stopped_on: a real
 * date, not after `today`. Messages end "Nothing was saved." */
typedef struct {
  char *name;          /* NULL: none given (a known rxnorm may name it) */
  char *rxnorm;        /* NULL or digits */
  char *dose;          /* NULL or text */
  char *prescriber;    /* NULL or text */
  char stopped_on[11]; /* "" when active */
  gboolean verified;
} ThOtherMedBody;
gboolean th_body_other_med (const char *body, gsize len, const GDate *today, ThOtherMedBody *out,
                            GError **error);
void th_other_med_body_clear (ThOtherMedBody *b);

/* POST .../other-medications/<id>/stop: an empty body or {"stopped_on"?};
 * out gets the date, "" for today. */
gboolean th_body_other_med_stop (const char *body, gsize len, const GDate *today, char out[11],
                                 GError **error);
