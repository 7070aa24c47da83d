/* test_http_transport.c — the transport with a handler of the test's own
 * (no REST API behind it): a real lws context on a GLib loop, bound to
 * port 0 by lws itself, and a client thread speaking HTTP/1.1 to it.
 * A handler that fills no body must make the transport answer 500. */
#include "server/http/http.h"

#include <string.h>
#include <gio/gio.h>

typedef struct {
  guint calls;
  char *last_path;
} Seen;

static void
handle (gpointer data, const ThHttpRequest *req, ThHttpResponse *resp)
{
  Seen *seen = data;

  seen->calls++;
  g_free (seen->last_path);
  seen->last_path = g_strdup (req->path);
  resp->status = 200;
  /* "/api/silent": the handler forgets to answer. */
  if (strcmp (req->path, "/api/silent") != 0)
    resp->body = g_strdup ("{\"ok\":true}");
}

static const ThHttpHandler handler = { .handle = handle };

typedef struct {
  guint16 port;
  const char *request;
  char *answer;
  GMainLoop *loop;
} Exchange;

static gboolean
quit (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* The client side, off the loop's thread: one request, the whole answer. */
static gpointer
client (gpointer data)
{
  Exchange *x = data;
  g_autoptr (GSocketClient) sc = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn = NULL;
  g_autoptr (GError) error = NULL;
  GString *answer = g_string_new (NULL);
  char buf[4096];
  gssize n;

  g_socket_client_set_timeout (sc, 10);
  conn = g_socket_client_connect_to_host (sc, "127.0.0.1", x->port, NULL, &error);
  if (conn &&
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), x->request,
                                 strlen (x->request), NULL, NULL, &error)) {
    GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
    /* Connection: close is asked for, so the answer ends at EOF. */
    while ((n = g_input_stream_read (in, buf, sizeof buf, NULL, &error)) > 0)
      g_string_append_len (answer, buf, n);
  }
  if (error)
    g_string_append_printf (answer, "<client error: %s>", error->message);
  x->answer = g_string_free (answer, FALSE);
  g_idle_add (quit, x->loop);
  return NULL;
}

static char *
exchange (ThApp *app, const char *request)
{
  Exchange x = { .port = app->port, .request = request, .loop = app->loop };
  GThread *t = g_thread_new ("client", client, &x);

  g_main_loop_run (app->loop);
  g_thread_join (t);
  return x.answer;
}

static void
test_no_body_is_500 (void)
{
  g_autoptr (ThConfig) config = th_config_load (NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *silent = NULL, *ok = NULL;
  Seen seen = { 0 };
  ThApp app = { 0 };

  g_free (config->listen_host);
  config->listen_host = g_strdup ("127.0.0.1");
  config->listen_port = 0;
  app.config = config;
  app.loop = g_main_loop_new (NULL, FALSE);
  app.ws_per_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_assert_true (th_http_start (&app, &handler, &seen, &error));
  g_assert_no_error (error);
  /* lws bound port 0 itself; the port it reports is the one it listens on. */
  g_assert_cmpuint (app.port, >, 0);

  silent = exchange (&app, "GET /api/silent HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  g_assert_true (g_str_has_prefix (silent, "HTTP/1.1 500"));
  g_assert_nonnull (strstr (silent, "\"code\":\"internal\""));
  g_assert_cmpstr (seen.last_path, ==, "/api/silent");

  ok = exchange (&app, "GET /api/fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  g_assert_true (g_str_has_prefix (ok, "HTTP/1.1 200"));
  g_assert_nonnull (strstr (ok, "{\"ok\":true}"));
  g_assert_cmpuint (seen.calls, ==, 2);

  th_http_stop (&app);
  g_free (seen.last_path);
  g_hash_table_unref (app.ws_per_address);
  g_main_loop_unref (app.loop);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* The transport's "answering 500" warning is what this test provokes. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_test_add_func ("/http/no-body-is-500", test_no_body_is_500);
  return g_test_run ();
}
