/* ice.c — GET /api/ice-servers: the STUN and TURN servers a browser
 * gives its RTCPeerConnection, with TURN credentials that can start an
 * allocation until they expire (coturn `use-auth-secret`; ice_servers.h).
 * The TURN username carries the caller's participant id (patients, guests)
 * or staff id: random ids, never a name. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"
#include "server/ice_servers.h"

#include <string.h>

static json_t *
urls_json (char **urls)
{
  json_t *list = json_array ();

  for (guint i = 0; urls && urls[i]; i++)
    json_array_append_new (list, json_string (urls[i]));
  return list;
}

void
th_get_ice_servers (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const ThIceConfig *ice = &app->config->ice;
  const ThCaller *caller = &call->caller;
  json_t *servers;
  /* The real clock, never the server's settable one (clock.h): the TURN
   * server checks this expiry against its own real time. */
  gint64 expiry = g_get_real_time () / G_USEC_PER_SEC + ice->turn_ttl_s;
  g_autofree char *expires_at = th_iso_from_ms (expiry * 1000);

  (void) req;
  servers = json_array ();
  if (ice->stun_urls)
    json_array_append_new (servers, json_pack ("{s:o}", "urls", urls_json (ice->stun_urls)));
  if (ice->turn_urls) {
    const char *id = caller->kind == CALLER_PATIENT ? caller->participant.id : caller->staff_id;
    g_autofree char *username = th_turn_username (expiry, id);
    g_autofree char *credential = th_turn_credential (ice->turn_secret, username);
    json_array_append_new (servers,
                           json_pack ("{s:o, s:s, s:s}", "urls", urls_json (ice->turn_urls),
                                      "username", username, "credential", credential));
  }
  th_respond_json (r, 200,
                   json_pack ("{s:o, s:s, s:s}", "ice_servers", servers, "ice_transport_policy",
                              ice->relay_only ? "relay" : "all", "expires_at", expires_at));
}
