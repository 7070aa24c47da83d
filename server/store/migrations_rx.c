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
  /* The patient's pregnancy potential (issue 15, item 6; rx-titration.h):
   * sex assigned at birth, whether documented as unable to become pregnant
   * (and why), pregnancy status with the day it was checked, breastfeeding,
   * contraception (method, highly effective or not), and the valproate
   * pregnancy prevention counselling (day, by whom). Each save is a whole
   * new row, append-only: the newest (id) is the record, older ones its
   * history. Contraception, a pregnancy and counselling are never on a row
   * whose sex at birth is male. */
  "CREATE TABLE patient_reproductive ("
  "  id INTEGER PRIMARY KEY,"
  "  patient_id TEXT NOT NULL REFERENCES patients (id),"
  "  sex_at_birth TEXT NOT NULL"
  "    CHECK (sex_at_birth IN ('female', 'male', 'intersex', 'unknown')),"
  "  unable_reason TEXT NULL CHECK (unable_reason IS NULL"
  "    OR length(unable_reason) BETWEEN 1 AND 200),"
  "  pregnancy TEXT NOT NULL CHECK (pregnancy IN ('pregnant', 'not-pregnant', 'unknown')),"
  "  pregnancy_checked TEXT NULL CHECK (pregnancy_checked IS NULL"
  "    OR date(pregnancy_checked) = pregnancy_checked),"
  "  breastfeeding TEXT NOT NULL CHECK (breastfeeding IN ('yes', 'no', 'unknown')),"
  "  contraception TEXT NULL CHECK (contraception IS NULL"
  "    OR length(contraception) BETWEEN 1 AND 200),"
  "  highly_effective INTEGER NOT NULL CHECK (highly_effective IN (0, 1)),"
  "  counselled_on TEXT NULL CHECK (counselled_on IS NULL"
  "    OR date(counselled_on) = counselled_on),"
  "  counselled_by TEXT NULL CHECK (counselled_by IS NULL"
  "    OR length(counselled_by) BETWEEN 1 AND 200),"
  "  recorded_by TEXT NOT NULL REFERENCES staff (id),"
  "  recorded_at TEXT NOT NULL,"
  "  CHECK ((pregnancy = 'unknown') = (pregnancy_checked IS NULL)),"
  "  CHECK (highly_effective = 0 OR contraception IS NOT NULL),"
  "  CHECK ((counselled_on IS NULL) = (counselled_by IS NULL)),"
  "  CHECK (sex_at_birth <> 'male' OR (contraception IS NULL AND pregnancy <> 'pregnant'"
  "    AND counselled_on IS NULL))"
  ");"
  "CREATE INDEX reproductive_by_patient"
  " ON patient_reproductive (patient_id, id);" APPEND_ONLY ("patient_reproductive"),
};

const guint store_migrations_rx_count = G_N_ELEMENTS (store_migrations_rx);
