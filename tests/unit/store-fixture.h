/* store-fixture.h — what the store's unit tests share: a real database file
 * in a fresh temporary directory per test, raw SQL reads for checking rows
 * behind the store's back, and a visit with its two people.
 *
 * Header-only (static inline), so each test program includes what it uses.
 */
#pragma once

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "server/store/store-private.h"
#include "server/store/store.h"

#define T0 G_GINT64_CONSTANT (1795780800000) /* 2026-11-27T12:00:00.000Z */
#define SECOND G_GINT64_CONSTANT (1000)
#define MINUTE (60 * SECOND)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)

/* Checks and clears the GError named `error` in the calling scope. */
#define ASSERT_ERR(code)                                                                  \
  do {                                                                                    \
    g_assert_error (error, STORE_ERROR, (code));                                          \
    g_clear_error (&error);                                                               \
  } while (0)

/* Removes a database file and the files sqlite keeps beside it. */
static inline void
remove_db (const char *path)
{
  const char *suffixes[] = { "", "-wal", "-shm", "-journal" };
  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++) {
    char *p = g_strconcat (path, suffixes[i], NULL);
    g_remove (p);
    g_free (p);
  }
}

/* Makes a temporary directory from `dir_template` ("name-XXXXXX") and opens
 * a store in it; *dir and *path are for store_fixture_close. */
static inline Store *
store_fixture_open (const char *dir_template, char **dir, char **path)
{
  GError *error = NULL;
  Store *store;

  *dir = g_dir_make_tmp (dir_template, &error);
  g_assert_no_error (error);
  *path = g_build_filename (*dir, "store.db", NULL);
  store = store_open (*path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

/* Closes the store, removes its files and directory, and frees the names. */
static inline void
store_fixture_close (Store *store, char *dir, char *path)
{
  store_close (store);
  remove_db (path);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
  g_free (path);
  g_free (dir);
}

/* The fixture of a test that needs only an open store. */
typedef struct {
  char *dir;
  char *path;
  Store *store;
} StoreFixture;

static inline void
store_fixture_set_up (StoreFixture *f, gconstpointer data)
{
  (void) data;
  f->store = store_fixture_open ("test-store-XXXXXX", &f->dir, &f->path);
}

static inline void
store_fixture_tear_down (StoreFixture *f, gconstpointer data)
{
  (void) data;
  store_fixture_close (f->store, f->dir, f->path);
}

/* Adds the test `fn` as "/store/<path>" on a StoreFixture. */
#define STORE_TEST_ADD(path, fn)                                                          \
  g_test_add ("/store/" path, StoreFixture, NULL, store_fixture_set_up, fn,                \
              store_fixture_tear_down)

/* ------------------------------------------------------------ raw sql */

static inline gint64
query_int (sqlite3 *db, const char *sql, const char *arg)
{
  sqlite3_stmt *stmt = NULL;
  gint64 v;
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (arg)
    sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return v;
}

static inline char *
query_text (sqlite3 *db, const char *sql, const char *arg)
{
  sqlite3_stmt *stmt = NULL;
  char *v;
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (arg)
    sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return v;
}

/* The one integer `sql` reads from the store's own connection. */
static inline gint64
count_rows (Store *store, const char *sql)
{
  return query_int (store_get_db (store), sql, NULL);
}

/* ------------------------------------------------------------ a visit */

typedef struct {
  char *provider;
  char *patient;
  char *visit;
} Visit;

/* Dr. Rivera (psychiatrist) and Alex Example, with a visit at `at`. */
static inline void
make_visit (Store *store, Visit *v, gint64 at)
{
  GError *error = NULL;
  v->provider = store_create_staff (store, "Dr. Rivera", "psychiatrist", &error);
  g_assert_no_error (error);
  v->patient = store_create_patient (store, "Alex Example", &error);
  g_assert_no_error (error);
  v->visit = store_create_visit (store, v->patient, v->provider, at, &error);
  g_assert_no_error (error);
  g_assert_nonnull (v->visit);
}

static inline void
visit_clear (Visit *v)
{
  g_free (v->provider);
  g_free (v->patient);
  g_free (v->visit);
}
