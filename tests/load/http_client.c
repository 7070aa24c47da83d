/* http_client.c — the few REST calls of the setup phase (sign in, create
 * visits), as blocking HTTP/1.1 requests over GIO with a timeout. They run
 * before any media, so blocking the loop costs nothing measured. */
#include "loadgen.h"

#include <gio/gio.h>
#include <string.h>

/* Decodes a chunked body in place; FALSE when malformed. */
static gboolean
dechunk (GString *body)
{
  GString *out = g_string_new (NULL);
  const char *p = body->str, *end = body->str + body->len;
  for (;;) {
    char *stop = NULL;
    guint64 n = g_ascii_strtoull (p, &stop, 16);
    const char *eol = g_strstr_len (p, end - p, "\r\n");
    if (stop == p || eol == NULL) {
      g_string_free (out, TRUE);
      return FALSE;
    }
    p = eol + 2;
    if (n == 0)
      break;
    if ((guint64) (end - p) < n) {
      g_string_free (out, TRUE);
      return FALSE;
    }
    g_string_append_len (out, p, (gssize) n);
    p += n + 2;
    if (p > end)
      break;
  }
  g_string_assign (body, out->str);
  g_string_free (out, TRUE);
  return TRUE;
}

int
http_request (const char *host, int port, const char *method, const char *path,
              const char *const *headers, const char *body, guint timeout_s, gchar **body_out,
              gchar **set_cookie_out, GError **error)
{
  int status = 0;
  GSocketClient *client = g_socket_client_new ();
  g_socket_client_set_timeout (client, timeout_s);
  GSocketConnection *conn = g_socket_client_connect_to_host (client, host, (guint16) port, NULL,
                                                             error);
  GString *req = NULL, *resp = NULL;
  if (body_out)
    *body_out = NULL;
  if (set_cookie_out)
    *set_cookie_out = NULL;
  if (conn == NULL)
    goto out;

  req = g_string_new (NULL);
  g_string_append_printf (req, "%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n"
                               "Accept: application/json\r\n",
                          method, path, host, port);
  for (guint i = 0; headers != NULL && headers[i] != NULL; i++)
    g_string_append_printf (req, "%s\r\n", headers[i]);
  if (body != NULL)
    g_string_append_printf (req, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                            strlen (body));
  g_string_append (req, "\r\n");
  if (body != NULL)
    g_string_append (req, body);

  GOutputStream *os = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  if (!g_output_stream_write_all (os, req->str, req->len, NULL, NULL, error))
    goto out;

  /* Connection: close, so the body ends where the stream does. */
  resp = g_string_new (NULL);
  GInputStream *is = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  char buf[8192];
  for (;;) {
    gssize n = g_input_stream_read (is, buf, sizeof buf, NULL, error);
    if (n < 0)
      goto out;
    if (n == 0)
      break;
    g_string_append_len (resp, buf, n);
    if (resp->len > 4 * 1024 * 1024) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "response too large");
      goto out;
    }
  }
  const char *head_end = strstr (resp->str, "\r\n\r\n");
  if (head_end == NULL || sscanf (resp->str, "HTTP/1.%*d %d", &status) != 1) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "malformed HTTP response");
    status = 0;
    goto out;
  }
  gchar *head = g_strndup (resp->str, head_end - resp->str);
  gchar **lines = g_strsplit (head, "\r\n", -1);
  gboolean chunked = FALSE;
  for (guint i = 1; lines[i] != NULL; i++) {
    if (g_ascii_strncasecmp (lines[i], "set-cookie:", 11) == 0 && set_cookie_out &&
        *set_cookie_out == NULL) {
      /* "name=value" only: attributes (Path, HttpOnly...) are not sent back. */
      gchar *v = g_strstrip (g_strdup (lines[i] + 11));
      gchar *semi = strchr (v, ';');
      if (semi)
        *semi = '\0';
      *set_cookie_out = v;
    } else if (g_ascii_strncasecmp (lines[i], "transfer-encoding:", 18) == 0 &&
               strstr (lines[i] + 18, "chunked") != NULL) {
      chunked = TRUE;
    }
  }
  g_strfreev (lines);
  g_free (head);
  GString *b = g_string_new (head_end + 4);
  if (chunked && !dechunk (b)) {
    g_string_free (b, TRUE);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "malformed chunked body");
    status = 0;
    goto out;
  }
  if (body_out)
    *body_out = g_string_free (b, FALSE);
  else
    g_string_free (b, TRUE);

out:
  if (req)
    g_string_free (req, TRUE);
  if (resp)
    g_string_free (resp, TRUE);
  if (conn) {
    g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
    g_object_unref (conn);
  }
  g_object_unref (client);
  return status;
}
