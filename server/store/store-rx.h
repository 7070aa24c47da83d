/* store-rx.h — part of the store's face: real prescriptions (issue 15,
 * item 7; migration 24). The patient's preferred pharmacy, what an order
 * dispenses beyond its supply and refills (earliest fill date, pharmacy,
 * the order it renews, a schedule II series), the prescribers' DEA
 * registrations, the PDMP checks, and who performed the in-person
 * evaluation. Code in pharmacy.c, order_rx.c, dea.c. */
#pragma once

#if !defined(TH_STORE_H_INSIDE)
#error "include server/store/store.h, not store-rx.h"
#endif

/* ---- the patient's preferred pharmacy (pharmacy.c) */
typedef struct {
  gint64 id; /* 0: none */
  char *name;
  char *address;
  char *phone;
  char *ncpdp_id; /* NCPDP provider id (7 digits), NULL when not given */
  char *set_by;   /* staff id */
  char *set_by_name;
  gint64 at_ms;
} StorePharmacy;
void store_pharmacy_clear (StorePharmacy *p);

/* Records the patient's preferred pharmacy (a new row: earlier orders keep
 * the one they were sent to). INVALID when a field is out of bounds. */
gboolean store_set_patient_pharmacy (Store *store, const char *patient_id,
                                     const StorePharmacy *pharmacy, const char *staff_id,
                                     GError **error);
/* The patient's pharmacy now; out->id is 0 when none is on record. */
gboolean store_get_patient_pharmacy (Store *store, const char *patient_id, StorePharmacy *out,
                                     GError **error);
/* One pharmacy row by id (an order's). NOT_FOUND when absent. */
gboolean store_get_pharmacy (Store *store, gint64 id, StorePharmacy *out, GError **error);

/* ---- what an order dispenses beyond migration 6 (order_rx.c) */
#define STORE_SERIES_MAX 3
typedef struct _StoreOrderRx {
  char earliest_fill_date[11]; /* YYYY-MM-DD, "" when none */
  gint64 pharmacy_id;          /* 0: none (written by the caller: the patient's pharmacy now) */
  gboolean renews;             /* the order renews the one it replaces */
  guint n_series;              /* a schedule II series: 2..3 prescriptions; 0 otherwise */
  char series[STORE_SERIES_MAX][11]; /* each prescription's earliest fill date */
} StoreOrderRx;

/* Read with the order (StoreOrder.rx, never NULL on an order the store read). */
struct _StoreOrderRxRead {
  StoreOrderRx rx;
  char *renews_order_id;     /* the order this one renews */
  char *renewed_by_order_id; /* the order that renewed this one */
  StorePharmacy pharmacy;    /* the pharmacy it was sent to (id 0: none) */
};
void store_order_rx_free (StoreOrderRxRead *rx);

/* Inside store_apply_adjustment_at's transaction: keeps rx for the new order
 * (nothing when rx is NULL). */
gboolean store_order_rx_insert_locked (Store *store, const char *order_id,
                                       const char *replaces_order_id, const StoreOrderRx *rx,
                                       GError **error);
/* Reads o->rx (and marks a renewed order "completed"). */
gboolean store_order_rx_load (Store *store, StoreOrder *o, GError **error);

/* ---- DEA registrations and PDMP checks (dea.c) */
typedef struct {
  char *staff_id;
  char *state;     /* USPS code */
  char *number;    /* "AB1234563" */
  char *schedules; /* "2,2N,3,3N,4,5" */
  char expires[11];
} StoreDeaRegistration;
void store_dea_registration_free (gpointer r);
/* Sets (or replaces) the staff member's registration for a state. NOT_FOUND
 * when the staff member does not exist. */
gboolean store_set_dea_registration (Store *store, const StoreDeaRegistration *r, GError **error);
/* The staff member's registrations (StoreDeaRegistration), by state. */
GPtrArray *store_list_dea_registrations (Store *store, const char *staff_id, GError **error);

typedef struct {
  gint64 id;
  char *patient_id;
  char *staff_id;
  char *staff_name;
  char *state;
  gint64 checked_at_ms;
  char *result_note;
} StorePdmpCheck;
void store_pdmp_check_clear (StorePdmpCheck *c);
void store_pdmp_check_free (gpointer c);
/* Records a PDMP check; *id_out (may be NULL) gets its id. */
gboolean store_add_pdmp_check (Store *store, const StorePdmpCheck *c, gint64 *id_out,
                               GError **error);
/* The patient's checks, newest first (at most `limit`). */
GPtrArray *store_list_pdmp_checks (Store *store, const char *patient_id, guint limit,
                                   GError **error);

/* Who performed the patient's in-person evaluation (a clinician's name or a
 * staff id), with its date, in one write; NULL performed_by clears it. */
gboolean store_set_in_person_evaluation_by (Store *store, const char *patient_id, const GDate *date,
                                            const char *performed_by, GError **error);
/* NULL with no error when none is on record. */
char *store_get_in_person_evaluation_by (Store *store, const char *patient_id, GError **error);
