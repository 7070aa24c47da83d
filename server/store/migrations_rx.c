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
};

const guint store_migrations_rx_count = G_N_ELEMENTS (store_migrations_rx);
