/* monitoring-private.h — the monitoring table as loaded (monitoring.c),
 * shared with the due-date rules (monitoring_due.c). records/ only. */
#pragma once

#include "server/records/records.h"

G_BEGIN_DECLS

typedef enum { MON_OP_GT, MON_OP_GE, MON_OP_LT, MON_OP_LE } MonOp;

/* A threshold: `value op threshold`, on the first number or the diastolic. */
typedef struct {
  MonOp op;
  double value;
  gboolean diastolic;
} MonTest;

typedef struct {
  MonTest test;
  char *flag; /* N is never listed: it is what no flag means */
  char *says;
  const char *source; /* the sources block's text (borrowed) */
} MonFlag;

typedef struct {
  MonTest test;
  char *rule;
  char *says;
  const char *source;
  GStrv on; /* medication ids; NULL: whatever the patient takes */
} MonAlert;

typedef struct {
  char *kind;
  gboolean has_range;
  MonitoringRange range; /* text owned (cast), source borrowed */
  GPtrArray *flags;      /* MonFlag* */
  GPtrArray *alerts;     /* MonAlert* */
} MonKind;

typedef enum {
  MON_WHEN_AFTER_CHANGE,
  MON_WHEN_PERIODIC,
  MON_WHEN_BASELINE,
  MON_WHEN_AT_WEEKS,
  MON_WHEN_EACH_VISIT,
} MonWhen;

#define MON_MAX_WEEKS 8

typedef struct {
  char *id;
  char *what;
  GStrv kinds;
  GStrv medications; /* NULL when by class only */
  GStrv classes;     /* NULL when by medication only */
  MonWhen when;
  guint first, second; /* after-change: days; periodic: months (due, overdue) */
  guint weeks[MON_MAX_WEEKS];
  guint n_weeks;
  guint lookback_days, grace_days;
  const char *source;
} MonRule;

struct _MonitoringCatalog {
  GHashTable *sources; /* id -> text */
  GHashTable *kinds;   /* kind code -> MonKind* */
  GPtrArray *rules;    /* MonRule*, file order */
};

gboolean mon_test_holds (const MonTest *t, double value, gboolean has_value2, double value2);

G_END_DECLS
