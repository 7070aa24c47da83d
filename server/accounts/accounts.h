/* password.h — staff passwords: scrypt through OpenSSL's EVP_KDF, a random
 * salt per password, the parameters kept in the stored text so they can be
 * raised later without breaking old hashes. */
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
