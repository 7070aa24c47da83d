/* store_migrations.c — the store's schema as numbered migrations: step N
 * takes a file at PRAGMA user_version N-1 to N (store.c runs them, each in
 * its own transaction). Steps that have shipped are never edited.
 */
#include "server/store/store-private.h"

/* ------------------------------------------------------------ migrations */

/* Migration N is kMigrations[N - 1]; after it runs, PRAGMA user_version is N.
 * Append new steps (follow-up records, medication orders, audit log, ...) at
 * the end; never edit a step that has shipped. */
static const char *const kMigrations[] = {
  /* 1: people, visits, participants, timeline, tokens */
  "CREATE TABLE staff ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  display_name TEXT NOT NULL CHECK (length(display_name) > 0),"
  "  role TEXT NOT NULL CHECK (role IN ('psychiatrist', 'pmhnp', 'pa', 'pcp', 'admin')),"
  "  supervising_psychiatrist_id TEXT NULL REFERENCES staff (id),"
  "  created_at TEXT NOT NULL"
  ");"
  "CREATE TABLE patients ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  display_name TEXT NOT NULL CHECK (length(display_name) > 0),"
  "  created_at TEXT NOT NULL"
  ");"
  "CREATE TABLE visits ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  patient_id TEXT NOT NULL REFERENCES patients (id),"
  "  provider_id TEXT NOT NULL REFERENCES staff (id),"
  "  scheduled_at TEXT NOT NULL,"
  "  state TEXT NOT NULL DEFAULT 'scheduled'"
  "    CHECK (state IN ('scheduled', 'waiting', 'in_progress', 'ended')),"
  "  modality TEXT NOT NULL DEFAULT 'video' CHECK (modality IN ('video', 'audio-only')),"
  "  created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL"
  ");"
  "CREATE INDEX visits_by_provider ON visits (provider_id, scheduled_at);"
  "CREATE INDEX visits_by_patient ON visits (patient_id, scheduled_at);"
  "CREATE INDEX visits_open ON visits (state) WHERE state IN ('waiting', 'in_progress');"
  "CREATE TABLE participants ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  visit_id TEXT NOT NULL REFERENCES visits (id),"
  "  role TEXT NOT NULL CHECK (role IN ('patient', 'provider', 'guest')),"
  "  display_name TEXT NOT NULL,"
  "  patient_id TEXT NULL REFERENCES patients (id),"
  "  staff_id TEXT NULL REFERENCES staff (id),"
  "  created_at TEXT NOT NULL,"
  "  CHECK ((role = 'patient' AND patient_id IS NOT NULL AND staff_id IS NULL)"
  "      OR (role = 'provider' AND staff_id IS NOT NULL AND patient_id IS NULL)"
  "      OR (role = 'guest' AND patient_id IS NULL AND staff_id IS NULL))"
  ");"
  "CREATE INDEX participants_by_visit ON participants (visit_id, role);"
  "CREATE TABLE visit_events ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  visit_id TEXT NOT NULL REFERENCES visits (id),"
  "  at TEXT NOT NULL,"
  "  kind TEXT NOT NULL CHECK (kind IN ('state', 'join', 'admit', 'leave')),"
  "  state TEXT NULL"
  "    CHECK (state IS NULL OR state IN ('scheduled', 'waiting', 'in_progress', 'ended')),"
  "  participant_id TEXT NULL REFERENCES participants (id),"
  "  CHECK ((kind = 'state' AND state IS NOT NULL AND participant_id IS NULL)"
  "      OR (kind <> 'state' AND state IS NULL AND participant_id IS NOT NULL))"
  ");"
  "CREATE INDEX visit_events_by_visit ON visit_events (visit_id, id);"
  "CREATE TABLE join_tokens ("
  "  token_hash BLOB PRIMARY KEY NOT NULL CHECK (length(token_hash) = 32),"
  "  participant_id TEXT NOT NULL REFERENCES participants (id),"
  "  not_before TEXT NOT NULL,"
  "  not_after TEXT NOT NULL,"
  "  revoked_at TEXT NULL,"
  "  created_at TEXT NOT NULL,"
  "  CHECK (not_before <= not_after)"
  ");"
  "CREATE INDEX join_tokens_by_participant ON join_tokens (participant_id);"
  "CREATE TABLE console_tokens ("
  "  token_hash BLOB PRIMARY KEY NOT NULL CHECK (length(token_hash) = 32),"
  "  staff_id TEXT NOT NULL REFERENCES staff (id),"
  "  not_after TEXT NOT NULL,"
  "  created_at TEXT NOT NULL"
  ");"
  "CREATE INDEX console_tokens_by_staff ON console_tokens (staff_id);",

  /* 2: the follow-up record (issue 3). medications is a copy of the catalog
   * so orders can reference it. Everything clinical is append-only (see
   * APPEND_ONLY): a correction is a new row or event, never an edit. */
  "CREATE TABLE medications ("
  "  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) > 0),"
  "  name TEXT NOT NULL CHECK (length(name) > 0),"
  "  rxnorm TEXT NOT NULL,"
  "  drug_class TEXT NOT NULL,"
  "  schedule TEXT NOT NULL CHECK (schedule IN ('none', 'II', 'III', 'IV', 'V')),"
  "  unit TEXT NOT NULL CHECK (length(unit) > 0),"
  "  strengths TEXT NOT NULL CHECK (strengths LIKE '[%]')"
  ");"
  "ALTER TABLE patients ADD COLUMN in_person_eval_at TEXT NULL;"
  "CREATE TABLE checkins ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  visit_id TEXT NOT NULL REFERENCES visits (id),"
  "  submitted_at TEXT NOT NULL,"
  "  missed_doses_14d INTEGER NULL"
  "    CHECK (missed_doses_14d IS NULL OR missed_doses_14d BETWEEN 0 AND 14)"
  ");"
  "CREATE INDEX checkins_by_visit ON checkins (visit_id, submitted_at);"
  "CREATE TABLE checkin_scales ("
  "  checkin_id TEXT NOT NULL REFERENCES checkins (id),"
  "  scale TEXT NOT NULL CHECK (scale IN ('phq9', 'gad7', 'asrs_a')),"
  "  items TEXT NOT NULL CHECK (items LIKE '[%]'),"
  "  total INTEGER NOT NULL CHECK (total >= 0),"
  "  band TEXT NOT NULL,"
  "  alert INTEGER NOT NULL CHECK (alert IN (0, 1)),"
  "  positive INTEGER NOT NULL CHECK (positive IN (0, 1)),"
  "  PRIMARY KEY (checkin_id, scale)"
  ");"
  "CREATE TABLE checkin_side_effects ("
  "  checkin_id TEXT NOT NULL REFERENCES checkins (id),"
  "  name TEXT NOT NULL CHECK (length(name) > 0),"
  "  severity INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 3)"
  ");"
  "CREATE INDEX checkin_side_effects_by_checkin ON checkin_side_effects (checkin_id);"
  "CREATE TABLE notes ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  visit_id TEXT NOT NULL REFERENCES visits (id),"
  "  author_id TEXT NOT NULL REFERENCES staff (id),"
  "  at TEXT NOT NULL,"
  "  text TEXT NOT NULL CHECK (length(text) > 0)"
  ");"
  "CREATE INDEX notes_by_visit ON notes (visit_id, at);"
  "CREATE TABLE medication_orders ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  patient_id TEXT NOT NULL REFERENCES patients (id),"
  "  visit_id TEXT NOT NULL REFERENCES visits (id),"
  "  prescriber_id TEXT NOT NULL REFERENCES staff (id),"
  "  medication_id TEXT NOT NULL REFERENCES medications (id),"
  "  dose REAL NOT NULL CHECK (dose > 0),"
  "  unit TEXT NOT NULL CHECK (length(unit) > 0),"
  "  frequency TEXT NOT NULL CHECK (length(frequency) > 0),"
  "  route TEXT NOT NULL CHECK (length(route) > 0),"
  "  action TEXT NOT NULL CHECK (action IN ('start', 'change-dose', 'switch')),"
  "  reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),"
  "  replaces_order_id TEXT NULL REFERENCES medication_orders (id),"
  "  initially_pending INTEGER NOT NULL CHECK (initially_pending IN (0, 1)),"
  "  created_at TEXT NOT NULL,"
  "  CHECK ((action = 'start') = (replaces_order_id IS NULL))"
  ");"
  "CREATE INDEX medication_orders_by_patient ON medication_orders (patient_id, created_at);"
  "CREATE INDEX medication_orders_by_visit ON medication_orders (visit_id, created_at);"
  "CREATE INDEX medication_orders_by_replaces ON medication_orders (replaces_order_id);"
  "CREATE INDEX medication_orders_pending ON medication_orders (prescriber_id, created_at)"
  "  WHERE initially_pending = 1;"
  "CREATE TABLE order_events ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  order_id TEXT NOT NULL REFERENCES medication_orders (id),"
  "  kind TEXT NOT NULL CHECK (kind IN ('cosigned', 'stopped', 'entered-in-error')),"
  "  at TEXT NOT NULL,"
  "  by_staff_id TEXT NULL REFERENCES staff (id),"
  "  reason TEXT NULL,"
  "  visit_id TEXT NULL REFERENCES visits (id),"
  "  CHECK (kind = 'cosigned' OR (reason IS NOT NULL AND length(reason) > 0))"
  ");"
  "CREATE INDEX order_events_by_order ON order_events (order_id, kind, id);"
  "CREATE TABLE audit_events ("
  "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  at TEXT NOT NULL,"
  "  actor TEXT NOT NULL,"
  "  action TEXT NOT NULL,"
  "  target TEXT NOT NULL,"
  "  detail TEXT NOT NULL,"
  "  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),"
  "  hash TEXT NOT NULL CHECK (length(hash) = 64)"
  ");" APPEND_ONLY ("medication_orders") APPEND_ONLY ("order_events") APPEND_ONLY ("audit_events")
    APPEND_ONLY ("checkins") APPEND_ONLY ("checkin_scales") APPEND_ONLY ("checkin_side_effects")
      APPEND_ONLY ("notes"),

  /* 3: staff accounts (issue 4). A session is stored as SHA-256 of its
   * 256-bit id; unlike clinical rows, sessions are updated in place
   * (last_seen_at, ended_at): they are state, and the audit log records
   * sign-ins and sign-outs. login_failures is a throttle, pruned freely. */
  "CREATE TABLE staff_credentials ("
  "  staff_id TEXT PRIMARY KEY NOT NULL REFERENCES staff (id),"
  "  username TEXT NOT NULL UNIQUE"
  "    CHECK (length(username) BETWEEN 3 AND 64 AND username = lower(username)),"
  "  password_hash TEXT NOT NULL CHECK (length(password_hash) > 0),"
  "  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"
  "  updated_at TEXT NOT NULL"
  ");"
  "CREATE TABLE sessions ("
  "  id_hash BLOB PRIMARY KEY NOT NULL CHECK (length(id_hash) = 32),"
  "  staff_id TEXT NOT NULL REFERENCES staff (id),"
  "  address TEXT NULL,"
  "  created_at TEXT NOT NULL,"
  "  last_seen_at TEXT NOT NULL,"
  "  ended_at TEXT NULL,"
  "  end_reason TEXT NULL,"
  "  CHECK ((ended_at IS NULL) = (end_reason IS NULL))"
  ");"
  "CREATE INDEX sessions_live_by_staff ON sessions (staff_id) WHERE ended_at IS NULL;"
  "CREATE TABLE login_failures ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  username TEXT NULL,"
  "  address TEXT NULL,"
  "  at TEXT NOT NULL,"
  "  CHECK (username IS NOT NULL OR address IS NOT NULL)"
  ");"
  "CREATE INDEX login_failures_by_username ON login_failures (username, at);"
  "CREATE INDEX login_failures_by_address ON login_failures (address, at);"
  "CREATE INDEX login_failures_by_at ON login_failures (at);",

  /* 4: a participant's connection may drop and return within a grace
   * period; the timeline keeps both. SQLite cannot widen a CHECK in place,
   * so the table is rebuilt with its rows (nothing references it). */
  "CREATE TABLE visit_events_v4 ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  visit_id TEXT NOT NULL REFERENCES visits (id),"
  "  at TEXT NOT NULL,"
  "  kind TEXT NOT NULL"
  "    CHECK (kind IN ('state', 'join', 'admit', 'drop', 'return', 'leave')),"
  "  state TEXT NULL"
  "    CHECK (state IS NULL OR state IN ('scheduled', 'waiting', 'in_progress', 'ended')),"
  "  participant_id TEXT NULL REFERENCES participants (id),"
  "  CHECK ((kind = 'state' AND state IS NOT NULL AND participant_id IS NULL)"
  "      OR (kind <> 'state' AND state IS NULL AND participant_id IS NOT NULL))"
  ");"
  "INSERT INTO visit_events_v4 (id, visit_id, at, kind, state, participant_id)"
  "  SELECT id, visit_id, at, kind, state, participant_id FROM visit_events;"
  "DROP TABLE visit_events;"
  "ALTER TABLE visit_events_v4 RENAME TO visit_events;"
  "CREATE INDEX visit_events_by_visit ON visit_events (visit_id, id);",

  /* 5: the visit as lived (issue 7): chat between participants, each
   * participant's answer to the consent text (with the text's version), and
   * every switch between video and audio-only. All three are append-only:
   * they are part of the visit's record. */
  "CREATE TABLE chat_messages ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  visit_id TEXT NOT NULL REFERENCES visits (id),"
  "  participant_id TEXT NOT NULL REFERENCES participants (id),"
  "  at TEXT NOT NULL,"
  "  text TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 2000)"
  ");"
  "CREATE INDEX chat_messages_by_visit ON chat_messages (visit_id, id);" APPEND_ONLY (
    "chat_messages") "CREATE TABLE consents ("
                     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
                     "  visit_id TEXT NOT NULL REFERENCES visits (id),"
                     "  participant_id TEXT NOT NULL REFERENCES participants (id),"
                     "  at TEXT NOT NULL,"
                     "  decision TEXT NOT NULL CHECK (decision IN ('accepted', 'declined')),"
                     "  text_version TEXT NOT NULL CHECK (length(text_version) BETWEEN 1 AND 64)"
                     ");"
                     "CREATE INDEX consents_by_participant ON consents (participant_id, "
                     "id);" APPEND_ONLY (
                       "consents") "CREATE TABLE modality_changes ("
                                   "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
                                   "  visit_id TEXT NOT NULL REFERENCES visits (id),"
                                   "  participant_id TEXT NOT NULL REFERENCES participants (id),"
                                   "  at TEXT NOT NULL,"
                                   "  modality TEXT NOT NULL CHECK (modality IN ('video', "
                                   "'audio-only'))"
                                   ");"
                                   "CREATE INDEX modality_changes_by_visit ON modality_changes "
                                   "(visit_id, id);" APPEND_ONLY ("modality_changes"),

  /* 6: the check-in as a follow-up measures it (issue 11). A patient's birth
   * date (a calendar date, no time: exported as Patient.birthDate). Missed
   * doses per current medication, each with its cap at check-in time (the
   * order's administrations per day x 14); the single number of older
   * check-ins stays where it was. The ASRS v1.1 symptom checklist (18 items)
   * for patients on ADHD medication: SQLite cannot widen a CHECK in place,
   * so checkin_scales is rebuilt with its rows (its append-only triggers go
   * with the old table and are made again). */
  "ALTER TABLE patients ADD COLUMN birth_date TEXT NULL"
  "  CHECK (birth_date IS NULL OR (birth_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'"
  "    AND date(birth_date) = birth_date));"
  "CREATE TABLE checkin_missed_doses ("
  "  checkin_id TEXT NOT NULL REFERENCES checkins (id),"
  "  order_id TEXT NOT NULL REFERENCES medication_orders (id),"
  "  missed INTEGER NOT NULL CHECK (missed >= 0),"
  "  max_missed INTEGER NOT NULL CHECK (max_missed >= missed),"
  "  PRIMARY KEY (checkin_id, order_id)"
  ");" APPEND_ONLY ("checkin_missed_doses")
  /* A visit's export and timeline take the orders stopped in it. */
  "CREATE INDEX order_events_by_visit ON order_events (visit_id) WHERE visit_id IS NOT NULL;"
  "CREATE TABLE checkin_scales_v6 ("
  "  checkin_id TEXT NOT NULL REFERENCES checkins (id),"
  "  scale TEXT NOT NULL CHECK (scale IN ('phq9', 'gad7', 'asrs_a', 'asrs18')),"
  "  items TEXT NOT NULL CHECK (items LIKE '[%]'),"
  "  total INTEGER NOT NULL CHECK (total >= 0),"
  "  band TEXT NOT NULL,"
  "  alert INTEGER NOT NULL CHECK (alert IN (0, 1)),"
  "  positive INTEGER NOT NULL CHECK (positive IN (0, 1)),"
  "  PRIMARY KEY (checkin_id, scale)"
  ");"
  "INSERT INTO checkin_scales_v6 (checkin_id, scale, items, total, band, alert, positive)"
  "  SELECT checkin_id, scale, items, total, band, alert, positive FROM checkin_scales;"
  "DROP TABLE checkin_scales;"
  "ALTER TABLE checkin_scales_v6 RENAME TO checkin_scales;" APPEND_ONLY ("checkin_scales"),
  /* 7: prescribing corrections (issue 11). An order keeps the visit's
   * modality as it was when drafted, so a co-signature judges it by the
   * visit it was written in (NULL for older orders: the visit's current
   * one is used). Order events gain:
   *  restored     — an order stopped by a replacement that was then entered
   *                 in error is active again (the history keeps both);
   *  acknowledged — the supervising psychiatrist has seen a PA's stop;
   *  declined     — the supervising psychiatrist declined a PA's pending order;
   * and by_order_id, the order that caused the event (a replacement's stop,
   * a restore). SQLite cannot widen a CHECK in place: the table is rebuilt
   * with its rows and its append-only triggers. */
  "ALTER TABLE medication_orders ADD COLUMN visit_modality TEXT NULL"
  "  CHECK (visit_modality IS NULL OR visit_modality IN ('video', 'audio-only'));"
  "CREATE TABLE order_events_v7 ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  order_id TEXT NOT NULL REFERENCES medication_orders (id),"
  "  kind TEXT NOT NULL CHECK (kind IN ('cosigned', 'stopped', 'entered-in-error', 'restored',"
  "    'acknowledged', 'declined')),"
  "  at TEXT NOT NULL,"
  "  by_staff_id TEXT NULL REFERENCES staff (id),"
  "  reason TEXT NULL,"
  "  visit_id TEXT NULL REFERENCES visits (id),"
  "  by_order_id TEXT NULL REFERENCES medication_orders (id),"
  "  CHECK (kind IN ('cosigned', 'acknowledged') OR (reason IS NOT NULL AND length(reason) > 0))"
  ");"
  "INSERT INTO order_events_v7 (id, order_id, kind, at, by_staff_id, reason, visit_id)"
  "  SELECT id, order_id, kind, at, by_staff_id, reason, visit_id FROM order_events;"
  "DROP TABLE order_events;"
  "ALTER TABLE order_events_v7 RENAME TO order_events;"
  "CREATE INDEX order_events_by_order ON order_events (order_id, kind, id);"
  "CREATE INDEX order_events_stops_by_staff ON order_events (by_staff_id) WHERE kind = 'stopped';"
  /* Migration 6's index went with the old table. */
  "CREATE INDEX order_events_by_visit ON order_events (visit_id) WHERE visit_id IS NOT "
  "NULL;" APPEND_ONLY ("order_events"),
  /* 8: what was prescribed, kept with the order (issue 11). The catalog
   * changes (codes corrected, formulations split); an order must keep
   * showing what the prescriber wrote, so it carries a snapshot of its
   * catalog entry, and the dosing the catalog now allows: a second amount
   * (morning and bedtime), an as-needed maximum, and what to dispense.
   * NULL on orders written before this version (they read the medications
   * table, as before). ADD COLUMN does not touch the append-only triggers. */
  "ALTER TABLE medication_orders ADD COLUMN snapshot TEXT NULL"
  "  CHECK (snapshot IS NULL OR snapshot LIKE '{%}');"
  "ALTER TABLE medication_orders ADD COLUMN second_dose REAL NULL"
  "  CHECK (second_dose IS NULL OR second_dose > 0);"
  "ALTER TABLE medication_orders ADD COLUMN prn_max_per_day INTEGER NULL"
  "  CHECK (prn_max_per_day IS NULL OR prn_max_per_day BETWEEN 1 AND 24);"
  "ALTER TABLE medication_orders ADD COLUMN supply_days INTEGER NULL"
  "  CHECK (supply_days IS NULL OR supply_days BETWEEN 1 AND 365);"
  "ALTER TABLE medication_orders ADD COLUMN refills INTEGER NULL"
  "  CHECK (refills IS NULL OR refills BETWEEN 0 AND 11);"
  "ALTER TABLE medication_orders ADD COLUMN dispense_quantity REAL NULL"
  "  CHECK (dispense_quantity IS NULL OR dispense_quantity > 0);",
  /* 9: a participant whose media cannot connect (issue 11: the network
   * blocks the call) is a 'connect-trouble' event in the timeline. The
   * CHECK is widened the way migration 4 did it: rebuild with the rows. */
  "CREATE TABLE visit_events_v9 ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  visit_id TEXT NOT NULL REFERENCES visits (id),"
  "  at TEXT NOT NULL,"
  "  kind TEXT NOT NULL"
  "    CHECK (kind IN ('state', 'join', 'admit', 'drop', 'return', 'leave',"
  "                    'connect-trouble')),"
  "  state TEXT NULL"
  "    CHECK (state IS NULL OR state IN ('scheduled', 'waiting', 'in_progress', 'ended')),"
  "  participant_id TEXT NULL REFERENCES participants (id),"
  "  CHECK ((kind = 'state' AND state IS NOT NULL AND participant_id IS NULL)"
  "      OR (kind <> 'state' AND state IS NULL AND participant_id IS NOT NULL))"
  ");"
  "INSERT INTO visit_events_v9 (id, visit_id, at, kind, state, participant_id)"
  "  SELECT id, visit_id, at, kind, state, participant_id FROM visit_events;"
  "DROP TABLE visit_events;"
  "ALTER TABLE visit_events_v9 RENAME TO visit_events;"
  "CREATE INDEX visit_events_by_visit ON visit_events (visit_id, id);",
  /* 10: an in-person evaluation is a calendar date, not an instant (issue
   * 11): stored as YYYY-MM-DD and compared in the clinic's time zone. Until
   * now the API stored the entered date at 12:00 UTC, so the first ten
   * characters are the date the clinician entered. */
  "UPDATE patients SET in_person_eval_at = substr(in_person_eval_at, 1, 10)"
  "  WHERE in_person_eval_at IS NOT NULL;",
  /* 11: console tokens (a bearer token per staff member) gave way to
   * sign-in sessions; nothing reads or writes them any more. Their index
   * goes with the table. */
  "DROP TABLE console_tokens;",
  /* 12: sign-in throttling per client network as well as per address (an
   * IPv6 client is its /64: accounts.h), and throttled attempts counted per
   * network and window instead of one audit row each, so a flood adds a
   * bounded number of rows. Both tables are throttles, pruned freely. */
  "ALTER TABLE login_failures ADD COLUMN network TEXT NULL;"
  "CREATE INDEX login_failures_by_network ON login_failures (network, at);"
  "CREATE TABLE login_throttled ("
  "  network TEXT NOT NULL,"
  "  window_start TEXT NOT NULL,"
  "  verdict TEXT NOT NULL CHECK (verdict IN ('slow-down', 'locked')),"
  "  attempts INTEGER NOT NULL CHECK (attempts >= 1),"
  "  last_at TEXT NOT NULL,"
  "  PRIMARY KEY (network, window_start, verdict)"
  ") WITHOUT ROWID;",
  /* 13: a patient as the clinic knows them (issue 13): the clinic's record
   * number (unique where given, compared without case), how to reach them
   * (email; a mobile phone in E.164), their IANA time zone, the US state or
   * territory they are in for visits (USPS code: the controlled-substance
   * rules depend on it), their preferred language (BCP 47), who created the
   * record and when it last changed. The API checks every value (bodies);
   * the CHECKs keep a stray write from storing a malformed one. Patients of
   * earlier versions have NULLs: the front desk fills them in. */
  "ALTER TABLE patients ADD COLUMN mrn TEXT NULL"
  "  CHECK (mrn IS NULL OR length(mrn) BETWEEN 1 AND 32);"
  "ALTER TABLE patients ADD COLUMN email TEXT NULL"
  "  CHECK (email IS NULL OR (length(email) BETWEEN 3 AND 254 AND email LIKE '%_@_%'));"
  "ALTER TABLE patients ADD COLUMN phone TEXT NULL"
  "  CHECK (phone IS NULL OR (phone GLOB '+[1-9]*' AND length(phone) BETWEEN 9 AND 16"
  "    AND NOT substr(phone, 2) GLOB '*[^0-9]*'));"
  "ALTER TABLE patients ADD COLUMN time_zone TEXT NULL"
  "  CHECK (time_zone IS NULL OR length(time_zone) BETWEEN 1 AND 64);"
  "ALTER TABLE patients ADD COLUMN region TEXT NULL"
  "  CHECK (region IS NULL OR (length(region) = 2 AND region = upper(region)));"
  "ALTER TABLE patients ADD COLUMN language TEXT NULL"
  "  CHECK (language IS NULL OR length(language) BETWEEN 2 AND 35);"
  "ALTER TABLE patients ADD COLUMN created_by TEXT NULL REFERENCES staff (id);"
  "ALTER TABLE patients ADD COLUMN updated_at TEXT NULL;"
  "CREATE UNIQUE INDEX patients_by_mrn ON patients (mrn COLLATE NOCASE) WHERE mrn IS NOT NULL;"
  "CREATE INDEX patients_by_name ON patients (display_name COLLATE NOCASE);"
  "CREATE INDEX patients_by_birth_date ON patients (birth_date) WHERE birth_date IS NOT NULL;",
  /* 14: a visit everyone left without ending it is ended by the server
   * after [visits] abandoned_end_minutes (issue 13): its "ended" state
   * event says why, so the record reads "ended by the server: everyone had
   * left", not as if the provider had pressed End visit. */
  "ALTER TABLE visit_events ADD COLUMN reason TEXT NULL"
  "  CHECK (reason IS NULL OR reason = 'abandoned');",
  /* 15: the schedule (issue 13): a visit has a length (5 to 240 minutes)
   * and a type (an initial evaluation or a follow-up), and two more states:
   * cancelled (by the clinic, with a reason) and no_show (nobody joined by
   * the end of its join window: the server's sweep, reason "no-show").
   * The timeline gains "moved" events (from and to, and who moved it; a
   * cancel also says who). The front desk is a staff role of its own,
   * "scheduler": names and times, never the clinical record. SQLite cannot
   * widen a CHECK in place, so staff, visits and visit_events are rebuilt
   * with their rows and indexes, as sqlite's documented procedure does it
   * (https://sqlite.org/lang_altertable.html#otheralter): the runner turns
   * foreign keys off around each migration and checks them all before it
   * commits (store.c), so the tables that reference these keep pointing at
   * them by name. */
  "CREATE TABLE staff_v15 ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  display_name TEXT NOT NULL CHECK (length(display_name) > 0),"
  "  role TEXT NOT NULL"
  "    CHECK (role IN ('psychiatrist', 'pmhnp', 'pa', 'pcp', 'admin', 'scheduler')),"
  "  supervising_psychiatrist_id TEXT NULL REFERENCES staff (id),"
  "  created_at TEXT NOT NULL"
  ");"
  "INSERT INTO staff_v15 (id, display_name, role, supervising_psychiatrist_id, created_at)"
  "  SELECT id, display_name, role, supervising_psychiatrist_id, created_at FROM staff;"
  "DROP TABLE staff;"
  "ALTER TABLE staff_v15 RENAME TO staff;"
  "CREATE TABLE visits_v15 ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  patient_id TEXT NOT NULL REFERENCES patients (id),"
  "  provider_id TEXT NOT NULL REFERENCES staff (id),"
  "  scheduled_at TEXT NOT NULL,"
  "  state TEXT NOT NULL DEFAULT 'scheduled'"
  "    CHECK (state IN ('scheduled', 'waiting', 'in_progress', 'ended', 'cancelled', 'no_show')),"
  "  modality TEXT NOT NULL DEFAULT 'video' CHECK (modality IN ('video', 'audio-only')),"
  "  created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL,"
  "  length_minutes INTEGER NOT NULL DEFAULT 30 CHECK (length_minutes BETWEEN 5 AND 240),"
  "  visit_type TEXT NOT NULL DEFAULT 'follow_up'"
  "    CHECK (visit_type IN ('initial_evaluation', 'follow_up'))"
  ");"
  "INSERT INTO visits_v15 (id, patient_id, provider_id, scheduled_at, state, modality,"
  "  created_at, updated_at)"
  "  SELECT id, patient_id, provider_id, scheduled_at, state, modality, created_at, updated_at"
  "  FROM visits;"
  "DROP TABLE visits;"
  "ALTER TABLE visits_v15 RENAME TO visits;"
  "CREATE INDEX visits_by_provider ON visits (provider_id, scheduled_at);"
  "CREATE INDEX visits_by_patient ON visits (patient_id, scheduled_at);"
  "CREATE INDEX visits_open ON visits (state) WHERE state IN ('waiting', 'in_progress');"
  /* The no-show sweep's question: scheduled visits by time. */
  "CREATE INDEX visits_scheduled ON visits (scheduled_at) WHERE state = 'scheduled';"
  "CREATE TABLE visit_events_v15 ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  visit_id TEXT NOT NULL REFERENCES visits (id),"
  "  at TEXT NOT NULL,"
  "  kind TEXT NOT NULL"
  "    CHECK (kind IN ('state', 'join', 'admit', 'drop', 'return', 'leave',"
  "                    'connect-trouble', 'moved')),"
  "  state TEXT NULL CHECK (state IS NULL OR state IN ('scheduled', 'waiting', 'in_progress',"
  "    'ended', 'cancelled', 'no_show')),"
  "  participant_id TEXT NULL REFERENCES participants (id),"
  "  reason TEXT NULL CHECK (reason IS NULL OR reason IN ('abandoned', 'no-show')"
  "    OR (state = 'cancelled' AND length(reason) BETWEEN 1 AND 500)),"
  "  moved_from TEXT NULL,"
  "  moved_to TEXT NULL,"
  "  staff_id TEXT NULL REFERENCES staff (id),"
  "  CHECK ((kind = 'state' AND state IS NOT NULL AND participant_id IS NULL)"
  "      OR (kind = 'moved' AND state IS NULL AND participant_id IS NULL"
  "          AND moved_from IS NOT NULL AND moved_to IS NOT NULL)"
  "      OR (kind NOT IN ('state', 'moved') AND state IS NULL AND participant_id IS NOT NULL)),"
  "  CHECK ((kind = 'moved') = (moved_from IS NOT NULL))"
  ");"
  "INSERT INTO visit_events_v15 (id, visit_id, at, kind, state, participant_id, reason)"
  "  SELECT id, visit_id, at, kind, state, participant_id, reason FROM visit_events;"
  "DROP TABLE visit_events;"
  "ALTER TABLE visit_events_v15 RENAME TO visit_events;"
  "CREATE INDEX visit_events_by_visit ON visit_events (visit_id, id);",
  /* 16: the outbox (issue 13): every message to a patient (an email with
   * its calendar invitation, a text message) is a row before it is sent.
   * A row is claimed ('sending', attempts + 1, committed) before the
   * network call and finished after it; a row found 'sending' at start was
   * cut off by a crash and goes again (at least once: its Message-ID, the
   * row's id, lets a mail client or gateway recognise the repeat). due_at is
   * when it was meant to go (a reminder: the visit's start minus the
   * offset); next_attempt_at moves with the backoff. 'withdrawn' is a
   * message that must not go any more (the visit moved, was cancelled, or
   * started first), with why in last_error. No body and no link is kept:
   * both are made when the message is sent (notify.h). visit_notify keeps
   * the calendar invitation's SEQUENCE per visit (RFC 5545 3.8.7.4) and
   * whether the visit was cancelled. */
  "CREATE TABLE outbox ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  visit_id TEXT NOT NULL REFERENCES visits (id),"
  "  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),"
  "  kind TEXT NOT NULL"
  "    CHECK (kind IN ('invitation', 'update', 'cancellation', 'reminder')),"
  "  recipient TEXT NOT NULL CHECK (length(recipient) BETWEEN 3 AND 254),"
  "  reminder_minutes INTEGER NULL CHECK (reminder_minutes IS NULL OR reminder_minutes > 0),"
  "  created_at TEXT NOT NULL,"
  "  due_at TEXT NOT NULL,"
  "  next_attempt_at TEXT NOT NULL,"
  "  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
  "  claimed_at TEXT NULL,"
  "  sent_at TEXT NULL,"
  "  last_error TEXT NULL,"
  "  state TEXT NOT NULL DEFAULT 'pending'"
  "    CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'withdrawn')),"
  "  CHECK ((state = 'sent') = (sent_at IS NOT NULL))"
  ");"
  "CREATE INDEX outbox_by_visit ON outbox (visit_id, created_at);"
  "CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';"
  "CREATE TABLE visit_notify ("
  "  visit_id TEXT PRIMARY KEY NOT NULL REFERENCES visits (id),"
  "  sequence INTEGER NOT NULL DEFAULT 0 CHECK (sequence >= 0),"
  "  cancelled INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1))"
  ") WITHOUT ROWID;",
  /* 17: a patient's named care team (issue 13): the clinicians who share
   * the patient's record besides those who saw them. A member reads the
   * patient's visits, record, timeline and FHIR export; writing in a visit
   * stays with its provider. Who added a member, and when, is kept; a
   * removal deletes the row (the audit log keeps both acts). */
  "CREATE TABLE patient_care_team ("
  "  patient_id TEXT NOT NULL REFERENCES patients (id),"
  "  staff_id TEXT NOT NULL REFERENCES staff (id),"
  "  added_at TEXT NOT NULL,"
  "  added_by TEXT NOT NULL REFERENCES staff (id),"
  "  PRIMARY KEY (patient_id, staff_id)"
  ") WITHOUT ROWID;"
  "CREATE INDEX patient_care_team_by_staff ON patient_care_team (staff_id);",
  /* 18: the next follow-up (issue 13). One row per visit that ended: the
   * interval the rules suggested (followup.c: its rule code and the reason
   * in words), the interval the provider chose (NULL: not chosen, or a
   * date), the date the follow-up is due by (the clinic's calendar date),
   * and the visit booked for it. A table of its own, not columns of
   * visits: "who is overdue" reads it, and nothing else of a visit changes
   * with it. */
  "CREATE TABLE follow_ups ("
  "  visit_id TEXT PRIMARY KEY NOT NULL REFERENCES visits (id),"
  "  rule TEXT NOT NULL CHECK (length(rule) BETWEEN 1 AND 40),"
  "  suggested_weeks INTEGER NOT NULL CHECK (suggested_weeks BETWEEN 1 AND 52),"
  "  reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),"
  "  weeks INTEGER NULL CHECK (weeks IS NULL OR weeks BETWEEN 1 AND 52),"
  "  due_date TEXT NOT NULL CHECK (due_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),"
  "  next_visit_id TEXT NULL REFERENCES visits (id),"
  "  decided_by TEXT NULL REFERENCES staff (id),"
  "  created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL"
  ");"
  "CREATE INDEX follow_ups_by_due ON follow_ups (due_date);",
  /* 19: monitoring between visits (issue 14).
   *
   * diary_links: a patient's diary link, a long-lived secret of its own (not
   * a join link): stored as SHA-256 of the token, revoked by staff (every
   * live link of the patient at once). A fresh token is minted whenever one
   * is sent, so a patient may hold several live links.
   *
   * diary_entries: what the patient wrote for one calendar day (the
   * patient's own date), append-only; the newest entry of a day (made_at,
   * then rowid) is that day's record, older ones stay as written. item9 is
   * the PHQ-9 item-9 question asked the PHQ-9 way (0..3), NULL when not
   * answered. diary_doses: per current order, doses taken and missed that
   * day, with the reason for a miss. diary_side_effects: each rated effect
   * (0 none .. 3 severe) attributed to the order of the drug it belongs to.
   *
   * observations: labs and vital signs, LOINC-coded, entered by the clinic
   * or by the patient in the diary (source). Blood pressure keeps the
   * diastolic value in value2. interpretation is FHIR's
   * ObservationInterpretation code (N, L, H, LL, HH) judged when recorded.
   *
   * monitoring_alerts: a safety signal for the provider, from a diary
   * entry, a check-in or an observation, with a sentence for the
   * clinician. Never deleted; acknowledged once, by a named clinician with
   * a note (the trigger refuses any other change).
   *
   * safety_tasks: a positive PHQ-9 item 9 opens one; it stays open until a
   * clinician records the C-SSRS screener's answers (JSON object), a risk
   * level, the plan (JSON array of plan codes) and where the patient is.
   * At most one open task per patient. */
  "CREATE TABLE diary_links ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  patient_id TEXT NOT NULL REFERENCES patients (id),"
  "  token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),"
  "  created_at TEXT NOT NULL,"
  "  created_by TEXT NULL REFERENCES staff (id),"
  "  revoked_at TEXT NULL,"
  "  revoked_by TEXT NULL REFERENCES staff (id)"
  ");"
  "CREATE INDEX diary_links_by_patient ON diary_links (patient_id);"
  "CREATE TABLE diary_reminders ("
  "  patient_id TEXT PRIMARY KEY NOT NULL REFERENCES patients (id),"
  "  hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),"
  "  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),"
  "  last_sent_day TEXT NULL,"
  "  updated_at TEXT NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE TABLE diary_entries ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  patient_id TEXT NOT NULL REFERENCES patients (id),"
  "  day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'"
  "    AND date(day) = day),"
  "  made_at TEXT NOT NULL,"
  "  link_id TEXT NULL REFERENCES diary_links (id),"
  "  item9 INTEGER NULL CHECK (item9 IS NULL OR item9 BETWEEN 0 AND 3),"
  "  note TEXT NULL CHECK (note IS NULL OR length(note) BETWEEN 1 AND 2000)"
  ");"
  "CREATE INDEX diary_entries_by_patient ON diary_entries (patient_id, day, made_at);"
  "CREATE TABLE diary_doses ("
  "  entry_id TEXT NOT NULL REFERENCES diary_entries (id),"
  "  order_id TEXT NOT NULL REFERENCES medication_orders (id),"
  "  taken INTEGER NOT NULL CHECK (taken BETWEEN 0 AND 24),"
  "  missed INTEGER NOT NULL CHECK (missed BETWEEN 0 AND 24),"
  "  reason TEXT NULL CHECK (reason IS NULL"
  "    OR reason IN ('forgot', 'side-effect', 'ran-out', 'chose-not-to')),"
  "  PRIMARY KEY (entry_id, order_id)"
  ");"
  "CREATE INDEX diary_doses_by_order ON diary_doses (order_id);"
  "CREATE TABLE diary_side_effects ("
  "  entry_id TEXT NOT NULL REFERENCES diary_entries (id),"
  "  order_id TEXT NOT NULL REFERENCES medication_orders (id),"
  "  effect TEXT NOT NULL CHECK (length(effect) BETWEEN 1 AND 40),"
  "  severity INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 3),"
  "  PRIMARY KEY (entry_id, order_id, effect)"
  ");"
  "CREATE INDEX diary_side_effects_by_order ON diary_side_effects (order_id);"
  "CREATE TABLE observations ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  patient_id TEXT NOT NULL REFERENCES patients (id),"
  "  kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 40),"
  "  loinc TEXT NULL,"
  "  value REAL NOT NULL,"
  "  value2 REAL NULL,"
  "  unit TEXT NOT NULL CHECK (length(unit) BETWEEN 1 AND 40),"
  "  effective_at TEXT NOT NULL,"
  "  recorded_at TEXT NOT NULL,"
  "  source TEXT NOT NULL CHECK (source IN ('clinic', 'patient')),"
  "  recorded_by TEXT NULL REFERENCES staff (id),"
  "  diary_entry_id TEXT NULL REFERENCES diary_entries (id),"
  "  visit_id TEXT NULL REFERENCES visits (id),"
  "  interpretation TEXT NULL"
  "    CHECK (interpretation IS NULL OR interpretation IN ('N', 'L', 'H', 'LL', 'HH')),"
  "  CHECK ((source = 'clinic') = (recorded_by IS NOT NULL))"
  ");"
  "CREATE INDEX observations_by_patient ON observations (patient_id, kind, effective_at);"
  "CREATE TABLE monitoring_alerts ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  patient_id TEXT NOT NULL REFERENCES patients (id),"
  "  rule TEXT NOT NULL CHECK (length(rule) BETWEEN 1 AND 40),"
  "  summary TEXT NOT NULL CHECK (length(summary) BETWEEN 1 AND 500),"
  "  raised_at TEXT NOT NULL,"
  "  order_id TEXT NULL REFERENCES medication_orders (id),"
  "  diary_entry_id TEXT NULL REFERENCES diary_entries (id),"
  "  checkin_id TEXT NULL REFERENCES checkins (id),"
  "  observation_id TEXT NULL REFERENCES observations (id),"
  "  acknowledged_at TEXT NULL,"
  "  acknowledged_by TEXT NULL REFERENCES staff (id),"
  "  ack_note TEXT NULL CHECK (ack_note IS NULL OR length(ack_note) BETWEEN 1 AND 1000),"
  "  CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL)"
  "    AND (acknowledged_at IS NULL) = (ack_note IS NULL))"
  ");"
  "CREATE INDEX monitoring_alerts_by_patient ON monitoring_alerts (patient_id, raised_at);"
  "CREATE INDEX monitoring_alerts_open ON monitoring_alerts (raised_at)"
  "  WHERE acknowledged_at IS NULL;"
  "CREATE TRIGGER monitoring_alerts_no_delete BEFORE DELETE ON monitoring_alerts"
  " BEGIN SELECT RAISE(ABORT, 'monitoring_alerts are kept'); END;"
  "CREATE TRIGGER monitoring_alerts_ack_once BEFORE UPDATE ON monitoring_alerts"
  " WHEN OLD.acknowledged_at IS NOT NULL OR NEW.id IS NOT OLD.id"
  "   OR NEW.patient_id IS NOT OLD.patient_id OR NEW.rule IS NOT OLD.rule"
  "   OR NEW.summary IS NOT OLD.summary OR NEW.raised_at IS NOT OLD.raised_at"
  "   OR NEW.order_id IS NOT OLD.order_id OR NEW.diary_entry_id IS NOT OLD.diary_entry_id"
  "   OR NEW.checkin_id IS NOT OLD.checkin_id OR NEW.observation_id IS NOT OLD.observation_id"
  " BEGIN SELECT RAISE(ABORT, 'an alert is acknowledged once and otherwise kept'); END;"
  "CREATE TABLE safety_tasks ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  patient_id TEXT NOT NULL REFERENCES patients (id),"
  "  opened_at TEXT NOT NULL,"
  "  item9 INTEGER NOT NULL CHECK (item9 BETWEEN 1 AND 3),"
  "  checkin_id TEXT NULL REFERENCES checkins (id),"
  "  diary_entry_id TEXT NULL REFERENCES diary_entries (id),"
  "  closed_at TEXT NULL,"
  "  closed_by TEXT NULL REFERENCES staff (id),"
  "  visit_id TEXT NULL REFERENCES visits (id),"
  "  screen TEXT NULL CHECK (screen IS NULL OR screen LIKE '{%}'),"
  "  risk_level TEXT NULL CHECK (risk_level IS NULL OR risk_level IN ('low', 'moderate', 'high')),"
  "  plan TEXT NULL CHECK (plan IS NULL OR plan LIKE '[%]'),"
  "  location TEXT NULL CHECK (location IS NULL OR length(location) BETWEEN 1 AND 500),"
  "  CHECK ((checkin_id IS NULL) <> (diary_entry_id IS NULL)),"
  "  CHECK ((closed_at IS NULL) = (closed_by IS NULL)),"
  "  CHECK (closed_at IS NULL OR (screen IS NOT NULL AND risk_level IS NOT NULL"
  "    AND plan IS NOT NULL AND location IS NOT NULL))"
  ");"
  "CREATE UNIQUE INDEX safety_tasks_one_open ON safety_tasks (patient_id) WHERE closed_at IS NULL;"
  "CREATE TRIGGER safety_tasks_no_delete BEFORE DELETE ON safety_tasks"
  " BEGIN SELECT RAISE(ABORT, 'safety_tasks are kept'); END;"
  "CREATE TRIGGER safety_tasks_close_once BEFORE UPDATE ON safety_tasks"
  " WHEN OLD.closed_at IS NOT NULL"
  " BEGIN SELECT RAISE(ABORT, 'a closed safety task is kept as it was closed'); END;"
    APPEND_ONLY ("diary_entries") APPEND_ONLY ("diary_doses") APPEND_ONLY ("diary_side_effects")
      APPEND_ONLY ("observations"),
  /* 20: closing a safety task keeps what the clinician decided besides the
   * screen (issue 14): the level the C-SSRS screener's triage suggested, the
   * reason when the recorded level is below it, and the reason when high
   * risk was met without contacting emergency services. */
  "ALTER TABLE safety_tasks ADD COLUMN suggested_risk TEXT NULL"
  "  CHECK (suggested_risk IS NULL OR suggested_risk IN ('low', 'moderate', 'high'));"
  "ALTER TABLE safety_tasks ADD COLUMN risk_reason TEXT NULL"
  "  CHECK (risk_reason IS NULL OR length(risk_reason) BETWEEN 1 AND 1000);"
  "ALTER TABLE safety_tasks ADD COLUMN plan_reason TEXT NULL"
  "  CHECK (plan_reason IS NULL OR length(plan_reason) BETWEEN 1 AND 1000);",
  /* 21: the diary's daily reminder goes through the outbox (issue 14): a
   * message without a visit. sqlite cannot loosen a NOT NULL or a CHECK in
   * place, so the outbox is rebuilt as it was, with visit_id NULL for kind
   * 'diary-reminder' only, and patient_id naming whose reminder it is
   * (NULL on every visit's message: the visit says who). */
  "CREATE TABLE outbox_new ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  visit_id TEXT NULL REFERENCES visits (id),"
  "  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),"
  "  kind TEXT NOT NULL"
  "    CHECK (kind IN ('invitation', 'update', 'cancellation', 'reminder', 'diary-reminder')),"
  "  recipient TEXT NOT NULL CHECK (length(recipient) BETWEEN 3 AND 254),"
  "  reminder_minutes INTEGER NULL CHECK (reminder_minutes IS NULL OR reminder_minutes > 0),"
  "  created_at TEXT NOT NULL,"
  "  due_at TEXT NOT NULL,"
  "  next_attempt_at TEXT NOT NULL,"
  "  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
  "  claimed_at TEXT NULL,"
  "  sent_at TEXT NULL,"
  "  last_error TEXT NULL,"
  "  state TEXT NOT NULL DEFAULT 'pending'"
  "    CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'withdrawn')),"
  "  patient_id TEXT NULL REFERENCES patients (id),"
  "  CHECK ((state = 'sent') = (sent_at IS NOT NULL)),"
  "  CHECK ((kind = 'diary-reminder') = (visit_id IS NULL)),"
  "  CHECK ((kind = 'diary-reminder') = (patient_id IS NOT NULL))"
  ");"
  "INSERT INTO outbox_new (id, visit_id, channel, kind, recipient, reminder_minutes, created_at,"
  " due_at, next_attempt_at, attempts, claimed_at, sent_at, last_error, state)"
  " SELECT id, visit_id, channel, kind, recipient, reminder_minutes, created_at, due_at,"
  " next_attempt_at, attempts, claimed_at, sent_at, last_error, state FROM outbox;"
  "DROP TABLE outbox;"
  "ALTER TABLE outbox_new RENAME TO outbox;"
  "CREATE INDEX outbox_by_visit ON outbox (visit_id, created_at);"
  "CREATE INDEX outbox_by_patient ON outbox (patient_id, created_at) WHERE patient_id IS NOT NULL;"
  "CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';",
};

int
store_latest_schema_version (void)
{
  return (int) (G_N_ELEMENTS (kMigrations) + store_migrations_rx_count);
}

const char *
store_migration_sql (int version)
{
  if (version < 1 || version > store_latest_schema_version ())
    return NULL;
  /* 1..21 here, then migrations_rx.c's, numbered on from 22. */
  if ((guint) version <= G_N_ELEMENTS (kMigrations))
    return kMigrations[version - 1];
  return store_migrations_rx[version - 1 - G_N_ELEMENTS (kMigrations)];
}
