/* catalog-private.h — what the catalog's loader (catalog.c) shares with the
 * parsers of issue 15's per-entry data (catalog_rx.c). Records only. */
#pragma once

#include "server/records/records.h"

#include <jansson.h>

/* Each parses its optional member of an entry into m (v NULL: absent, TRUE);
 * FALSE with *msg (g_free) naming the field otherwise. Called once the
 * entry's strengths, frequencies and maximum are known. */
gboolean med_titration_parse (json_t *v, Medication *m, char **msg);
gboolean med_pregnancy_parse (json_t *v, Medication *m, char **msg);
void med_titration_free (MedTitration *t);
void med_pregnancy_free (MedPregnancy *p);
