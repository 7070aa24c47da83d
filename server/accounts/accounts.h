/* accounts.h — staff passwords and sign-in throttling.
 *
 * password.c: scrypt through OpenSSL's EVP_KDF, a random salt per password,
 * the parameters kept in the stored text so they can be raised later
 * without breaking old hashes.
 * throttle.c: the throttle policy (pure; the clock is passed in).
 * gate.c: key derivation off the main loop, on a small bounded pool, and
 * the server-wide sign-in budget. */
#pragma once

#include <glib.h>

/* "$scrypt$ln=15,r=8,p=1$<salt base64>$<hash base64>" */
char *th_password_hash (const char *password, GError **error);
/* TRUE when `password` matches `stored` (constant-time comparison). FALSE
 * with no error on a mismatch; FALSE with an error when `stored` is malformed. */
gboolean th_password_verify (const char *password, const char *stored, GError **error);
/* Spends about the time of one verification, for unknown usernames, so the
 * answer time does not tell which usernames exist. */
void th_password_verify_dummy (const char *password);
/* A random password for generated accounts: 20 characters, ~119 bits. */
char *th_password_generate (void);
/* 8..256 characters. */
gboolean th_password_acceptable (const char *password, GError **error);

/* ---- throttle.c: when a sign-in must wait. Pure: counts and "now" in. */

typedef struct {
  guint slowdown_after;   /* failures before each attempt must wait ... */
  guint lockout_after;    /* ... and before the key is locked ... */
  gint64 window_ms;       /* ... for this long; also the counting window */
  gint64 max_slowdown_ms; /* the longest wait while slowed down */
  guint max_in_flight;    /* attempts of one client being checked at once (0: any) */
} ThThrottlePolicy;

/* Failed sign-ins of one key (an account, an address, an IPv6 /64) in the
 * window, and when the latest was (unix ms; 0 when none). */
typedef struct {
  guint failures;
  gint64 latest_ms;
} ThThrottleCount;

typedef enum { TH_THROTTLE_GO, TH_THROTTLE_SLOW, TH_THROTTLE_LOCKED } ThThrottleVerdict;

/* The verdict for an attempt now, from the counts of every key it falls
 * under (the most-failed key decides) and the attempts of its client still
 * being checked; *wait_s: seconds before trying again (0 for GO). */
ThThrottleVerdict th_throttle_decide (const ThThrottlePolicy *policy, const ThThrottleCount *counts,
                                      gsize n_counts, guint in_flight, gint64 now_ms,
                                      guint *wait_s);
/* The client key of an address: an IPv4 address as it is (an IPv4-mapped
 * IPv6 address as its IPv4 form); an IPv6 address as its /64
 * ("2001:db8:1:2::/64"); anything else as given. NULL for NULL or "". */
char *th_throttle_network (const char *address);
/* The start of the fixed counting window that holds `now_ms`. */
gint64 th_throttle_window_start (const ThThrottlePolicy *policy, gint64 now_ms);

/* A token bucket: `per_second` sustained, up to `burst` at once. Times are
 * monotonic microseconds (rate, not record: never the settable clock). */
typedef struct {
  guint per_second;
  guint burst;
  double tokens;
  gint64 last_us;
} ThBudget;

void th_budget_init (ThBudget *budget, guint per_second, guint burst, gint64 now_us);
/* TRUE (and one token spent) when an attempt fits in the budget. */
gboolean th_budget_take (ThBudget *budget, gint64 now_us);

/* ---- gate.c: where sign-in passwords are checked. Main thread only, except
 * the key derivation itself, which runs on the gate's workers. */

typedef struct _ThSignInGate ThSignInGate;
/* Called on the main context once the password was checked. */
typedef void (*ThSignInChecked) (gboolean match, gpointer user_data);
/* Asked on the main context just before a waiting attempt starts: FALSE
 * (its client has gone) drops it unchecked, so a client that sends and
 * hangs up costs no key derivation. */
typedef gboolean (*ThSignInWanted) (gpointer user_data);

/* `workers` threads derive keys; up to `queue_max` more attempts wait;
 * `per_second` (burst `burst`) attempts server-wide may start one. */
ThSignInGate *th_signin_gate_new (guint workers, guint queue_max, guint per_second, guint burst);
/* Attempts not started are dropped (their user data destroyed); running
 * ones finish without calling back. */
void th_signin_gate_free (ThSignInGate *gate);
/* Spends one unit of the server-wide budget; FALSE when it is spent. */
gboolean th_signin_gate_admit (ThSignInGate *gate);
/* Attempts of `network` (th_throttle_network) queued or running. */
guint th_signin_gate_in_flight (ThSignInGate *gate, const char *network);
/* Queues a check of `password` against `stored`; a NULL `stored` (unknown
 * name, no credentials) runs the dummy check: the same work on the same
 * path, so the answer's time does not tell whether the name exists.
 * FALSE (nothing queued, nothing called) when the queue is full. `checked`
 * is called once — unless `wanted` (may be NULL) says no before the check
 * starts, or the gate is freed first — then `destroy` (user_data). */
gboolean th_signin_gate_check (ThSignInGate *gate, const char *network, const char *password,
                               const char *stored, ThSignInChecked checked, ThSignInWanted wanted,
                               gpointer user_data, GDestroyNotify destroy);
