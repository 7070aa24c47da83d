/* test_password.c — staff passwords: scrypt hashes in the standard format,
 * verified against known answers, refused when tampered with or malformed,
 * and generated passwords. No store is involved. */
#include <string.h>

#include <glib.h>

#include "server/accounts/accounts.h"

/* The generated-password alphabet: no 0/O, 1/l/I. */
static const char kAlphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* Known answers computed with Python's hashlib.scrypt (salt = bytes 0..15):
 * the stored format is standard scrypt, readable by other tools. */
static const char kKatDefault[] =
  "$scrypt$ln=15,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$xy6UCICz8Vv/P6JqOkkUD4DOmhxN0tXSe6sQAUBxupQ";
static const char kKatSmall[] =
  "$scrypt$ln=10,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$6lgv+XA7MWIg+yKCMWDNYJeA6igSTYE0blzQ13cpbiM";
static const char kKatUnicode[] =
  "$scrypt$ln=11,r=2,p=3$AAECAwQFBgcICQoLDA0ODw$5K7ukoblkAXwdwEP6hdj8mJZMtlXQJrvHIqAeE5APoU";

static void
test_password_format (void)
{
  GError *error = NULL;
  char *a = th_password_hash ("correct horse battery", &error);
  char *b;

  g_assert_no_error (error);
  g_assert_true (g_regex_match_simple (
    "^\\$scrypt\\$ln=15,r=8,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}$", a, 0, 0));
  /* A fresh random salt each time: the same password hashes differently. */
  b = th_password_hash ("correct horse battery", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a, !=, b);
  g_assert_true (th_password_verify ("correct horse battery", a, &error));
  g_assert_true (th_password_verify ("correct horse battery", b, &error));
  g_assert_no_error (error);
  g_assert_null (th_password_hash (NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_free (a);
  g_free (b);
}

static void
test_password_verify (void)
{
  GError *error = NULL;
  char *h = th_password_hash ("pässwörd 🙂", &error);

  g_assert_no_error (error);
  g_assert_true (th_password_verify ("pässwörd 🙂", h, &error));
  g_assert_no_error (error);
  /* A mismatch is FALSE without an error. */
  g_assert_false (th_password_verify ("pässwörd 🙃", h, &error));
  g_assert_no_error (error);
  g_assert_false (th_password_verify ("", h, &error));
  g_assert_no_error (error);
  g_assert_false (th_password_verify (NULL, h, &error));
  g_assert_no_error (error);
  g_free (h);

  /* Hashes written elsewhere with standard scrypt, other parameters too. */
  g_assert_true (th_password_verify ("correct horse battery", kKatDefault, &error));
  g_assert_true (th_password_verify ("correct horse battery", kKatSmall, &error));
  g_assert_true (th_password_verify ("pässwörd", kKatUnicode, &error));
  g_assert_no_error (error);
  g_assert_false (th_password_verify ("correct horse batterY", kKatSmall, &error));
  g_assert_no_error (error);
}

/* Replaces the character at `pos` with `c`. */
static char *
with_char (const char *text, gsize pos, char c)
{
  char *copy = g_strdup (text);
  g_assert_cmpuint (pos, <, strlen (copy));
  copy[pos] = c;
  return copy;
}

static void
test_password_tampered (void)
{
  GError *error = NULL;
  const char *salt = strstr (kKatSmall, "$AAEC");
  const char *key = strrchr (kKatSmall, '$');
  /* One salt character changed, then one key character: well-formed, wrong. */
  char *bad_salt = with_char (kKatSmall, (gsize) (salt - kKatSmall) + 1, 'B');
  char *bad_key = with_char (kKatSmall, (gsize) (key - kKatSmall) + 1, 'A');
  /* Other parameters with the same salt and key. */
  char *bad_params = g_strdup (kKatSmall);
  bad_params[strlen ("$scrypt$ln=1")] = '1';

  g_assert_false (th_password_verify ("correct horse battery", bad_salt, &error));
  g_assert_no_error (error);
  g_assert_false (th_password_verify ("correct horse battery", bad_key, &error));
  g_assert_no_error (error);
  g_assert_false (th_password_verify ("correct horse battery", bad_params, &error));
  g_assert_no_error (error);
  g_free (bad_salt);
  g_free (bad_key);
  g_free (bad_params);
}

static void
test_password_malformed (void)
{
  const char *salt = "AAECAwQFBgcICQoLDA0ODw";
  const char *key = "6lgv+XA7MWIg+yKCMWDNYJeA6igSTYE0blzQ13cpbiM";
  const char *params[] = {
    "ln=9,r=1,p=1", "ln=21,r=1,p=1", "ln=10,r=0,p=1", "ln=10,r=33,p=1", "ln=10,r=1,p=0",
    "ln=10,r=1,p=17", "ln=+10,r=1,p=1", "ln= 10,r=1,p=1", "ln=10,p=1,r=1", "ln=10,r=1",
    "ln=10,r=1,p=1,x=2", "N=1024,r=1,p=1", "ln=10,r=1,p=1 ", "ln=-1,r=1,p=1",
    "ln=99999999999999999999,r=1,p=1", "ln=0x0a,r=1,p=1", "",
  };
  const char *texts[] = {
    "", "scrypt", "$scrypt$", "$scrypt$ln=10,r=1,p=1$",
    "$scrypt$ln=10,r=1,p=1$AAECAwQFBgcICQoLDA0ODw",
    "$scrypt$ln=10,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$",
    "$scrypt$ln=10,r=1,p=1$$6lgv+XA7MWIg+yKCMWDNYJeA6igSTYE0blzQ13cpbiM",
    /* padding, url alphabet, stray characters, short or long key, short salt */
    "$scrypt$ln=10,r=1,p=1$AAECAwQFBgcICQoLDA0ODw==$6lgv+XA7MWIg+yKCMWDNYJeA6igSTYE0blzQ13cpbiM",
    "$scrypt$ln=10,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$6lgv-XA7MWIg-yKCMWDNYJeA6igSTYE0blzQ13cpbiM",
    "$scrypt$ln=10,r=1,p=1$AAECAwQF BgcICQoLDA0ODw$6lgv+XA7MWIg+yKCMWDNYJeA6igSTYE0blzQ13cpbiM",
    "$scrypt$ln=10,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$6lgv+XA7MWIg+yKCMWDNYJeA6igSTYE0blzQ13cpbi",
    "$scrypt$ln=10,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$6lgv+XA7MWIg+yKCMWDNYJeA6igSTYE0blzQ13cpbiMA",
    "$scrypt$ln=10,r=1,p=1$AAECAwQ$6lgv+XA7MWIg+yKCMWDNYJeA6igSTYE0blzQ13cpbiM",
    /* a non-canonical last character (low bits set) */
    "$scrypt$ln=10,r=1,p=1$AAECAwQFBgcICQoLDA0ODx$6lgv+XA7MWIg+yKCMWDNYJeA6igSTYE0blzQ13cpbiM",
    "$scrypt$ln=10,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$6lgv+XA7MWIg+yKCMWDNYJeA6igSTYE0blzQ13cpbiN",
    "$bcrypt$ln=10,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$6lgv+XA7MWIg+yKCMWDNYJeA6igSTYE0blzQ13cpbiM",
    "scrypt$ln=10,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$6lgv+XA7MWIg+yKCMWDNYJeA6igSTYE0blzQ13cpbiM",
    "$scrypt$ln=10,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$6lgv+XA7MWIg+yKCMWDNYJeA6igSTYE0blzQ13cpbiM$",
  };
  GError *error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (params); i++) {
    char *text = g_strdup_printf ("$scrypt$%s$%s$%s", params[i], salt, key);
    g_assert_false (th_password_verify ("correct horse battery", text, &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
    g_free (text);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++) {
    g_assert_false (th_password_verify ("correct horse battery", texts[i], &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
  }
  g_assert_false (th_password_verify ("x", NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  /* The dummy never fails loudly, whatever it is given. */
  th_password_verify_dummy ("anything");
  th_password_verify_dummy (NULL);
}

static void
test_password_generate (void)
{
  GHashTable *seen_chars = g_hash_table_new (g_direct_hash, g_direct_equal);
  GHashTable *seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GError *error = NULL;

  for (int i = 0; i < 300; i++) {
    char *pw = th_password_generate ();
    g_assert_nonnull (pw);
    g_assert_cmpuint (strlen (pw), ==, 20);
    for (const char *c = pw; *c; c++) {
      g_assert_nonnull (strchr (kAlphabet, *c));
      g_assert_null (strchr ("0O1lI", *c));
      g_hash_table_add (seen_chars, GINT_TO_POINTER ((int) *c));
    }
    g_assert_true (th_password_acceptable (pw, &error));
    g_assert_no_error (error);
    /* 300 draws of ~117 bits: any repeat means the generator is broken. */
    g_assert_false (g_hash_table_contains (seen, pw));
    g_hash_table_add (seen, pw);
  }
  /* 6000 characters: every one of the 57 shows up (each ~105 times). */
  g_assert_cmpuint (g_hash_table_size (seen_chars), ==, strlen (kAlphabet));
  g_hash_table_unref (seen_chars);
  g_hash_table_unref (seen);
}

static void
test_password_acceptable (void)
{
  GError *error = NULL;
  char *s256 = g_strnfill (256, 'x');
  char *s257 = g_strnfill (257, 'x');
  GString *e256 = g_string_new (NULL);
  const char *refused[] = { NULL, "", "1234567", "ééééééé", "abc\xff" "defgh" };

  for (int i = 0; i < 256; i++)
    g_string_append (e256, "é");   /* 256 characters, 512 bytes */
  g_assert_true (th_password_acceptable ("12345678", &error));
  g_assert_true (th_password_acceptable ("éééééééé", &error));
  g_assert_true (th_password_acceptable (s256, &error));
  g_assert_true (th_password_acceptable (e256->str, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++) {
    g_assert_false (th_password_acceptable (refused[i], &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
  }
  g_assert_false (th_password_acceptable (s257, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_string_append (e256, "é");
  g_assert_false (th_password_acceptable (e256->str, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_free (s256);
  g_free (s257);
  g_string_free (e256, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/password/format", test_password_format);
  g_test_add_func ("/password/verify", test_password_verify);
  g_test_add_func ("/password/tampered", test_password_tampered);
  g_test_add_func ("/password/malformed", test_password_malformed);
  g_test_add_func ("/password/generate", test_password_generate);
  g_test_add_func ("/password/acceptable", test_password_acceptable);
  return g_test_run ();
}
