/* stmt_pg.c — StoreStmt's PostgreSQL half (store-pg.h): one query text
 * with its bound values, sent with libpq's PQexecParams on the first step,
 * its rows then read one per step.
 *
 * Values go out as text with no declared type, so PostgreSQL infers each
 * parameter's type from where it stands in the query, as it would for a
 * literal; blobs go out in binary (bytea). Results come back in text form:
 * the store's column readers (stmt.c) parse numbers from it, and bytea's
 * hex text is decoded here. The store's SQL is written once for both
 * backends with ?N placeholders; they become $N here. */
#include "server/store/store-pg.h"

#include <string.h>

struct _StorePgStmt {
  Store *store;
  char *sql;       /* with $N placeholders */
  int n_params;    /* the highest N */
  char **values;   /* [n_params]; NULL: SQL NULL */
  int *lengths;    /* blobs' byte lengths */
  int *formats;    /* 1: binary (a blob), 0: text */
  PGresult *result; /* after the first step */
  int row;          /* the current row; -1 before the first */
  int decoded_row;  /* the row `decoded` belongs to */
  int decoded_col;
  unsigned char *decoded; /* a bytea column of the current row */
  size_t decoded_len;
};

/* ?N → $N, outside quoted text, quoted names and comments. A bare ? takes
 * the next number, as in sqlite. Returns the highest number used. */
static char *
translate_placeholders (const char *sql, int *n_params)
{
  GString *out = g_string_sized_new (strlen (sql) + 16);
  int highest = 0, next = 1;
  const char *p = sql;

  while (*p) {
    if (*p == '\'' || *p == '"') {
      char quote = *p;
      g_string_append_c (out, *p++);
      /* A doubled quote stays inside the literal. */
      while (*p && !(*p == quote && p[1] != quote)) {
        if (*p == quote)
          g_string_append_c (out, *p++);
        g_string_append_c (out, *p++);
      }
      if (*p)
        g_string_append_c (out, *p++);
    } else if (p[0] == '-' && p[1] == '-') {
      while (*p && *p != '\n')
        g_string_append_c (out, *p++);
    } else if (*p == '?') {
      int n = 0;
      p++;
      if (g_ascii_isdigit (*p)) {
        while (g_ascii_isdigit (*p))
          n = n * 10 + (*p++ - '0');
      } else {
        n = next;
      }
      next = n + 1;
      highest = MAX (highest, n);
      g_string_append_printf (out, "$%d", n);
    } else {
      g_string_append_c (out, *p++);
    }
  }
  *n_params = highest;
  return g_string_free (out, FALSE);
}

StorePgStmt *
store_pg_prepare (Store *store, const char *sql)
{
  StorePgStmt *s = g_new0 (StorePgStmt, 1);

  s->store = store;
  s->sql = translate_placeholders (sql, &s->n_params);
  s->values = g_new0 (char *, MAX (s->n_params, 1));
  s->lengths = g_new0 (int, MAX (s->n_params, 1));
  s->formats = g_new0 (int, MAX (s->n_params, 1));
  s->row = -1;
  s->decoded_row = -1;
  return s;
}

static void
clear_result (StorePgStmt *s)
{
  g_clear_pointer (&s->result, PQclear);
  if (s->decoded)
    PQfreemem (s->decoded);
  s->decoded = NULL;
  s->decoded_row = -1;
  s->row = -1;
}

void
store_pg_stmt_clear_bindings (StorePgStmt *s)
{
  for (int i = 0; i < s->n_params; i++) {
    g_clear_pointer (&s->values[i], g_free);
    s->lengths[i] = 0;
    s->formats[i] = 0;
  }
}

void
store_pg_stmt_free (StorePgStmt *s)
{
  if (!s)
    return;
  clear_result (s);
  store_pg_stmt_clear_bindings (s);
  g_free (s->values);
  g_free (s->lengths);
  g_free (s->formats);
  g_free (s->sql);
  g_free (s);
}

void
store_pg_stmt_reset (StorePgStmt *s)
{
  clear_result (s);
}

void
store_pg_bind (StorePgStmt *s, int idx, char *value, int length, gboolean binary)
{
  /* sqlite ignores an index out of range (and says so in its return); the
   * store's callers never bind one, so neither fails loudly here. */
  if (idx < 1 || idx > s->n_params) {
    g_free (value);
    return;
  }
  g_free (s->values[idx - 1]);
  s->values[idx - 1] = value;
  s->lengths[idx - 1] = length;
  s->formats[idx - 1] = binary ? 1 : 0;
}

StoreStep
store_pg_step (StorePgStmt *s)
{
  if (!s->result) {
    ExecStatusType status;

    s->result = store_pg_exec_params (s->store, s->sql, s->n_params,
                                      (const char *const *) s->values, s->lengths, s->formats);
    status = s->result ? PQresultStatus (s->result) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      /* Keep the failure for the next step too, as sqlite does. */
      return STORE_FAILED;
    }
  } else if (PQresultStatus (s->result) != PGRES_TUPLES_OK &&
             PQresultStatus (s->result) != PGRES_COMMAND_OK) {
    return STORE_FAILED;
  }
  if (PQresultStatus (s->result) != PGRES_TUPLES_OK)
    return STORE_DONE;
  if (s->row + 1 >= PQntuples (s->result)) {
    s->row = PQntuples (s->result);
    return STORE_DONE;
  }
  s->row++;
  return STORE_ROW;
}

static gboolean
on_row (StorePgStmt *s, int col)
{
  return s->result && PQresultStatus (s->result) == PGRES_TUPLES_OK && s->row >= 0 &&
         s->row < PQntuples (s->result) && col >= 0 && col < PQnfields (s->result);
}

gboolean
store_pg_col_is_null (StorePgStmt *s, int col)
{
  return !on_row (s, col) || PQgetisnull (s->result, s->row, col);
}

const char *
store_pg_col_text (StorePgStmt *s, int col)
{
  if (store_pg_col_is_null (s, col))
    return NULL;
  return PQgetvalue (s->result, s->row, col);
}

/* A bytea column arrives as hex text ("\x0a1b..."); decoded once per row. */
static gboolean
decode_blob (StorePgStmt *s, int col)
{
  if (store_pg_col_is_null (s, col))
    return FALSE;
  if (s->decoded && s->decoded_row == s->row && s->decoded_col == col)
    return TRUE;
  if (s->decoded)
    PQfreemem (s->decoded);
  s->decoded = PQunescapeBytea ((const unsigned char *) PQgetvalue (s->result, s->row, col),
                                &s->decoded_len);
  s->decoded_row = s->row;
  s->decoded_col = col;
  return s->decoded != NULL;
}

/* PostgreSQL's type oid for bytea (pg_type.h, which libpq does not ship). */
#define BYTEA_OID 17

static gboolean
is_bytea (StorePgStmt *s, int col)
{
  return PQftype (s->result, col) == BYTEA_OID;
}

const void *
store_pg_col_blob (StorePgStmt *s, int col)
{
  if (store_pg_col_is_null (s, col))
    return NULL;
  if (!is_bytea (s, col)) /* as sqlite: a text value's bytes */
    return PQgetvalue (s->result, s->row, col);
  return decode_blob (s, col) ? s->decoded : NULL;
}

int
store_pg_col_bytes (StorePgStmt *s, int col)
{
  if (store_pg_col_is_null (s, col))
    return 0;
  if (!is_bytea (s, col))
    return PQgetlength (s->result, s->row, col);
  return decode_blob (s, col) ? (int) s->decoded_len : 0;
}
