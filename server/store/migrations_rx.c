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
  /* 23: diagnoses and allergies (issue 15, items 1 and 3; server/store/problems.c).
   * A condition is an ICD-10-CM code of the clinic's list
   * (config/conditions.json), its title as coded, an onset date, the visit
   * it was recorded in; its FHIR clinical and verification status is a list
   * of events, the latest counting (the first written with the row). An
   * allergy or intolerance names a catalog ingredient, a catalog class or
   * free text, with the reaction; its status (active, inactive, resolved,
   * entered-in-error) is a list of events the same way. An order names the
   * condition it treats (NULL for older orders), set when it is written:
   * the orders stay append-only. */
  "CREATE TABLE patient_conditions ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  patient_id TEXT NOT NULL REFERENCES patients (id),"
  "  code TEXT NOT NULL CHECK (length(code) BETWEEN 3 AND 8),"
  "  display TEXT NOT NULL CHECK (length(display) BETWEEN 1 AND 200),"
  "  onset_date TEXT NULL CHECK (onset_date IS NULL OR length(onset_date) = 10),"
  "  visit_id TEXT NULL REFERENCES visits (id),"
  "  recorded_by TEXT NOT NULL REFERENCES staff (id),"
  "  recorded_at TEXT NOT NULL"
  ");"
  "CREATE INDEX patient_conditions_by_patient ON patient_conditions (patient_id, recorded_at);"
  "CREATE INDEX patient_conditions_by_visit ON patient_conditions (visit_id)"
  "  WHERE visit_id IS NOT NULL;"
  "CREATE TABLE condition_events ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  condition_id TEXT NOT NULL REFERENCES patient_conditions (id),"
  "  clinical_status TEXT NOT NULL CHECK (clinical_status IN ('active', 'recurrence',"
  "    'relapse', 'inactive', 'remission', 'resolved')),"
  "  verification_status TEXT NOT NULL CHECK (verification_status IN ('unconfirmed',"
  "    'provisional', 'differential', 'confirmed', 'refuted', 'entered-in-error')),"
  "  reason TEXT NULL CHECK (reason IS NULL OR length(reason) BETWEEN 1 AND 1000),"
  "  by_staff_id TEXT NOT NULL REFERENCES staff (id),"
  "  at TEXT NOT NULL"
  ");"
  "CREATE INDEX condition_events_by_condition ON condition_events (condition_id, id);"
  "CREATE TABLE patient_allergies ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  patient_id TEXT NOT NULL REFERENCES patients (id),"
  "  substance_kind TEXT NOT NULL CHECK (substance_kind IN ('ingredient', 'class', 'other')),"
  "  substance TEXT NOT NULL CHECK (length(substance) BETWEEN 1 AND 200),"
  "  type TEXT NOT NULL CHECK (type IN ('allergy', 'intolerance')),"
  "  manifestation TEXT NULL CHECK (manifestation IS NULL OR manifestation IN ('rash',"
  "    'sjs-ten', 'anaphylaxis', 'angioedema', 'hives', 'other')),"
  "  reaction TEXT NULL CHECK (reaction IS NULL OR length(reaction) BETWEEN 1 AND 1000),"
  "  severity TEXT NULL CHECK (severity IS NULL OR severity IN ('mild', 'moderate', 'severe')),"
  "  criticality TEXT NULL CHECK (criticality IS NULL"
  "    OR criticality IN ('low', 'high', 'unable-to-assess')),"
  "  onset_date TEXT NULL CHECK (onset_date IS NULL OR length(onset_date) = 10),"
  "  visit_id TEXT NULL REFERENCES visits (id),"
  "  recorded_by TEXT NOT NULL REFERENCES staff (id),"
  "  recorded_at TEXT NOT NULL"
  ");"
  "CREATE INDEX patient_allergies_by_patient ON patient_allergies (patient_id, recorded_at);"
  "CREATE TABLE allergy_events ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  allergy_id TEXT NOT NULL REFERENCES patient_allergies (id),"
  "  status TEXT NOT NULL CHECK (status IN ('active', 'inactive', 'resolved',"
  "    'entered-in-error')),"
  "  reason TEXT NULL CHECK (reason IS NULL OR length(reason) BETWEEN 1 AND 1000),"
  "  by_staff_id TEXT NOT NULL REFERENCES staff (id),"
  "  at TEXT NOT NULL"
  ");"
  "CREATE INDEX allergy_events_by_allergy ON allergy_events (allergy_id, id);"
  "ALTER TABLE medication_orders ADD COLUMN condition_id TEXT NULL"
  "  REFERENCES patient_conditions (id);"
  "CREATE INDEX medication_orders_by_condition ON medication_orders (condition_id)"
  "  WHERE condition_id IS NOT NULL;" APPEND_ONLY ("patient_conditions")
    APPEND_ONLY ("condition_events") APPEND_ONLY ("patient_allergies")
      APPEND_ONLY ("allergy_events"),
  /* 24: real prescriptions (issue 15, item 7). The patient's preferred
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
  /* 25: the patient's pregnancy potential (issue 15, item 6; rx-titration.h):
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
  /* 26: the patient's medications from elsewhere (issue 15, other_meds.c): what
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
  /* 27: the nodes sharing one PostgreSQL and the lease of each visit's host
   * (issue 18, cluster.c, store nodes.c). Times are the database's clock in
   * unix milliseconds. On sqlite (one machine, one node) the tables stay
   * empty. PostgreSQL runs its own text (store_pg.c: COLLATE "C"). */
  "CREATE TABLE cluster_nodes ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  base_url TEXT NOT NULL,"
  "  started_ms INTEGER NOT NULL,"
  "  heartbeat_ms INTEGER NOT NULL"
  ");"
  "CREATE TABLE visit_leases ("
  "  visit_id TEXT PRIMARY KEY NOT NULL,"
  "  node_id TEXT NOT NULL REFERENCES cluster_nodes (id),"
  "  expires_ms INTEGER NOT NULL"
  ");"
  "CREATE INDEX visit_leases_by_node ON visit_leases (node_id);",
};

const guint store_migrations_rx_count = G_N_ELEMENTS (store_migrations_rx);
