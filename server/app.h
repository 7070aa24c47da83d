/* app.h — the composition root's shared state: one per process, owned by
 * main.c, used from the main thread only.
 *
 * Except for a job's copy (api.c): a REST call runs on a store worker
 * (storepool.h) with a copy of this struct whose `store` is that worker's
 * connection, whose `config` is a snapshot (th_config_snapshot), whose
 * main-loop parts (hub, lws, loop, timers, the sign-in gate) are NULL, and
 * whose `origin` is the real one. What such code must do on the main loop
 * goes through th_app_* below, which queue it there. */
#pragma once

#include <glib.h>
#include "server/records/records.h"
#include "server/config.h"
#include "server/store/store.h"
#include "signaling/signaling.h"

struct lws_context;

typedef struct _ThApp {
  ThConfig *config;
  Store *store;
  MedCatalog *catalog;
  MonitoringCatalog *monitoring; /* config/monitoring.json (records.h) */
  DiaryCatalog *diary; /* config/diary.json, beside the catalog (records.h) */
  RxTables *rx;        /* the safety check's data files, beside the catalog (records-rx.h) */
  SigHub *hub;
  struct lws_context *lws;
  GMainLoop *loop;
  GHashTable *ws_per_address;   /* IP address → live WebSocket count */
  struct _ThSignInGate *signin; /* sign-in password checks, off the loop (accounts.h) */
  guint16 port;                 /* the port actually listened on */
  guint16 metrics_port;         /* [metrics] listen's, once bound (0: none) */
  char *base_url;               /* what links start with, no trailing slash */
  char *config_path;            /* what --config named (NULL: the defaults), for reloads */
  char *tls_cert_path;          /* both NULL: plain HTTP (loopback only); see tls.h */
  char *tls_key_path;
  GHashTable *abandoned; /* visit id → its abandoned-visit timer (abandoned.c) */
  guint no_show_sweep;   /* the no-show sweep's timer (noshow.c) */
  guint watchdog;        /* systemd's watchdog ping (service.c), 0: none */
  struct _Notify *notify; /* invitations and reminders (server/notify/notify.h); NULL
                           * outside the running server (tests, the admin CLI). In a
                           * job's copy: only whether there is one (never dereferenced;
                           * th_app_notify_kick) */
  struct _ThStorePool *pool; /* the store's workers (storepool.h); NULL: everything runs
                              * on this thread with `store` (tests, the admin CLI) */
  /* events.c: PostgreSQL's LISTEN for visit changes; NULL on sqlite and in
   * a job's copy */
  StoreListener *visit_listener;
  struct _ThCluster *cluster; /* this node among those sharing PostgreSQL (cluster.h);
                               * NULL on sqlite */
  struct _ThApp *origin;     /* in a job's copy: the main thread's app, reached only
                              * through the main context; NULL in the real one */
} ThApp;

/* ---- links.c: visits with their join links */

typedef struct {
  char *visit_id;
  char *patient_url;
  char *provider_url;
  gint64 scheduled_at_ms;
} ThVisitLinks;

void th_visit_links_clear (ThVisitLinks *links);
char *th_app_base_url (const ThConfig *config, guint16 port, gboolean tls);
/* Creates a visit for the patient (patient_id, or a new one named
 * new_patient_name) and the provider at scheduled_at_ms, in `modality`
 * (NULL: video), with a fresh patient join token, in one transaction
 * (store_book_visit): all of it or nothing. The provider's link opens the
 * console (sign-in first). */
gboolean th_create_visit_with_links (ThApp *app, const char *patient_id,
                                     const char *new_patient_name, const char *provider_id,
                                     gint64 scheduled_at_ms, const char *modality,
                                     ThVisitLinks *out, GError **error);
/* The same for a booking as the schedule makes it (with its length and
 * type); the join window is the config's, whatever `booking` says. */
gboolean th_book_visit_with_links (ThApp *app, const StoreVisitBooking *booking, ThVisitLinks *out,
                                   GError **error);
/* Books the next visit of an ended one's follow-up (store_book_follow_up):
 * the same patient and provider at scheduled_at_ms, a follow-up of
 * `length_minutes` (0: the default), with a fresh patient join token, and
 * `f` (its chosen weeks and due date) recorded on the ended visit, in one
 * transaction. */
gboolean th_book_follow_up_with_links (ThApp *app, const StoreFollowUp *f, const char *decided_by,
                                       const char *patient_id, const char *provider_id,
                                       gint64 scheduled_at_ms, guint length_minutes,
                                       ThVisitLinks *out, GError **error);
/* A join link for a participant of the visit, valid in the visit's window. */
char *th_join_link (ThApp *app, const char *participant_id, gint64 scheduled_at_ms, GError **error);

/* ---- reload.c: SIGHUP reads the config file again and puts in place
 * what can change live (consent, ICE servers, mail/SMS, log level, the TLS
 * certificate); a file that does not read changes nothing. */
gboolean th_reload (ThApp *app);

/* ---- log.c: the writer that applies [log] level (journald under
 * systemd, else stderr). */
void th_log_start (GLogLevelFlags level);
/* One record about a visit, with the fields journalctl can search by:
 * VISIT_ID, PARTICIPANT_ROLE, EVENT, and for an error ERROR_DOMAIN and
 * ERROR_CODE (any of them NULL: left out). The text must name no patient,
 * token, note or answer. */
void th_log_visit (GLogLevelFlags level, const char *visit_id, const char *role, const char *event,
                   const GError *error, const char *format, ...) G_GNUC_PRINTF (6, 7);

/* ---- service.c: sd_notify for a Type=notify unit (no-ops outside
 * systemd). ready: READY=1 and the watchdog's pings; stopping: STOPPING=1. */
void th_service_ready (ThApp *app);
void th_service_stopping (ThApp *app);

/* ---- abandoned.c: visits everyone left are ended after
 * config->abandoned_end_s */

/* Someone left the visit: if it is still in progress with nobody in it
 * after abandoned_end_s, the server ends it (re-arms an earlier watch). */
void th_abandoned_watch (ThApp *app, const char *visit_id);
/* At start: every visit in progress is watched (nobody is in it yet). A
 * store failure is returned. */
gboolean th_abandoned_start (ThApp *app, GError **error);
void th_abandoned_stop (ThApp *app);

/* ---- noshow.c: a scheduled visit nobody joined by the end of its join
 * window ([visits] join_window_after_minutes after its start) becomes
 * no_show, recorded with reason "no-show" */

/* Sweeps once now (a store failure is returned), then every minute. */
gboolean th_no_show_start (ThApp *app, GError **error);
void th_no_show_stop (ThApp *app);

/* ---- observe.c: GET /metrics's figures read at scrape time (rooms, legs,
 * signaling messages, the outbox, the process), and the quality samples
 * signaling reports. */
void th_metrics_refresh (ThApp *app);
void th_metrics_media_quality (double loss_fraction, double rtt_s, gboolean have_rtt);

/* ---- onmain.c: a job's copy of the app (see the top), made on the main
 * thread; its `store` is set on the worker. Cleared with th_app_job_clear. */
/* ---- events.c: visit changes to the consoles' event streams (issue 18):
 * PostgreSQL's LISTEN, or the sqlite store's sink. Start after app->loop is
 * made and before the store's workers open their connections. */
void th_events_start (ThApp *app);
void th_events_stop (ThApp *app);

void th_app_job_init (ThApp *copy, ThApp *app);
void th_app_job_clear (ThApp *copy);

/* ---- onmain.c: what code that may run on a store worker (a job's copy of
 * the app) asks of the main loop: done at once on the main thread, queued
 * to the main context from a job (in order, after what the job queued
 * before). */
/* Runs `run (data)` on the main loop, later, from any thread (an idle
 * source on the default context, in the order queued); `free (data)` after. */
void th_app_run_on_main (GSourceFunc run, gpointer data, GDestroyNotify free);
/* Tells the visit's participants its record changed (sig_hub_record_changed). */
void th_app_record_changed (ThApp *app, const char *visit_id, const char *what);
/* Closes a participant's connection (sig_hub_kick_participant). */
void th_app_kick_participant (ThApp *app, const char *visit_id, const char *participant_id,
                              const char *reason);
/* Wakes the outbox's sender (notify_kick), if there is one. */
void th_app_notify_kick (ThApp *app);
/* Whether messages to patients are set up (a sender, and [mail] or [sms]
 * in the app's config). */
gboolean th_app_notify_configured (const ThApp *app);

/* ---- hooks.c: what signaling asks of the server */
const SigHooks *th_signaling_hooks (void);

/* ---- hooks_visit.c: the hooks that record what happens in a visit
 * (SigHooks' visit_state_changed_async, chat_async, modality_changed_async,
 * participant_event), written on a store worker serial per visit. */
void th_hook_visit_state_changed (const char *visit_id, const char *state, SigRecordReply *reply,
                                  gpointer app);
void th_hook_chat (const char *visit_id, const char *participant_id, const char *text,
                   SigRecordReply *reply, gpointer app);
void th_hook_modality_changed (const char *visit_id, const char *participant_id,
                               const char *modality, SigRecordReply *reply, gpointer app);
void th_hook_participant_event (const char *visit_id, const char *participant_id, SigRole role,
                                const char *event, const char *address, gpointer app);
