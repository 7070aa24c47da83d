/* test_tokens.c — join tokens in the store: issued once, stored only as
 * their SHA-256, resolved within their window, against a fresh database per
 * test (a real sqlite file, or PostgreSQL: store-fixture.h). */
#include "store-fixture.h"

typedef StoreFixture Fixture;

/* ------------------------------------------------------------ tokens */

static gboolean
token_charset_ok (const char *t)
{
  for (; *t; t++)
    if (!g_ascii_isalnum (*t) && *t != '-' && *t != '_')
      return FALSE;
  return TRUE;
}

static gboolean
file_contains (const char *path, const char *needle)
{
  char *data = NULL;
  gsize len = 0;
  gboolean found;
  if (!g_file_get_contents (path, &data, &len, NULL))
    return FALSE;
  found = memmem (data, len, needle, strlen (needle)) != NULL;
  g_free (data);
  return found;
}

/* SHA-256 of a token's text. */
static void
token_digest (const char *token, guint8 want[32])
{
  gsize want_len = 32;
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);

  g_checksum_update (sum, (const guchar *) token, -1);
  g_checksum_get_digest (sum, want, &want_len);
  g_checksum_free (sum);
}

/* The token is stored only as its SHA-256: check every row of join_tokens
 * and, on sqlite, the raw database and WAL files. */
static void
assert_token_not_stored (Fixture *f, const char *token)
{
  guint8 want[32];
  char *wal;

  token_digest (token, want);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM join_tokens"
                                         " WHERE length(token_hash) <> 32"), ==, 0);
  g_assert_true (table_contains (f->store, "join_tokens", want, sizeof want));
  g_assert_false (table_contains (f->store, "join_tokens", token, strlen (token)));
  if (fixture_on_pg ())
    return; /* the server's files are not ours to read */
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM join_tokens"
                                         " WHERE typeof(token_hash) <> 'blob'"), ==, 0);
  g_assert_false (file_contains (f->path, token));
  wal = g_strconcat (f->path, "-wal", NULL);
  g_assert_false (file_contains (wal, token));
  g_free (wal);
}

static void
assert_join_error (Fixture *f, const char *token, gint64 now, int code)
{
  GError *error = NULL;
  StoreParticipant p = { 0 };
  g_assert_false (store_resolve_join_token (f->store, token, now, &p, &error));
  g_assert_error (error, STORE_ERROR, code);
  g_assert_null (p.id);
  g_clear_error (&error);
}

static void
test_join_tokens (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreParticipant pat = { 0 }, p = { 0 };
  Visit a;
  char *token, *other, *revoked, *too_long;
  guint8 hash[32];
  StoreStmt *stmt = NULL;
  (void) data;

  make_visit (f->store, &a, T0);
  g_assert_true (store_find_visit_participant (f->store, a.visit, PARTICIPANT_PATIENT, &pat, &error));
  token = store_issue_join_token (f->store, pat.id, T0 - HOUR, T0 + HOUR, &error);
  g_assert_no_error (error);
  g_assert_nonnull (token);
  g_assert_cmpuint (strlen (token), ==, 43);
  g_assert_true (token_charset_ok (token));

  g_assert_true (store_resolve_join_token (f->store, token, T0, &p, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (p.id, ==, pat.id);
  g_assert_cmpstr (p.visit_id, ==, a.visit);
  g_assert_cmpint (p.role, ==, PARTICIPANT_PATIENT);
  g_assert_cmpstr (p.display_name, ==, "Alex Example");
  g_assert_cmpstr (p.person_id, ==, a.patient);
  store_participant_clear (&p);

  /* The window is inclusive at both ends. */
  g_assert_true (store_resolve_join_token (f->store, token, T0 - HOUR, &p, &error));
  store_participant_clear (&p);
  g_assert_true (store_resolve_join_token (f->store, token, T0 + HOUR, &p, &error));
  store_participant_clear (&p);
  assert_join_error (f, token, T0 - HOUR - 1, STORE_ERROR_EXPIRED);
  assert_join_error (f, token, T0 + HOUR + 1, STORE_ERROR_EXPIRED);

  /* Wrong and malformed tokens. */
  other = g_strdup (token);
  other[0] = other[0] == 'A' ? 'B' : 'A';
  assert_join_error (f, other, T0, STORE_ERROR_NOT_FOUND);
  assert_join_error (f, "", T0, STORE_ERROR_NOT_FOUND);
  assert_join_error (f, NULL, T0, STORE_ERROR_NOT_FOUND);
  assert_join_error (f, "abc def", T0, STORE_ERROR_NOT_FOUND);
  assert_join_error (f, "abc=", T0, STORE_ERROR_NOT_FOUND);
  assert_join_error (f, "' OR 1=1 --", T0, STORE_ERROR_NOT_FOUND);
  too_long = g_strnfill (257, 'A');
  assert_join_error (f, too_long, T0, STORE_ERROR_NOT_FOUND);
  memcpy (too_long, token, 43);
  too_long[43] = '\0';
  g_assert_true (store_resolve_join_token (f->store, too_long, T0, &p, &error));
  store_participant_clear (&p);
  g_free (too_long);

  /* A revoked token is as good as unknown. */
  revoked = store_issue_join_token (f->store, pat.id, T0 - HOUR, T0 + HOUR, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (revoked, !=, token);
  token_digest (revoked, hash);
  g_assert_true (store_prepare (f->store, "UPDATE join_tokens SET revoked_at = ?2"
                                " WHERE token_hash = ?1", &stmt, &error));
  store_bind_blob (stmt, 1, hash, sizeof hash);
  store_bind_text (stmt, 2, "2026-11-27T11:00:00.000Z");
  g_assert_true (store_step_done (f->store, stmt, "revoke", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (store_changes (f->store), ==, 1);
  store_stmt_free (stmt);
  assert_join_error (f, revoked, T0, STORE_ERROR_NOT_FOUND);
  g_assert_true (store_resolve_join_token (f->store, token, T0, &p, &error));
  store_participant_clear (&p);

  /* Bad issues. */
  g_assert_null (store_issue_join_token (f->store, pat.id, T0 + 1, T0, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (store_issue_join_token (f->store, "no-participant", T0, T0 + 1, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM join_tokens"), ==, 2);

  assert_token_not_stored (f, token);
  assert_token_not_stored (f, revoked);

  g_free (revoked);
  g_free (other);
  g_free (token);
  store_participant_clear (&pat);
  visit_clear (&a);
}

static void
test_tokens_differ (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  GHashTable *seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  StoreParticipant p = { 0 };
  Visit a;
  (void) data;

  make_visit (f->store, &a, T0);
  g_assert_true (store_find_visit_participant (f->store, a.visit, PARTICIPANT_PATIENT, &p, &error));
  for (int i = 0; i < 100; i++) {
    char *j = store_issue_join_token (f->store, p.id, T0, T0 + HOUR, &error);
    g_assert_no_error (error);
    g_assert_true (g_hash_table_add (seen, j));
  }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 100);
  g_assert_cmpint (count_rows (f->store, "SELECT count(DISTINCT token_hash) FROM join_tokens"), ==,
                   100);
  g_hash_table_unref (seen);
  store_participant_clear (&p);
  visit_clear (&a);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD STORE_TEST_ADD
  ADD ("tokens/join", test_join_tokens);
  ADD ("tokens/differ", test_tokens_differ);
#undef ADD
  return g_test_run ();
}
