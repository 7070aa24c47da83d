/* http.h — the libwebsockets context on the GLib loop: static files, the
 * REST API and the signaling WebSocket on one port. */
#pragma once

#include "server/app.h"
#include "server/config.h"

gboolean th_http_start (ThApp *app, GError **error);
void th_http_stop (ThApp *app);

/* ---- tls.c: HTTPS/WSS material, the configured certificate and key, or a
 * self-signed pair made with OpenSSL on first start and kept in the data
 * directory. */
/* Resolves the certificate and key the server should use:
 *  - both configured ([tls] certificate, private_key): checked readable, returned;
 *  - [tls] self_signed = true: <data_dir>/tls/cert.pem and key.pem, generated
 *    (EC P-256, SHA-256, valid 1 year, SAN: the listen host, localhost,
 *    127.0.0.1, ::1) if missing, reused otherwise;
 *  - neither: *cert_path and *key_path NULL (plain HTTP), which is refused
 *    with an error unless the listen address is loopback. */
gboolean th_tls_prepare (const ThConfig *config, char **cert_path, char **key_path,
                         GError **error);
gboolean th_tls_host_is_loopback (const char *host);
