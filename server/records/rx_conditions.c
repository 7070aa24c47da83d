/* rx_conditions.c — the ICD-10-CM subset of diagnoses (records-rx.h).
 * PLACEHOLDER: replaced by the diagnoses work of issue 15. */
#include "server/records/records.h"

RxConditionTable *
rx_conditions_load (const char *path, GError **error)
{
  (void) path;
  (void) error;
  return g_new0 (RxConditionTable, 1);
}

void
rx_conditions_free (RxConditionTable *t)
{
  g_free (t);
}
