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
  /* The patient's medications from elsewhere (issue 15, other_meds.c): what
   * another prescriber gave, so the prescribing check sees the whole list.
   * An RxNorm code when known (digits), the name as written otherwise; the
   * dose as free text; who prescribed it; who verified it with the patient
   * and when; active, or stopped on a date (the patient's calendar day, for
   * washouts). Rows are never deleted: a stop or a verification updates
   * them and is audited. */
  "CREATE TABLE other_medications ("
  "  id TEXT PRIMARY KEY,"
  "  patient_id TEXT NOT NULL REFERENCES patients (id),"
  "  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),"
  "  rxnorm TEXT NULL CHECK (rxnorm IS NULL OR (length(rxnorm) BETWEEN 1 AND 10"
  "    AND rxnorm NOT GLOB '*[^0-9]*')),"
  "  dose TEXT NULL CHECK (dose IS NULL OR length(dose) BETWEEN 1 AND 200),"
  "  prescriber TEXT NULL CHECK (prescriber IS NULL OR length(prescriber) BETWEEN 1 AND 200),"
  "  status TEXT NOT NULL CHECK (status IN ('active', 'stopped')),"
  "  stopped_on TEXT NULL CHECK (stopped_on IS NULL OR stopped_on GLOB"
  "    '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),"
  "  verified_by TEXT NULL REFERENCES staff (id),"
  "  verified_at TEXT NULL,"
  "  created_by TEXT NOT NULL REFERENCES staff (id),"
  "  created_at TEXT NOT NULL,"
  "  CHECK ((status = 'stopped') = (stopped_on IS NOT NULL)),"
  "  CHECK ((verified_by IS NULL) = (verified_at IS NULL))"
  ");"
  "CREATE INDEX other_medications_by_patient ON other_medications (patient_id, created_at);"
  "CREATE TRIGGER other_medications_keep_rows BEFORE DELETE ON other_medications"
  " BEGIN SELECT RAISE(ABORT, 'other_medications rows are kept'); END;",
};

const guint store_migrations_rx_count = G_N_ELEMENTS (store_migrations_rx);
