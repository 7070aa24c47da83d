/* password.c — staff passwords hashed with scrypt through OpenSSL 3's
 * EVP_KDF ("SCRYPT").
 *
 * Stored text: "$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<key>", salt and key
 * in standard base64 without '=' padding (the passlib / crypt(3) habit).
 * The parameters travel with the hash, so raising them later only affects
 * new hashes; verification accepts a bounded range so a corrupted or hostile
 * row cannot ask for an absurd amount of work or memory.
 *
 * Nothing here logs or puts a password into an error message.
 */
#include "server/accounts/accounts.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define PW_ERROR (g_quark_from_static_string ("th-password-error"))
enum { PW_ERROR_FAILED, PW_ERROR_MALFORMED, PW_ERROR_UNACCEPTABLE };

/* Current parameters for new hashes: N = 2^15, r = 8 → 32 MiB per hash,
 * roughly 0.1 s on a server core (OWASP's scrypt baseline). */
#define PW_LN 15
#define PW_R 8
#define PW_P 1
#define PW_SALT_BYTES 16
#define PW_KEY_BYTES 32

/* What verification accepts from a stored hash. */
#define PW_LN_MIN 10
#define PW_LN_MAX 20
#define PW_R_MIN 1
#define PW_R_MAX 32
#define PW_P_MIN 1
#define PW_P_MAX 16
#define PW_SALT_MIN_BYTES 8
#define PW_SALT_MAX_BYTES 64

#define PW_GENERATED_LEN 20
#define PW_MIN_CHARS 8
#define PW_MAX_CHARS 256

/* A hash of an unguessable password with the current parameters: verifying
 * against it costs what verifying a real account costs. */
static const char kDummyHash[] =
  "$scrypt$ln=15,r=8,p=1$wVYNHjnnj0pXjjZrQ5Lm3A$Vjri1UcmPzRkz0jdh8Pz7ijEyH7hpUQV1X7mQyDoxAw";

/* No 0/O, 1/l/I: a generated password is read off a screen and typed. */
static const char kAlphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* ------------------------------------------------------------ base64 */

/* Standard base64 without padding. */
static char *
b64_encode_nopad (const guchar *data, gsize len)
{
  char *text = g_base64_encode (data, len);
  gsize n = strlen (text);

  while (n > 0 && text[n - 1] == '=')
    text[--n] = '\0';
  return text;
}

/* Decodes unpadded standard base64 strictly: only the alphabet, a possible
 * length, and the canonical encoding (so two texts never decode to the same
 * bytes — g_base64_decode alone skips stray characters). */
static guchar *
b64_decode_nopad (const char *text, gsize *out_len)
{
  gsize n = strlen (text);
  guchar *data = NULL;
  char *padded = NULL;
  char *again = NULL;

  if (n == 0 || n % 4 == 1 || n > 1024)
    goto fail;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/')
      goto fail;
  padded = g_strnfill (n + (4 - n % 4) % 4, '=');
  memcpy (padded, text, n);
  data = g_base64_decode (padded, out_len);
  again = b64_encode_nopad (data, *out_len);
  if (strcmp (again, text) != 0)
    goto fail;
  g_free (padded);
  g_free (again);
  return data;
fail:
  g_free (padded);
  g_free (again);
  g_free (data);
  *out_len = 0;
  return NULL;
}

/* ------------------------------------------------------------ scrypt */

static gboolean
scrypt_derive (const char *password, const guchar *salt, gsize salt_len, guint ln, guint32 r,
               guint32 p, guchar *key, gsize key_len, GError **error)
{
  EVP_KDF *kdf = NULL;
  EVP_KDF_CTX *ctx = NULL;
  OSSL_PARAM params[7];
  uint64_t n = (uint64_t) 1 << ln;
  /* Exactly what OpenSSL's scrypt allocates (B: 128·r·p, V and XY:
   * 128·r·(N + 2)); its default cap (32 MiB) would refuse r = 8, N = 2^15
   * by a few KiB. The accepted parameter ranges bound this. */
  uint64_t maxmem = (uint64_t) 128 * r * (n + p + 2);
  gboolean ok = FALSE;
  int i = 0;

  kdf = EVP_KDF_fetch (NULL, "SCRYPT", NULL);
  if (!kdf || !(ctx = EVP_KDF_CTX_new (kdf))) {
    g_set_error (error, PW_ERROR, PW_ERROR_FAILED, "scrypt is not available");
    goto out;
  }
  params[i++] = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_PASSWORD, (void *) password,
                                                   strlen (password));
  params[i++] = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_SALT, (void *) salt, salt_len);
  params[i++] = OSSL_PARAM_construct_uint64 (OSSL_KDF_PARAM_SCRYPT_N, &n);
  params[i++] = OSSL_PARAM_construct_uint32 (OSSL_KDF_PARAM_SCRYPT_R, &r);
  params[i++] = OSSL_PARAM_construct_uint32 (OSSL_KDF_PARAM_SCRYPT_P, &p);
  params[i++] = OSSL_PARAM_construct_uint64 (OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
  params[i] = OSSL_PARAM_construct_end ();
  if (EVP_KDF_derive (ctx, key, key_len, params) != 1) {
    g_set_error (error, PW_ERROR, PW_ERROR_FAILED, "scrypt failed");
    goto out;
  }
  ok = TRUE;
out:
  EVP_KDF_CTX_free (ctx);
  EVP_KDF_free (kdf);
  return ok;
}

char *
th_password_hash (const char *password, GError **error)
{
  guchar salt[PW_SALT_BYTES];
  guchar key[PW_KEY_BYTES];
  char *salt_text = NULL, *key_text = NULL, *stored = NULL;

  if (!password) {
    g_set_error (error, PW_ERROR, PW_ERROR_UNACCEPTABLE, "no password");
    return NULL;
  }
  if (RAND_bytes (salt, sizeof salt) != 1) {
    g_set_error (error, PW_ERROR, PW_ERROR_FAILED, "random generator failed");
    goto out;
  }
  if (!scrypt_derive (password, salt, sizeof salt, PW_LN, PW_R, PW_P, key, sizeof key, error))
    goto out;
  salt_text = b64_encode_nopad (salt, sizeof salt);
  key_text = b64_encode_nopad (key, sizeof key);
  stored = g_strdup_printf ("$scrypt$ln=%d,r=%d,p=%d$%s$%s", PW_LN, PW_R, PW_P, salt_text,
                            key_text);
out:
  OPENSSL_cleanse (key, sizeof key);
  if (key_text)
    OPENSSL_cleanse (key_text, strlen (key_text));
  g_free (key_text);
  g_free (salt_text);
  return stored;
}

/* "name=<decimal>" with the value in [min, max]. */
static gboolean
parse_param (const char *field, const char *name, guint64 min, guint64 max, guint64 *out)
{
  gsize name_len = strlen (name);

  if (strncmp (field, name, name_len) != 0 || field[name_len] != '=')
    return FALSE;
  /* Strict: digits only (no sign, no spaces), within range. */
  return g_ascii_string_to_unsigned (field + name_len + 1, 10, min, max, out, NULL);
}

typedef struct {
  guint ln;
  guint32 r, p;
  guchar *salt;
  gsize salt_len;
  guchar *key;
  gsize key_len;
} ParsedHash;

static void
parsed_hash_clear (ParsedHash *h)
{
  if (h->key)
    OPENSSL_cleanse (h->key, h->key_len);
  g_free (h->key);
  g_free (h->salt);
  memset (h, 0, sizeof *h);
}

static gboolean
parse_stored (const char *stored, ParsedHash *out, GError **error)
{
  char **parts = NULL;
  char **fields = NULL;
  guint64 ln = 0, r = 0, p = 0;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  if (!stored || strlen (stored) > 512)
    goto out;
  /* "", "scrypt", "ln=..,r=..,p=..", salt, key */
  parts = g_strsplit (stored, "$", -1);
  if (g_strv_length (parts) != 5 || parts[0][0] != '\0' || strcmp (parts[1], "scrypt") != 0)
    goto out;
  fields = g_strsplit (parts[2], ",", -1);
  if (g_strv_length (fields) != 3 || !parse_param (fields[0], "ln", PW_LN_MIN, PW_LN_MAX, &ln) ||
      !parse_param (fields[1], "r", PW_R_MIN, PW_R_MAX, &r) ||
      !parse_param (fields[2], "p", PW_P_MIN, PW_P_MAX, &p))
    goto out;
  out->ln = (guint) ln;
  out->r = (guint32) r;
  out->p = (guint32) p;
  out->salt = b64_decode_nopad (parts[3], &out->salt_len);
  if (!out->salt || out->salt_len < PW_SALT_MIN_BYTES || out->salt_len > PW_SALT_MAX_BYTES)
    goto out;
  out->key = b64_decode_nopad (parts[4], &out->key_len);
  if (!out->key || out->key_len != PW_KEY_BYTES)
    goto out;
  ok = TRUE;
out:
  if (!ok) {
    parsed_hash_clear (out);
    g_set_error (error, PW_ERROR, PW_ERROR_MALFORMED, "stored password hash is malformed");
  }
  g_strfreev (fields);
  g_strfreev (parts);
  return ok;
}

gboolean
th_password_verify (const char *password, const char *stored, GError **error)
{
  ParsedHash h;
  guchar key[PW_KEY_BYTES];
  gboolean match = FALSE;

  memset (key, 0, sizeof key);
  if (!parse_stored (stored, &h, error))
    return FALSE;
  /* A missing password cannot match; still a mismatch, not an error. */
  if (!password)
    goto out;
  if (!scrypt_derive (password, h.salt, h.salt_len, h.ln, h.r, h.p, key, sizeof key, error))
    goto out;
  match = CRYPTO_memcmp (key, h.key, PW_KEY_BYTES) == 0;
out:
  OPENSSL_cleanse (key, sizeof key);
  parsed_hash_clear (&h);
  return match;
}

void
th_password_verify_dummy (const char *password)
{
  /* The result is meaningless; only the time spent matters. */
  (void) th_password_verify (password ? password : "", kDummyHash, NULL);
}

/* ------------------------------------------------------------ generation */

char *
th_password_generate (void)
{
  const guint alphabet_len = sizeof kAlphabet - 1;
  /* Bytes at or above `limit` would favour the first characters of the
   * alphabet (256 is not a multiple of its length): drop them and draw again. */
  const guint limit = 256 - 256 % alphabet_len;
  char *out = g_malloc0 (PW_GENERATED_LEN + 1);
  guchar buf[64];
  guint filled = 0;

  while (filled < PW_GENERATED_LEN) {
    if (RAND_bytes (buf, sizeof buf) != 1) {
      OPENSSL_cleanse (out, PW_GENERATED_LEN);
      g_free (out);
      out = NULL;
      break;
    }
    for (gsize i = 0; i < sizeof buf && filled < PW_GENERATED_LEN; i++)
      if (buf[i] < limit)
        out[filled++] = kAlphabet[buf[i] % alphabet_len];
  }
  OPENSSL_cleanse (buf, sizeof buf);
  return out;
}

gboolean
th_password_acceptable (const char *password, GError **error)
{
  glong chars;

  if (!password || !g_utf8_validate (password, -1, NULL)) {
    g_set_error (error, PW_ERROR, PW_ERROR_UNACCEPTABLE, "the password is not UTF-8 text");
    return FALSE;
  }
  chars = g_utf8_strlen (password, -1);
  if (chars < PW_MIN_CHARS || chars > PW_MAX_CHARS) {
    g_set_error (error, PW_ERROR, PW_ERROR_UNACCEPTABLE, "a password has %d to %d characters",
                 PW_MIN_CHARS, PW_MAX_CHARS);
    return FALSE;
  }
  return TRUE;
}
