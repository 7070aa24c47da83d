/* config.h — telehealthd's settings: a GLib key file, then command-line
 * flags on top. A bad value stops the start with a message naming the key
 * and the file. */
#pragma once

#include <glib.h>
#include "media/media.h"
#include "server/ice_servers.h"
#include "server/records/records.h" /* FollowUpPolicy */

/* How the SMTP connection is protected ([mail] security). */
typedef enum {
  TH_MAIL_STARTTLS, /* port 587: plain, then STARTTLS before anything is said (required) */
  TH_MAIL_TLS,      /* port 465: TLS from the first byte (smtps) */
  TH_MAIL_NONE,     /* no TLS at all: a server on this machine only (tests) */
} ThMailSecurity;

#define TH_NOTIFY_MAX_REMINDERS 8

/* config_notify.c: the messages to patients. */
typedef struct {
  char *mail_host; /* NULL: no email is sent */
  guint16 mail_port;
  ThMailSecurity mail_security;
  char *mail_user; /* NULL: no AUTH */
  char *mail_password;
  char *mail_from; /* "Clinic <visits@clinic.example>" or an address */
  char *sms_url;   /* NULL: no text messages */
  char *sms_secret;
  guint reminder_minutes[TH_NOTIFY_MAX_REMINDERS]; /* before the visit, largest first */
  guint n_reminders;
  guint max_attempts; /* a message fails (staff may retry) after this many */
} ThNotifyConfig;

typedef struct {
  char *source;        /* the file the settings came from (for messages) */
  char *listen_host;   /* "127.0.0.1", "::1", "0.0.0.0" */
  guint16 listen_port; /* 0 = pick a free one */
  char *data_dir;
  char *web_root;
  char *public_base_url; /* NULL = derived from the listen address */
  guint join_window_before_min;
  guint join_window_after_min;
  /* [clinic] */
  char *time_zone_name; /* IANA name, e.g. "America/New_York"; default "UTC" */
  GTimeZone *time_zone; /* what date-only values are read in (clock.h) */
  /* the number a patient calls when their link does not work ("(555)
   * 010-0100"), or NULL: "your clinic". Not [consent] decline_phone, which is
   * a phrase for those who decline a video visit and may be another line. */
  char *clinic_phone;
  /* [prescribing] */
  GDate policy_end; /* telemedicine flexibility for controlled substances: its
                                  * last day, in the clinic's time zone */
  guint in_person_eval_months;
  guint pdmp_max_days; /* a controlled order needs a PDMP check this recent (rx-dispense.h) */
  char *catalog_path;
  char *monitoring_path; /* the monitoring table (config/monitoring.json) */
  /* [security] */
  guint session_idle_s;       /* session_idle_minutes × 60, or session_idle_seconds */
  guint login_slowdown_after; /* failures before each attempt must wait */
  guint login_lockout_after;  /* failures before the account/address is locked */
  guint login_lockout_min;
  guint signin_workers;    /* threads that check sign-in passwords (scrypt) */
  guint signin_queue;      /* sign-ins that may wait for one; past that, 429 */
  guint signin_per_second; /* sign-ins server-wide, all addresses together ... */
  guint signin_burst;      /* ... with bursts up to this; past that, 429 */
  /* [visits] reconnecting */
  guint reconnect_grace_s;
  guint media_timeout_s;
  guint abandoned_end_s; /* a visit in progress everyone left is ended after this */
  /* [limits] */
  guint max_frame_bytes;         /* one signaling frame */
  guint messages_per_second;     /* per connection, sustained ... */
  guint message_burst;           /* ... with bursts up to this */
  guint connections_per_address; /* WebSockets from one IP address not yet past a verified
                                  * hello (after it, one live connection per participant) */
  guint max_concurrent_visits;   /* visits with someone connected */
  guint max_participants;        /* per visit, provider included */
  guint http_body_bytes;
  guint send_queue_bytes; /* unsent signaling bytes per connection */
  guint hello_timeout_s;  /* a /signaling connection without a verified hello is closed */
  guint body_timeout_s;   /* a request body must arrive whole within this */
  guint max_connections;  /* open sockets at once; 0 = from the open-files limit */
  /* [consent] what a patient (or guest) agrees to before joining */
  char *consent_text;
  char *consent_version;       /* recorded with each answer */
  char *consent_decline_phone; /* who to call instead of a video visit */
  /* [clinic] what a patient is told to do in a crisis (PHQ-9 item 9), so a
   * clinic outside the US sets its own numbers */
  char *emergency_number; /* "911": in danger now */
  char *crisis_line;      /* "988": to talk to someone now, call or text */
  char *crisis_line_name; /* "the 988 Suicide & Crisis Lifeline" */
  /* [clinic] name: how a message to a patient names the clinic */
  char *clinic_name;
  /* [mail], [sms], [notify]: invitations and reminders (server/notify) */
  ThNotifyConfig notify;
  /* [tls] */
  char *tls_certificate;
  char *tls_private_key;
  gboolean tls_self_signed;
  MediaConfig media;
  /* [follow_up] weeks to the next follow-up per rule (records.h, followup.c) */
  FollowUpPolicy follow_up;
  /* [ice]: the STUN/TURN servers browsers are given (media.stun_server is the
   * server's own) */
  ThIceConfig ice;
  /* [log] level: the least important level written (server/log.c) */
  GLogLevelFlags log_level;
  /* [store] workers: threads with a database connection each that run the
   * REST calls, signaling hooks and sweeps off the main loop (storepool.h) */
  guint store_workers;
  /* [store] queue: REST calls waiting for a worker at most; one more is
   * answered 503 busy at once (th_store_pool_full) */
  guint store_queue;
  /* [metrics] (config_listen.c): GET /metrics on a listener of its own */
  gboolean metrics_on;             /* [metrics] listen is set */
  char *metrics_host;              /* loopback, or anything with a token */
  guint16 metrics_port;            /* 0 = pick a free one */
  gboolean metrics_token_set;      /* a scraper must send Authorization: Bearer */
  guint8 metrics_token_sha256[32]; /* ... the token whose SHA-256 this is */
  /* [store] (config_store.c): sqlite in data_dir, or PostgreSQL */
  gboolean store_postgresql; /* backend = postgresql, or TELEHEALTHD_DSN set */
  char *store_dsn;           /* libpq's connection string; never logged */
  /* [cluster] (config_store.c): this node among those sharing PostgreSQL */
  char *cluster_node_id;  /* default: the host name */
  char *cluster_base_url; /* how browsers reach this node; NULL: the app's base URL */
  guint cluster_lease_s;  /* a visit's lease; a node silent this long is dead */
} ThConfig;

/* Loads `path` (NULL = built-in defaults only). */
ThConfig *th_config_load (const char *path, GError **error);
/* Applies a --listen HOST:PORT value; the error names the flag. */
gboolean th_config_set_listen (ThConfig *config, const char *value, const char *what,
                               GError **error);
void th_config_free (ThConfig *config);
/* config_snapshot.c: a copy of `live` for a job off the main loop, taken on
 * the main thread: what a reload swaps is copied, the rest shared (it
 * outlives the workers). Free with th_config_snapshot_free only. */
ThConfig *th_config_snapshot (const ThConfig *live);
void th_config_snapshot_free (ThConfig *snapshot);
/* config_listen.c: [metrics] listen and token_sha256; a listener off
 * loopback without a token is refused. */
gboolean th_metrics_config_read (GKeyFile *kf, ThConfig *config, const char *path, GError **error);
/* config_notify.c: [clinic] name, [mail], [sms], [notify] (defaults first). */
void th_notify_config_defaults (ThConfig *config);
gboolean th_notify_config_read (GKeyFile *kf, ThConfig *config, const char *path, GError **error);
void th_notify_config_clear (ThConfig *config);
extern const char *const th_notify_config_keys[][2];
/* config_store.c: [store] backend and dsn, then TELEHEALTHD_DSN, and
 * [cluster]; `kf` may be NULL (no config file). */
gboolean th_store_config_read (GKeyFile *kf, ThConfig *config, const char *path, GError **error);
extern const char *const th_store_config_keys[][2];
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ThConfig, th_config_free)
