/* api-diary.h — what the diary's two route files share (diary.c, the
 * patient's page; diary_staff.c, the links and the staff's reading). */
#pragma once

#include "server/api/api-private.h"

G_BEGIN_DECLS

/* The diary reaches this many days before the patient's today. */
#define TH_DIARY_DAYS_BACK 7

/* The patient's today in their own time zone (the clinic's when they have
 * none), by the server's clock. */
void th_diary_today (ThApp *app, const StorePatient *patient, GDate *out);
/* A day's record for the wire; the alerts only for staff. */
json_t *th_diary_day_json (const StoreDiaryDay *d, gboolean with_alerts);
/* "YYYY-MM-DD" of `today` less `days`. */
char *th_diary_day_back (const GDate *today, guint days);

G_END_DECLS
