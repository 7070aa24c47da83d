/* lean_arrival.c — when a datagram reached the machine (lean-private.h).
 *
 * A browser's bandwidth estimate is built from our transport-wide feedback:
 * for each of its packets, when it arrived. Taken as the time our worker
 * read it, that is the network's timing plus our scheduling: a worker that
 * waited 10 ms for a core (two browsers and a relay on two cores) reads ten
 * packets in a burst and reports them as arriving together. Chrome's probe
 * estimator then sees a receive interval of zero or a receive rate many
 * times the send rate, throws the probe away, and its estimate stays where
 * the first probe left it (measured: ~900 kbit/s for a whole visit in about
 * half of the bench's browser runs, where Janus's reached 3.5 Mbit/s).
 *
 * The kernel stamps each datagram as it arrives. libnice reads the socket
 * and hides the control messages that would carry the stamp, but
 * SIOCGSTAMPNS (socket(7)) gives the stamp of the last datagram read from a
 * socket: asked right after libnice hands us a datagram from the selected
 * pair's socket, it is that datagram's. The stamp is on the real-time
 * clock; converted to the monotonic clock by its age. A stamp seen before
 * (the datagram came on another socket, e.g. during ICE's checks), one from
 * the future or older than a second, or a closed socket: the read time. */
#include "media/lean-private.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <time.h>

/* An age beyond this is not the datagram just read. */
#define LEAN_ARRIVAL_MAX_AGE_US G_USEC_PER_SEC

void
lean_arrival_watch (LeanArrival *a, GSocket *socket)
{
  lean_arrival_clear (a);
  if (socket == NULL)
    return;
  a->socket = g_object_ref (socket);
  a->fd = g_socket_get_fd (socket);
  /* The first request turns the kernel's stamping on; it has no stamp yet. */
  struct timespec ts;
  (void) ioctl (a->fd, SIOCGSTAMPNS, &ts);
}

void
lean_arrival_clear (LeanArrival *a)
{
  g_clear_object (&a->socket);
  a->fd = -1;
  a->last_ns = 0;
}

gint64
lean_arrival_us (LeanArrival *a, gint64 read_us)
{
  struct timespec ts;
  if (a->socket == NULL || g_socket_is_closed (a->socket) ||
      ioctl (a->fd, SIOCGSTAMPNS, &ts) != 0)
    return read_us;
  gint64 ns = (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
  if (ns == a->last_ns)
    return read_us;
  a->last_ns = ns;
  gint64 age = g_get_real_time () - ns / 1000;
  if (age < 0 || age > LEAN_ARRIVAL_MAX_AGE_US)
    return read_us;
  return read_us - age;
}
