/* store-reproductive.h — part of the store's face: the patient's pregnancy
 * potential (issue 15, item 6; migration 25 in migrations_rx.c), read by
 * the prescribing safety check (rx-titration.h). Append-only: each save is
 * a whole row, the newest is the record. Other parts include
 * server/store/store.h, which includes this file. */
#pragma once

#if !defined(TH_STORE_H_INSIDE)
#error "include server/store/store.h, not store-reproductive.h"
#endif

typedef struct {
  gint64 id;
  RxReproductive r; /* records.h */
  char *recorded_by;
  char *recorded_by_name;
  gint64 recorded_at_ms;
} StoreReproductive;

void store_reproductive_free (gpointer row);
/* Appends the patient's record as it now stands (checked again by the
 * table: a row it refuses is STORE_ERROR_INVALID). NOT_FOUND without the
 * patient. */
gboolean store_reproductive_add (Store *store, const char *patient_id, const RxReproductive *r,
                                 const char *staff_id, gint64 now_ms, GError **error);
/* The patient's rows, newest first (StoreReproductive *); empty when none. */
GPtrArray *store_reproductive_history (Store *store, const char *patient_id, GError **error);
