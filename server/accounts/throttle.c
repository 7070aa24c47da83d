/* throttle.c — the sign-in throttle policy, pure: counts and a clock
 * reading in, a verdict out. The store keeps the counts; session.c asks.
 *
 * Why a /64: an IPv6 subscriber is handed at least a /64 (RFC 6177), so an
 * attacker can use 2^64 addresses while a per-address count would see each
 * of them once. The /64 is counted as one client, with the same limits as
 * one IPv4 address. */
#include "server/accounts/accounts.h"

#include <string.h>
#include <arpa/inet.h>

char *
th_throttle_network (const char *address)
{
  struct in6_addr a6;
  struct in_addr a4;
  char text[INET6_ADDRSTRLEN];

  if (!address || !*address)
    return NULL;
  if (inet_pton (AF_INET, address, &a4) == 1)
    return g_strdup (address);
  if (inet_pton (AF_INET6, address, &a6) != 1)
    return g_strdup (address); /* not an address: counted as given */
  /* An IPv4 client seen through a dual-stack socket is that IPv4 address. */
  if (IN6_IS_ADDR_V4MAPPED (&a6)) {
    memcpy (&a4, &a6.s6_addr[12], 4);
    if (!inet_ntop (AF_INET, &a4, text, sizeof text))
      return g_strdup (address);
    return g_strdup (text);
  }
  memset (&a6.s6_addr[8], 0, 8);
  if (!inet_ntop (AF_INET6, &a6, text, sizeof text))
    return g_strdup (address);
  return g_strdup_printf ("%s/64", text);
}

gint64
th_throttle_window_start (const ThThrottlePolicy *p, gint64 now_ms)
{
  if (p->window_ms <= 0 || now_ms <= 0)
    return 0;
  return now_ms - now_ms % p->window_ms;
}

ThThrottleVerdict
th_throttle_decide (const ThThrottlePolicy *p, const ThThrottleCount *counts, gsize n_counts,
                    guint in_flight, gint64 now_ms, guint *wait_s)
{
  guint failures = 0;
  gint64 latest = 0;

  *wait_s = 0;
  for (gsize i = 0; i < n_counts; i++) {
    failures = MAX (failures, counts[i].failures);
    latest = MAX (latest, counts[i].latest_ms);
  }
  if (failures >= p->lockout_after) {
    *wait_s = (guint) MAX (1, (latest + p->window_ms - now_ms + 999) / 1000);
    return TH_THROTTLE_LOCKED;
  }
  if (failures >= p->slowdown_after) {
    /* 1 s after the first failure past the threshold, doubling, capped. */
    guint shift = MIN (failures - p->slowdown_after, 20u);
    gint64 delay_ms = MIN ((gint64) 1000 << shift, p->max_slowdown_ms);
    if (now_ms - latest < delay_ms) {
      *wait_s = (guint) MAX (1, (latest + delay_ms - now_ms + 999) / 1000);
      return TH_THROTTLE_SLOW;
    }
  }
  /* Attempts still being checked count too: without this, many sent at
   * once from one client would all pass before the first failure is
   * written. */
  if (p->max_in_flight && in_flight >= p->max_in_flight) {
    *wait_s = 1;
    return TH_THROTTLE_SLOW;
  }
  return TH_THROTTLE_GO;
}

void
th_budget_init (ThBudget *b, guint per_second, guint burst, gint64 now_us)
{
  b->per_second = per_second;
  b->burst = MAX (burst, 1u);
  b->tokens = b->burst;
  b->last_us = now_us;
}

gboolean
th_budget_take (ThBudget *b, gint64 now_us)
{
  if (now_us > b->last_us) {
    b->tokens = MIN ((double) b->burst,
                     b->tokens + (double) (now_us - b->last_us) * b->per_second / 1e6);
    b->last_us = now_us;
  }
  if (b->tokens < 1.0)
    return FALSE;
  b->tokens -= 1.0;
  return TRUE;
}
