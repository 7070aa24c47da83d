/* migrations_rx.c — the schema steps of issue 15 (prescribing safety),
 * numbered on after migrations.c's: store_migrations_rx[0] is migration 22.
 * Steps that have shipped are never edited; append new ones at the end. */
#include "server/store/store-private.h"

const char *const store_migrations_rx[] = {
  /* 22: what the prescribing safety check found on an order (records-rx.h):
   * a moderate interaction it went ahead with, or a major one the prescriber
   * overrode with a reason (who, when). Kept with the order and shown on the
   * record; append-only, like the order's events. `stage` says when it was
   * judged: when the order was written, or again at co-signature. */
  "CREATE TABLE order_checks ("
  "  id INTEGER PRIMARY KEY,"
  "  order_id TEXT NOT NULL REFERENCES medication_orders (id),"
  "  stage TEXT NOT NULL CHECK (stage IN ('written', 'cosign')),"
  "  rule TEXT NOT NULL CHECK (length(rule) BETWEEN 1 AND 64),"
  "  severity TEXT NOT NULL CHECK (severity IN ('warn', 'major')),"
  "  title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),"
  "  message TEXT NOT NULL CHECK (length(message) BETWEEN 1 AND 4000),"
  "  source TEXT NOT NULL CHECK (length(source) <= 1000),"
  "  override_reason TEXT NULL CHECK (override_reason IS NULL"
  "    OR length(override_reason) BETWEEN 1 AND 1000),"
  "  by_staff_id TEXT NOT NULL REFERENCES staff (id),"
  "  created_at TEXT NOT NULL,"
  "  CHECK ((severity = 'major') = (override_reason IS NOT NULL))"
  ");"
  "CREATE INDEX order_checks_by_order ON order_checks (order_id, id);" APPEND_ONLY ("order_checks"),
  /* 23: real prescriptions (issue 15, item 7). The patient's preferred
   * pharmacy (a new row each time it changes, so an order keeps the one it
   * was sent to); what an order dispenses beyond migration 6's supply,
   * refills and quantity: its earliest fill date, its pharmacy, the order it
   * renews, and a schedule II series (21 CFR 1306.12(b): up to 90 days in
   * separate prescriptions, each with its earliest fill date); the
   * prescribers' DEA registrations per state (state, not clinical: replaced
   * in place, audited by the admin CLI); prescription-drug-monitoring-program
   * checks (who, when, which state, what was found); who performed the
   * patient's in-person evaluation. */
  "CREATE TABLE patient_pharmacies ("
  "  id INTEGER PRIMARY KEY,"
  "  patient_id TEXT NOT NULL REFERENCES patients (id),"
  "  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),"
  "  address TEXT NOT NULL CHECK (length(address) BETWEEN 1 AND 500),"
  "  phone TEXT NOT NULL CHECK (length(phone) BETWEEN 1 AND 40),"
  "  ncpdp_id TEXT NULL CHECK (ncpdp_id IS NULL OR"
  "    (length(ncpdp_id) = 7 AND ncpdp_id NOT GLOB '*[^0-9]*')),"
  "  set_by_staff_id TEXT NOT NULL REFERENCES staff (id),"
  "  created_at TEXT NOT NULL"
  ");"
  "CREATE INDEX patient_pharmacies_by_patient ON patient_pharmacies (patient_id, id);"
  "CREATE TABLE order_dispense ("
  "  order_id TEXT PRIMARY KEY NOT NULL REFERENCES medication_orders (id),"
  "  earliest_fill_date TEXT NULL CHECK (earliest_fill_date IS NULL OR earliest_fill_date"
  "    GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),"
  "  pharmacy_id INTEGER NULL REFERENCES patient_pharmacies (id),"
  "  renews_order_id TEXT NULL REFERENCES medication_orders (id)"
  ");"
  "CREATE INDEX order_dispense_renews ON order_dispense (renews_order_id)"
  "  WHERE renews_order_id IS NOT NULL;"
  "CREATE TABLE order_series ("
  "  order_id TEXT NOT NULL REFERENCES medication_orders (id),"
  "  seq INTEGER NOT NULL CHECK (seq BETWEEN 1 AND 3),"
  "  earliest_fill_date TEXT NOT NULL"
  "    CHECK (earliest_fill_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),"
  "  PRIMARY KEY (order_id, seq)"
  ");"
  "CREATE TABLE dea_registrations ("
  "  staff_id TEXT NOT NULL REFERENCES staff (id),"
  "  state TEXT NOT NULL CHECK (length(state) = 2),"
  "  number TEXT NOT NULL CHECK (length(number) = 9),"
  "  schedules TEXT NOT NULL CHECK (length(schedules) BETWEEN 1 AND 40),"
  "  expires TEXT NOT NULL CHECK (expires GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),"
  "  updated_at TEXT NOT NULL,"
  "  PRIMARY KEY (staff_id, state)"
  ");"
  "CREATE TABLE pdmp_checks ("
  "  id INTEGER PRIMARY KEY,"
  "  patient_id TEXT NOT NULL REFERENCES patients (id),"
  "  staff_id TEXT NOT NULL REFERENCES staff (id),"
  "  state TEXT NOT NULL CHECK (length(state) = 2),"
  "  checked_at TEXT NOT NULL,"
  "  result_note TEXT NOT NULL CHECK (length(result_note) BETWEEN 1 AND 2000),"
  "  created_at TEXT NOT NULL"
  ");"
  "CREATE INDEX pdmp_checks_by_patient ON pdmp_checks (patient_id, checked_at);"
  "ALTER TABLE patients ADD COLUMN in_person_eval_by TEXT NULL"
  "  CHECK (in_person_eval_by IS NULL OR length(in_person_eval_by) BETWEEN 1 AND "
  "200);" APPEND_ONLY ("patient_pharmacies") APPEND_ONLY ("order_dispense")
    APPEND_ONLY ("order_series") APPEND_ONLY ("pdmp_checks"),
};

const guint store_migrations_rx_count = G_N_ELEMENTS (store_migrations_rx);
