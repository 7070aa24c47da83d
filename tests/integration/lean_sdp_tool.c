/* lean_sdp_tool.c — the lean engine's SDP (media/lean_sdp.c) for a real
 * browser test (tests/integration/lean-sdp.test.mjs):
 *
 *   lean_sdp_tool offer K    prints lean_sdp_offer's offer for K remote slots
 *   lean_sdp_tool answer K   reads an answer on stdin, checks it as the
 *                            server does (media_sdp_parse_answer, then
 *                            lean_sdp_read_answer) and prints one JSON
 *                            object: what was read, or {"error": "..."}
 *
 * The offer's ICE credentials, SSRCs and cname are random as a leg's are.
 * Its fingerprint is a fixed, well-formed one: only SDP is exchanged (no
 * DTLS handshake), and a browser checks the certificate against it only
 * when one arrives. Exit status 0 unless the tool itself was misused.
 */
#include "media/lean-private.h"

#include <gst/sdp/sdp.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#define TOOL_FINGERPRINT                                                                       \
  "sha-256 "                                                                                   \
  "3C:4E:11:9A:5B:70:D2:E8:0F:A6:C3:19:77:B0:4D:E2:58:91:0A:6C:F3:2B:DE:45:87:10:9C:B6:E1:34:" \
  "7A:C2"

/* An ICE token of `len` ice-chars (RFC 8839). */
static gchar *
random_token (guint len)
{
  static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  gchar *s = g_malloc (len + 1);
  for (guint i = 0; i < len; i++)
    s[i] = chars[g_random_int_range (0, (gint) sizeof chars - 1)];
  s[len] = '\0';
  return s;
}

static int
print_offer (guint n_mlines)
{
  guint32 ssrc[MEDIA_MAX_MLINES];
  gchar *mids[MEDIA_MAX_MLINES] = { NULL };
  gchar *ufrag = random_token (16), *pwd = random_token (32), *cname = random_token (16);

  for (guint m = 0; m < n_mlines; m++)
    do
      ssrc[m] = g_random_int ();
    while (ssrc[m] == 0);
  LeanOffer offer = { .ice_ufrag = ufrag,
                      .ice_pwd = pwd,
                      .fingerprint = TOOL_FINGERPRINT,
                      .n_mlines = n_mlines,
                      .ssrc = ssrc,
                      .cname = cname,
                      .session_id = ((guint64) g_random_int () << 31) ^ g_random_int () };
  gchar *text = lean_sdp_offer (&offer, mids);
  fputs (text, stdout);
  g_free (text);
  for (guint m = 0; m < n_mlines; m++)
    g_free (mids[m]);
  g_free (ufrag), g_free (pwd), g_free (cname);
  return 0;
}

static json_t *
answer_json (const LeanAnswer *a, guint n_mlines)
{
  json_t *accepted = json_array (), *candidates = json_array ();
  for (guint m = 0; m < n_mlines; m++)
    json_array_append_new (accepted, json_boolean (a->accepted[m]));
  for (guint i = 0; i < a->candidates->len; i++)
    json_array_append_new (candidates, json_string (a->candidates->pdata[i]));
  return json_pack ("{s:s, s:s, s:s, s:s, s:i, s:o, s:o}", "ice_ufrag", a->ice_ufrag, "ice_pwd",
                    a->ice_pwd, "fingerprint", a->fingerprint, "role",
                    a->dtls_role == LEAN_DTLS_ROLE_SERVER ? "server" : "client", "twcc_ext_id",
                    (int) a->twcc_ext_id, "accepted", accepted, "candidates", candidates);
}

static int
read_answer (guint n_mlines)
{
  GString *text = g_string_new (NULL);
  char buf[4096];
  size_t n;
  GstSDPMessage *msg = NULL;
  GError *error = NULL;
  LeanAnswer answer;
  json_t *out;

  while ((n = fread (buf, 1, sizeof buf, stdin)) > 0)
    g_string_append_len (text, buf, (gssize) n);
  if (media_sdp_parse_answer (text->str, n_mlines, &msg, &error) &&
      lean_sdp_read_answer (msg, &answer, &error)) {
    out = answer_json (&answer, n_mlines);
    lean_answer_clear (&answer);
  } else {
    out = json_pack ("{s:s}", "error", error->message);
    g_clear_error (&error);
  }
  if (msg != NULL)
    gst_sdp_message_free (msg);
  char *dump = json_dumps (out, JSON_COMPACT);
  puts (dump);
  free (dump);
  json_decref (out);
  g_string_free (text, TRUE);
  return 0;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  guint64 slots = 0;
  if (argc != 3 ||
      !g_ascii_string_to_unsigned (argv[2], 10, 1, MEDIA_MAX_REMOTE_SLOTS, &slots, NULL)) {
    fprintf (stderr, "usage: %s offer|answer REMOTE_SLOTS (1..%d)\n", argv[0],
             MEDIA_MAX_REMOTE_SLOTS);
    return 2;
  }
  guint n_mlines = media_layout_n_mlines ((guint) slots);
  if (g_strcmp0 (argv[1], "offer") == 0)
    return print_offer (n_mlines);
  if (g_strcmp0 (argv[1], "answer") == 0)
    return read_answer (n_mlines);
  fprintf (stderr, "%s: unknown command '%s'\n", argv[0], argv[1]);
  return 2;
}
