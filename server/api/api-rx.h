/* api-rx.h — the prescribing safety check at the API's edge (records-rx.h):
 * gathering the patient's picture, running the check, answering with the
 * findings. rx_facts.c is the frame; each section gathers its own facts in
 * rx_gather_<section>.c. Included by api-private.h. */
#pragma once

/* What the gatherers are told about the order being judged. */
typedef struct {
  const char *patient_id;
  const char *prescriber_id;     /* the writer, or the co-signer at co-signature */
  const StoreVisit *visit;       /* the visit the order is written in */
  const ThAdjustmentBody *body;  /* the request, when writing; NULL at co-signature */
  const StoreOrder *order;       /* the pending order, at co-signature; else NULL */
  const GPtrArray *orders;       /* the patient's orders (StoreOrder), any status */
} ThRxRequest;

/* A run of the check: the facts (with the drug list they point into) and
 * the findings. Clear with th_rx_run_clear. */
typedef struct {
  RxCheckFacts facts;
  GArray *drugs;       /* RxDrug */
  GPtrArray *findings; /* RxFinding */
  RxVerdict verdict;
  char *rule;          /* the rule that stands in the way, when not RX_PASS */
} ThRxRun;

void th_rx_run_clear (ThRxRun *run);

/* Gathers the facts for q (the new medication, its dosing, the replaced
 * order, supply and refills filled by the caller into run->facts first),
 * runs every section and decides with `override_reason`. FALSE with a 500
 * sent when a fact cannot be read: an unread allergy list is no reason to
 * let an order through. */
gboolean th_rx_run (ThApp *app, ThHttpResponse *r, const ThRxRequest *q,
                    const char *override_reason, ThRxRun *run);

/* The patient's drugs from this clinic's orders: live ones and those stopped
 * within RX_STOPPED_WINDOW_DAYS, leaving out `exclude_order_id` (the order
 * being co-signed). */
void th_rx_drugs_from_orders (ThApp *app, const GPtrArray *orders, const char *exclude_order_id,
                              GArray *drugs);

/* Answers a refused check: 403 when a finding refuses outright, 422 when an
 * override reason would lift it; {"error": {"code": "prescribing-rule",
 * "rule", "message", "override_allowed", "findings": [...]}}; audited as
 * "prescribe.refused" with the rule. */
void th_rx_respond_refused (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r,
                            const char *staff_id, const char *visit_id, const char *kind,
                            const char *medication_id, const ThRxRun *run, const char *prefix);

/* Item 8 of issue 15: the check runs again at co-signature of a PA's
 * pending order `o`, on the record as it is now, with the co-signer as the
 * prescriber. Findings already kept on the order when it was written are
 * not asked again. FALSE with the answer sent (refused, or a store
 * failure); on TRUE run->findings holds what to keep with the co-signature. */
gboolean th_rx_cosign_check (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r,
                             const char *staff_id, const StoreOrder *o, const StoreVisit *visit,
                             const char *override, ThRxRun *run);

/* The findings as the wire shows them: [{rule, severity, title, message, source}]. */
json_t *th_rx_findings_json (const GPtrArray *findings);
/* An order's kept checks: [{stage, rule, severity, title, message, source,
 * override_reason, by: {id, display_name}, at}]. */
json_t *th_order_checks_json (const GPtrArray *checks);

/* Audits each overridden major finding ("prescribe.override", with the rule
 * and the reason) once the order is saved. */
void th_rx_audit_overrides (ThApp *app, const ThHttpRequest *req, const char *staff_id,
                            const char *order_id, const ThRxRun *run, const char *override_reason,
                            const char *stage);

/* ---- the sections' gatherers (each in rx_gather_<section>.c). Each fills
 * its part of run->facts (or adds to the drug list); FALSE + error when the
 * store cannot be read. */
gboolean th_rx_gather_outside (ThApp *app, const ThRxRequest *q, GArray *drugs, GError **error);
gboolean th_rx_gather_allergies (ThApp *app, const ThRxRequest *q, RxCheckFacts *f,
                                 GError **error);
gboolean th_rx_gather_titration (ThApp *app, const ThRxRequest *q, RxCheckFacts *f,
                                 GError **error);
gboolean th_rx_gather_pregnancy (ThApp *app, const ThRxRequest *q, RxCheckFacts *f,
                                 GError **error);
gboolean th_rx_gather_dispense (ThApp *app, const ThRxRequest *q, RxCheckFacts *f,
                                GError **error);
