/* test_throttle.c — the sign-in throttle policy (pure, the clock passed in):
 * slow-down and lockout windows, the IPv6 /64 as one client, the counting
 * window, the server-wide budget; and the gate that checks passwords on
 * worker threads (real scrypt), its bounded queue and its answers on the
 * main loop. */
#include <string.h>

#include <glib.h>

#include "server/accounts/accounts.h"

#define SECOND G_GINT64_CONSTANT (1000)
#define MINUTE (60 * SECOND)
/* 2026-03-01T00:00:00Z: any instant would do. */
#define T0 G_GINT64_CONSTANT (1772323200000)

static const ThThrottlePolicy kPolicy = {
  .slowdown_after = 3,
  .lockout_after = 10,
  .window_ms = 15 * MINUTE,
  .max_slowdown_ms = 60 * SECOND,
  .max_in_flight = 3,
};

static ThThrottleVerdict
decide1 (guint failures, gint64 latest, guint in_flight, gint64 now, guint *wait)
{
  ThThrottleCount c = { failures, latest };
  return th_throttle_decide (&kPolicy, &c, 1, in_flight, now, wait);
}

static void
test_below_threshold (void)
{
  guint wait = 99;

  g_assert_cmpint (decide1 (0, 0, 0, T0, &wait), ==, TH_THROTTLE_GO);
  g_assert_cmpuint (wait, ==, 0);
  g_assert_cmpint (decide1 (2, T0, 0, T0, &wait), ==, TH_THROTTLE_GO);
  g_assert_cmpint (th_throttle_decide (&kPolicy, NULL, 0, 0, T0, &wait), ==, TH_THROTTLE_GO);
}

static void
test_slowdown_doubles (void)
{
  guint wait = 0;

  /* 3 failures: wait 1 s after the latest; 4: 2 s; 5: 4 s. */
  g_assert_cmpint (decide1 (3, T0, 0, T0, &wait), ==, TH_THROTTLE_SLOW);
  g_assert_cmpuint (wait, ==, 1);
  g_assert_cmpint (decide1 (3, T0, 0, T0 + SECOND, &wait), ==, TH_THROTTLE_GO);
  g_assert_cmpint (decide1 (4, T0, 0, T0 + SECOND, &wait), ==, TH_THROTTLE_SLOW);
  g_assert_cmpuint (wait, ==, 1);
  g_assert_cmpint (decide1 (4, T0, 0, T0 + 2 * SECOND, &wait), ==, TH_THROTTLE_GO);
  g_assert_cmpint (decide1 (5, T0, 0, T0 + 500, &wait), ==, TH_THROTTLE_SLOW);
  g_assert_cmpuint (wait, ==, 4);  /* 3.5 s, rounded up */
  /* Capped at max_slowdown_ms. */
  g_assert_cmpint (decide1 (9, T0, 0, T0 + 59 * SECOND, &wait), ==, TH_THROTTLE_SLOW);
  g_assert_cmpuint (wait, ==, 1);
  g_assert_cmpint (decide1 (9, T0, 0, T0 + 60 * SECOND, &wait), ==, TH_THROTTLE_GO);
}

static void
test_lockout_window (void)
{
  guint wait = 0;

  g_assert_cmpint (decide1 (10, T0, 0, T0, &wait), ==, TH_THROTTLE_LOCKED);
  g_assert_cmpuint (wait, ==, 15 * 60);
  /* Counted from the latest failure, to the end of the window. */
  g_assert_cmpint (decide1 (10, T0, 0, T0 + 14 * MINUTE + 30 * SECOND, &wait), ==,
                   TH_THROTTLE_LOCKED);
  g_assert_cmpuint (wait, ==, 30);
  /* Never "wait 0" while locked (the counts decide when it ends). */
  g_assert_cmpint (decide1 (12, T0, 0, T0 + 20 * MINUTE, &wait), ==, TH_THROTTLE_LOCKED);
  g_assert_cmpuint (wait, ==, 1);
}

static void
test_worst_key_decides (void)
{
  /* The account is clean, the address is locked: locked. */
  ThThrottleCount c[3] = { { 0, 0 }, { 10, T0 }, { 1, T0 } };
  guint wait = 0;

  g_assert_cmpint (th_throttle_decide (&kPolicy, c, 3, 0, T0 + MINUTE, &wait), ==,
                   TH_THROTTLE_LOCKED);
  g_assert_cmpuint (wait, ==, 14 * 60);
}

static void
test_in_flight (void)
{
  guint wait = 0;

  g_assert_cmpint (decide1 (0, 0, 2, T0, &wait), ==, TH_THROTTLE_GO);
  g_assert_cmpint (decide1 (0, 0, 3, T0, &wait), ==, TH_THROTTLE_SLOW);
  g_assert_cmpuint (wait, ==, 1);
  /* A policy with no bound on attempts at once. */
  {
    ThThrottlePolicy any = kPolicy;
    ThThrottleCount c = { 0, 0 };
    any.max_in_flight = 0;
    g_assert_cmpint (th_throttle_decide (&any, &c, 1, 1000, T0, &wait), ==, TH_THROTTLE_GO);
  }
}

static void
test_network (void)
{
  static const struct { const char *address, *network; } cases[] = {
    { "127.0.0.7", "127.0.0.7" },
    { "203.0.113.9", "203.0.113.9" },
    { "::ffff:198.51.100.4", "198.51.100.4" },
    { "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64" },
    { "2001:db8:1:2::ffff", "2001:db8:1:2::/64" },
    { "2001:DB8:1:2:aaaa::1", "2001:db8:1:2::/64" },
    { "2001:db8:1:3::1", "2001:db8:1:3::/64" },
    { "::1", "::/64" },
    { "fe80::1", "fe80::/64" },
    { "not an address", "not an address" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    char *n = th_throttle_network (cases[i].address);
    g_assert_cmpstr (n, ==, cases[i].network);
    g_free (n);
  }
  g_assert_null (th_throttle_network (NULL));
  g_assert_null (th_throttle_network (""));
}

static void
test_window_start (void)
{
  gint64 w = th_throttle_window_start (&kPolicy, T0 + 7 * MINUTE);

  g_assert_cmpint (w, ==, T0);  /* T0 is a whole quarter hour */
  g_assert_cmpint (th_throttle_window_start (&kPolicy, T0 + 15 * MINUTE - 1), ==, T0);
  g_assert_cmpint (th_throttle_window_start (&kPolicy, T0 + 15 * MINUTE), ==, T0 + 15 * MINUTE);
  g_assert_cmpint (th_throttle_window_start (&kPolicy, 0), ==, 0);
}

static void
test_budget (void)
{
  ThBudget b;
  const gint64 us = G_USEC_PER_SEC;

  th_budget_init (&b, 10, 5, 0);
  for (int i = 0; i < 5; i++)
    g_assert_true (th_budget_take (&b, 0));
  g_assert_false (th_budget_take (&b, 0));
  /* 10 a second: one more after 0.1 s, not before. */
  g_assert_false (th_budget_take (&b, us / 20));
  g_assert_true (th_budget_take (&b, us / 10));
  g_assert_false (th_budget_take (&b, us / 10));
  /* Refills to the burst, not past it. */
  for (int i = 0; i < 5; i++)
    g_assert_true (th_budget_take (&b, 100 * us));
  g_assert_false (th_budget_take (&b, 100 * us));
  /* A clock that steps back spends nothing extra. */
  g_assert_false (th_budget_take (&b, 50 * us));
}

/* ------------------------------------------------------------ the gate */

typedef struct {
  guint answered;
  guint matched;
  guint destroyed;
  GMainLoop *loop;
  guint expect;
} GateRun;

static void
gate_checked (gboolean match, gpointer user_data)
{
  GateRun *run = user_data;

  run->answered++;
  run->matched += match ? 1 : 0;
  /* Called back on the thread that runs the loop (the test's own). */
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  if (run->answered == run->expect)
    g_main_loop_quit (run->loop);
}

static void
gate_destroy (gpointer user_data)
{
  ((GateRun *) user_data)->destroyed++;
}

static gboolean
gate_timeout (gpointer data)
{
  (void) data;
  g_error ("the gate did not answer within 30 s");
  return G_SOURCE_REMOVE;
}

static void
test_gate (void)
{
  char *stored = th_password_hash ("correct horse battery", NULL);
  ThSignInGate *gate = th_signin_gate_new (2, 3, 100, 100);
  GateRun run = { .loop = g_main_loop_new (NULL, FALSE), .expect = 5 };
  guint timeout = g_timeout_add_seconds (30, gate_timeout, NULL);

  g_assert_nonnull (stored);
  /* 2 running + 3 waiting fit; the sixth is refused at once. */
  g_assert_true (th_signin_gate_check (gate, "10.0.0.1", "correct horse battery", stored,
                                       gate_checked, NULL, &run, gate_destroy));
  g_assert_true (th_signin_gate_check (gate, "10.0.0.1", "wrong", stored, gate_checked, NULL, &run,
                                       gate_destroy));
  g_assert_true (th_signin_gate_check (gate, "10.0.0.2", "anything", NULL, gate_checked, NULL, &run,
                                       gate_destroy));
  g_assert_true (th_signin_gate_check (gate, "10.0.0.3", "correct horse battery", stored,
                                       gate_checked, NULL, &run, gate_destroy));
  g_assert_true (th_signin_gate_check (gate, "10.0.0.3", "", NULL, gate_checked, NULL, &run,
                                       gate_destroy));
  g_assert_false (th_signin_gate_check (gate, "10.0.0.4", "x", stored, gate_checked, NULL, &run,
                                        gate_destroy));
  g_assert_cmpuint (th_signin_gate_in_flight (gate, "10.0.0.1"), ==, 2);
  g_assert_cmpuint (th_signin_gate_in_flight (gate, "10.0.0.3"), ==, 2);
  g_assert_cmpuint (th_signin_gate_in_flight (gate, "10.0.0.4"), ==, 0);
  /* Nothing is answered before the loop runs: the caller's handler returns first. */
  g_assert_cmpuint (run.answered, ==, 0);
  g_main_loop_run (run.loop);
  g_assert_cmpuint (run.answered, ==, 5);
  g_assert_cmpuint (run.matched, ==, 2);  /* the dummy check never matches */
  g_assert_cmpuint (run.destroyed, ==, 5);
  g_assert_cmpuint (th_signin_gate_in_flight (gate, "10.0.0.1"), ==, 0);
  /* Room again once the queue drained. */
  run.expect = 6;
  g_assert_true (th_signin_gate_check (gate, "10.0.0.4", "x", stored, gate_checked, NULL, &run,
                                       gate_destroy));
  g_main_loop_run (run.loop);
  g_assert_cmpuint (run.answered, ==, 6);

  /* The budget: 100 a second, burst 100. */
  for (int i = 0; i < 100; i++)
    g_assert_true (th_signin_gate_admit (gate));
  g_assert_false (th_signin_gate_admit (gate));

  g_source_remove (timeout);
  th_signin_gate_free (gate);
  g_main_loop_unref (run.loop);
  g_free (stored);
}

/* Freed with attempts waiting: they are dropped (their data destroyed), and
 * the running ones never call back. */
static void
test_gate_free_pending (void)
{
  ThSignInGate *gate = th_signin_gate_new (1, 4, 10, 10);
  GateRun run = { .expect = 100 };

  for (int i = 0; i < 4; i++)
    g_assert_true (th_signin_gate_check (gate, "10.0.0.1", "x", NULL, gate_checked, NULL, &run,
                                         gate_destroy));
  th_signin_gate_free (gate);
  g_assert_cmpuint (run.destroyed, ==, 3);  /* the waiting ones; one was running */
  /* Let the running one finish and come back: no call, then its data goes. */
  for (int i = 0; i < 300 && run.destroyed < 4; i++) {
    g_main_context_iteration (NULL, FALSE);
    g_usleep (10000);
  }
  g_assert_cmpuint (run.destroyed, ==, 4);
  g_assert_cmpuint (run.answered, ==, 0);
}

typedef struct {
  GateRun *run;
  gboolean wanted;
} Want;

static gboolean
want_it (gpointer user_data)
{
  return ((Want *) user_data)->wanted;
}

static void
want_checked (gboolean match, gpointer user_data)
{
  gate_checked (match, ((Want *) user_data)->run);
}

static void
want_destroy (gpointer user_data)
{
  gate_destroy (((Want *) user_data)->run);
}

/* A waiting attempt nobody wants any more (its client hung up) is dropped
 * when its turn comes: no check, no callback, its data destroyed. */
static void
test_gate_unwanted (void)
{
  ThSignInGate *gate = th_signin_gate_new (1, 4, 10, 10);
  GateRun run = { .loop = g_main_loop_new (NULL, FALSE), .expect = 2 };
  Want w[4] = { { &run, TRUE }, { &run, TRUE }, { &run, TRUE }, { &run, TRUE } };
  guint timeout = g_timeout_add_seconds (30, gate_timeout, NULL);

  for (int i = 0; i < 4; i++)
    g_assert_true (th_signin_gate_check (gate, "10.0.0.1", "x", NULL, want_checked, want_it, &w[i],
                                         want_destroy));
  /* The first is running; two of the waiting ones are given up. */
  w[1].wanted = FALSE;
  w[2].wanted = FALSE;
  g_main_loop_run (run.loop);
  g_assert_cmpuint (run.answered, ==, 2);
  g_assert_cmpuint (run.destroyed, ==, 4);
  g_assert_cmpuint (th_signin_gate_in_flight (gate, "10.0.0.1"), ==, 0);
  g_source_remove (timeout);
  th_signin_gate_free (gate);
  g_main_loop_unref (run.loop);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/throttle/below-threshold", test_below_threshold);
  g_test_add_func ("/throttle/slowdown-doubles", test_slowdown_doubles);
  g_test_add_func ("/throttle/lockout-window", test_lockout_window);
  g_test_add_func ("/throttle/worst-key-decides", test_worst_key_decides);
  g_test_add_func ("/throttle/in-flight", test_in_flight);
  g_test_add_func ("/throttle/network-64", test_network);
  g_test_add_func ("/throttle/window-start", test_window_start);
  g_test_add_func ("/throttle/budget", test_budget);
  g_test_add_func ("/gate/check", test_gate);
  g_test_add_func ("/gate/free-pending", test_gate_free_pending);
  g_test_add_func ("/gate/unwanted", test_gate_unwanted);
  return g_test_run ();
}
