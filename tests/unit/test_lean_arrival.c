/* test_lean_arrival.c — the kernel's arrival times (media/lean_arrival.c)
 * on real UDP sockets over loopback (run in a namespace with only lo): a
 * datagram read late is stamped with when it arrived, not when it was
 * read; a stamp asked twice for one datagram, a socket not watched and a
 * closed socket give the read time. */
#include "media/lean-private.h"

#include <gio/gio.h>

typedef struct {
  GSocket *rx, *tx;
  GSocketAddress *to;
} Pair;

static void
pair_open (Pair *p)
{
  GError *error = NULL;
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);

  p->rx = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (p->rx, any, FALSE, &error));
  g_assert_no_error (error);
  p->to = g_socket_get_local_address (p->rx, &error);
  g_assert_no_error (error);
  p->tx = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
}

static void
pair_close (Pair *p)
{
  g_clear_object (&p->rx);
  g_clear_object (&p->tx);
  g_clear_object (&p->to);
}

static void
send_one (Pair *p)
{
  GError *error = NULL;
  g_assert_cmpint (g_socket_send_to (p->tx, p->to, "datagram", 8, NULL, &error), ==, 8);
  g_assert_no_error (error);
}

/* Reads one datagram (waiting for it) and returns the time it was read. */
static gint64
read_one (Pair *p)
{
  GError *error = NULL;
  char buf[64];
  g_socket_set_timeout (p->rx, 5);
  g_assert_cmpint (g_socket_receive (p->rx, buf, sizeof buf, NULL, &error), ==, 8);
  g_assert_no_error (error);
  return g_get_monotonic_time ();
}

/* The kernel turns stamping on from a work queue after the first request
 * (net_enable_timestamp), unless another socket already wants stamps: until
 * that work has run, a datagram arrives unstamped and reads as arriving
 * now. On a loaded machine that takes a while; wait for a datagram left
 * 20 ms in the socket to read as 20 ms old (bounded: 3 s). */
static void
wait_for_stamping (Pair *p, LeanArrival *a)
{
  gint64 give_up = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

  for (;;) {
    send_one (p);
    g_usleep (20 * 1000);
    gint64 read = read_one (p);
    if (read - lean_arrival_us (a, read) >= 15 * 1000)
      return;
    g_assert_cmpint (g_get_monotonic_time (), <, give_up);
  }
}

static void
test_late_read (void)
{
  Pair p;
  LeanArrival a = LEAN_ARRIVAL_INIT;

  pair_open (&p);
  lean_arrival_watch (&a, p.rx);
  wait_for_stamping (&p, &a);
  /* Sent, then left in the socket for 80 ms before it is read. */
  gint64 sent = g_get_monotonic_time ();
  send_one (&p);
  g_usleep (80 * 1000);
  gint64 read = read_one (&p);
  gint64 arrived = lean_arrival_us (&a, read);
  g_assert_cmpint (read - arrived, >=, 70 * 1000);
  g_assert_cmpint (arrived, >=, sent - 5 * 1000); /* the two clocks agree within 5 ms */
  g_assert_cmpint (arrived, <=, read);
  /* Asked again with no new datagram: the stamp is the last one's, so it is
   * not believed for this one. */
  gint64 later = g_get_monotonic_time ();
  g_assert_cmpint (lean_arrival_us (&a, later), ==, later);
  /* The next datagram has its own stamp, after the first's. */
  send_one (&p);
  gint64 read2 = read_one (&p);
  gint64 arrived2 = lean_arrival_us (&a, read2);
  g_assert_cmpint (arrived2, >, arrived);
  g_assert_cmpint (arrived2, <=, read2);
  lean_arrival_clear (&a);
  pair_close (&p);
}

static void
test_no_stamp (void)
{
  Pair p;
  LeanArrival a = LEAN_ARRIVAL_INIT;
  GError *error = NULL;

  pair_open (&p);
  /* Nothing watched. */
  g_assert_cmpint (lean_arrival_us (&a, 12345), ==, 12345);
  lean_arrival_watch (&a, NULL);
  g_assert_cmpint (lean_arrival_us (&a, 12345), ==, 12345);
  /* A closed socket (its number may belong to another by now). */
  lean_arrival_watch (&a, p.rx);
  send_one (&p);
  gint64 read = read_one (&p);
  g_assert_true (g_socket_close (p.rx, &error));
  g_assert_no_error (error);
  g_assert_cmpint (lean_arrival_us (&a, read), ==, read);
  lean_arrival_clear (&a);
  g_assert_null (a.socket);
  pair_close (&p);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lean-arrival/late-read", test_late_read);
  g_test_add_func ("/lean-arrival/no-stamp", test_no_stamp);
  return g_test_run ();
}
