/* protocol.c — the inbound half of the signaling wire protocol: turning one
 * client text frame into a typed SigMessage, or into a SigErrorCode plus a
 * message that is safe to send back.
 *
 * Everything here is a pure function of its input (no I/O, no globals other
 * than constant tables), so it can be unit-tested and fuzzed in isolation.
 *
 * The schema of every client → server message lives in ONE place: the
 * `schema` table below. Parsing, strictness (no unexpected keys), the
 * per-field limits and freeing (sig_message_clear) are all driven by it, so
 * adding a field means adding one table row.
 *
 * Error messages only ever contain text from this file (field and type
 * names from the table, limits): nothing the client sent is echoed back, so
 * the error path cannot be used to reflect content into another page or log
 * line.
 */
#define G_LOG_DOMAIN "th-signaling"

#include "signaling/signaling.h"

#include <string.h>
#include <jansson.h>

/* clang-format off */
G_DEFINE_QUARK (sig-error-quark, sig_error)
/* clang-format on */

const char *
sig_error_code_name (SigErrorCode code)
{
  switch (code) {
  case SIG_ERR_BAD_JSON:
    return "bad-json";
  case SIG_ERR_BAD_UTF8:
    return "bad-utf8";
  case SIG_ERR_NOT_OBJECT:
    return "not-object";
  case SIG_ERR_MISSING_TYPE:
    return "missing-type";
  case SIG_ERR_UNKNOWN_TYPE:
    return "unknown-type";
  case SIG_ERR_BAD_FIELD:
    return "bad-field";
  case SIG_ERR_TOO_LARGE:
    return "too-large";
  case SIG_ERR_BINARY:
    return "binary-unsupported";
  case SIG_ERR_UNAUTHORIZED:
    return "unauthorized";
  case SIG_ERR_FORBIDDEN:
    return "forbidden";
  case SIG_ERR_BAD_STATE:
    return "bad-state";
  case SIG_ERR_NOT_FOUND:
    return "not-found";
  case SIG_ERR_BAD_SDP:
    return "bad-sdp";
  case SIG_ERR_BAD_CANDIDATE:
    return "bad-candidate";
  case SIG_ERR_RATE_LIMITED:
    return "rate-limited";
  case SIG_ERR_INTERNAL:
    return "internal";
  case SIG_ERR_BUSY:
    return "busy";
  }
  /* An out-of-range code is a server bug; "internal" is the honest answer
   * to the client and keeps the wire value inside the documented set. */
  return "internal";
}

const char *
sig_role_name (SigRole role)
{
  switch (role) {
  case SIG_ROLE_PATIENT:
    return "patient";
  case SIG_ROLE_PROVIDER:
    return "provider";
  case SIG_ROLE_GUEST:
    return "guest";
  }
  /* Fall back to the least privileged role rather than to NULL, which
   * would make every encoder that embeds the role fail. */
  g_warn_if_reached ();
  return "guest";
}

void
sig_identity_clear (SigIdentity *identity)
{
  if (identity == NULL)
    return;
  g_free (identity->visit_id);
  g_free (identity->participant_id);
  g_free (identity->display_name);
  g_free (identity->patient_display_name);
  g_free (identity->visit_state);
  g_free (identity->visit_modality);
  g_free (identity->provider_key);
  g_free (identity->redirect_url);
  g_free (identity->redirect_token);
  g_strfreev (identity->nodes);
  memset (identity, 0, sizeof *identity);
}

/* ---------------------------------------------------------------- schema */

typedef enum {
  FIELD_TOKEN,     /* base64url text (optional '=' padding), 1..SIG_MAX_TOKEN_CHARS */
  FIELD_ID,        /* [A-Za-z0-9_-], 1..SIG_MAX_ID_CHARS */
  FIELD_SDP,       /* text without NUL, 1..SIG_MAX_SDP_BYTES */
  FIELD_CANDIDATE, /* text without NUL, 0..SIG_MAX_CANDIDATE_BYTES; "" = end of candidates */
  FIELD_CHAT,      /* 1..SIG_MAX_CHAT_CHARS characters, not whitespace only */
  FIELD_MLINE,     /* JSON integer 0..SIG_MAX_MLINE, stored as guint */
  FIELD_IGNORED,   /* string or null; accepted and dropped */
  FIELD_BOOL,      /* JSON true or false, stored as gboolean */
  FIELD_MODALITY,  /* "video" | "audio-only" */
} FieldKind;

typedef struct {
  const char *name;
  FieldKind kind;
  gboolean required;
  gsize offset; /* where the value lands in SigMessage (unused for FIELD_IGNORED) */
} FieldSpec;

/* The most fields any client message has; the table rows are terminated by
 * a zeroed entry, hence the +1 below. */
#define MAX_FIELDS 3

typedef struct {
  const char *name;
  FieldSpec fields[MAX_FIELDS + 1];
  /* Rules that span fields (e.g. "at least one of"); NULL when none. */
  gboolean (*check) (const SigMessage *msg, GError **error);
} TypeSpec;

static gboolean check_hello (const SigMessage *msg, GError **error);

#define AT(member) G_STRUCT_OFFSET (SigMessage, member)

/* Indexed by SigMsgType. `type` itself is implicit in every row. */
static const TypeSpec schema[] = {
  [SIG_MSG_HELLO] = { "hello",
                      {
                        { "token", FIELD_TOKEN, FALSE, AT (u.hello.token) },
                        { "visit", FIELD_ID, FALSE, AT (u.hello.visit) },
                      },
                      check_hello },
  [SIG_MSG_ADMIT] = { "admit",
                      {
                        { "participant", FIELD_ID, TRUE, AT (u.admit.participant) },
                      },
                      NULL },
  [SIG_MSG_ANSWER] = { "answer",
                       {
                         { "sdp", FIELD_SDP, TRUE, AT (u.answer.sdp) },
                       },
                       NULL },
  [SIG_MSG_ICE] = { "ice",
                    {
                      { "candidate", FIELD_CANDIDATE, TRUE, AT (u.ice.candidate) },
                      { "sdpMLineIndex", FIELD_MLINE, TRUE, AT (u.ice.mline) },
                      /* The m-line index alone identifies the transceiver on the server
       * side (fixed m-line order, BUNDLE), so the mid is not needed. */
                      { "sdpMid", FIELD_IGNORED, FALSE, 0 },
                    },
                    NULL },
  [SIG_MSG_CHAT] = { "chat",
                     {
                       { "text", FIELD_CHAT, TRUE, AT (u.chat.text) },
                     },
                     NULL },
  [SIG_MSG_LEAVE] = { "leave", { { NULL } }, NULL },
  [SIG_MSG_END] = { "end", { { NULL } }, NULL },
  [SIG_MSG_MEDIA_STATE] = { "media-state",
                            {
                              { "audio", FIELD_BOOL, TRUE, AT (u.media_state.audio) },
                              { "video", FIELD_BOOL, TRUE, AT (u.media_state.video) },
                            },
                            NULL },
  [SIG_MSG_MODALITY] = { "modality",
                         {
                           { "modality", FIELD_MODALITY, TRUE, AT (u.modality.modality) },
                         },
                         NULL },
  [SIG_MSG_CONNECT_TROUBLE] = { "connect-trouble",
                                {
                                  { "trouble", FIELD_BOOL, TRUE, AT (u.connect_trouble.trouble) },
                                },
                                NULL },
};

#undef AT

#define N_TYPES G_N_ELEMENTS (schema)

const char *
sig_msg_type_name (SigMsgType type)
{
  if ((guint) type >= N_TYPES)
    return "unknown";
  return schema[type].name;
}

static gboolean
check_hello (const SigMessage *msg, GError **error)
{
  if (msg->u.hello.token == NULL && msg->u.hello.visit == NULL) {
    g_set_error_literal (error, SIG_ERROR, SIG_ERR_BAD_FIELD,
                         "'hello' needs a 'token' or a 'visit'");
    return FALSE;
  }
  return TRUE;
}

/* --------------------------------------------------------------- helpers */

static char **
string_slot (SigMessage *msg, const FieldSpec *f)
{
  return (char **) (gpointer) ((guint8 *) msg + f->offset);
}

static gboolean
is_id_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_';
}

/* base64url body, then at most two '=' of padding and nothing after them:
 * tokens are minted by the server in that alphabet, anything else cannot
 * match and is refused before it reaches the token store. */
static gboolean
is_token_text (const char *s, gsize len)
{
  gsize i = 0;
  gsize pad;

  while (i < len && is_id_char (s[i]))
    i++;
  for (pad = 0; i < len && s[i] == '=' && pad < 2; i++, pad++)
    ;
  return i == len;
}

static gboolean
is_id_text (const char *s, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (!is_id_char (s[i]))
      return FALSE;
  return TRUE;
}

static gboolean
is_blank_text (const char *s, gsize len)
{
  const char *end = s + len;

  for (const char *p = s; p < end; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

/* Checks one string field against its kind; the text is already known to
 * be valid UTF-8 (the whole frame was validated) and NUL-free. */
static gboolean
check_string (const char *type_name, const FieldSpec *f, const char *s, gsize len, GError **error)
{
  switch (f->kind) {
  case FIELD_TOKEN:
  case FIELD_ID: {
    gboolean token = f->kind == FIELD_TOKEN;
    gsize max = token ? SIG_MAX_TOKEN_CHARS : SIG_MAX_ID_CHARS;

    if (len == 0)
      goto empty;
    /* Charset first: once the text is known to be ASCII, bytes and
         * characters agree and the limit below is exact. */
    if (!(token ? is_token_text (s, len) : is_id_text (s, len))) {
      g_set_error (error, SIG_ERROR, SIG_ERR_BAD_FIELD, "'%s' field '%s' has characters outside %s",
                   type_name, f->name, token ? "the base64url alphabet" : "[A-Za-z0-9_-]");
      return FALSE;
    }
    if (len > max) {
      g_set_error (error, SIG_ERROR, SIG_ERR_TOO_LARGE,
                   "'%s' field '%s' is longer than %" G_GSIZE_FORMAT " characters", type_name,
                   f->name, max);
      return FALSE;
    }
    return TRUE;
  }

  case FIELD_SDP:
  case FIELD_CANDIDATE: {
    gsize max = f->kind == FIELD_SDP ? SIG_MAX_SDP_BYTES : SIG_MAX_CANDIDATE_BYTES;

    if (len == 0 && f->kind == FIELD_SDP)
      goto empty;
    if (len > max) {
      g_set_error (error, SIG_ERROR, SIG_ERR_TOO_LARGE,
                   "'%s' field '%s' is longer than %" G_GSIZE_FORMAT " bytes", type_name, f->name,
                   max);
      return FALSE;
    }
    /* Syntax is the media layer's business (bad-sdp / bad-candidate). */
    return TRUE;
  }

  case FIELD_CHAT:
    if (len == 0)
      goto empty;
    if (is_blank_text (s, len)) {
      g_set_error (error, SIG_ERROR, SIG_ERR_BAD_FIELD,
                   "'%s' field '%s' must not be only whitespace", type_name, f->name);
      return FALSE;
    }
    if (g_utf8_strlen (s, (gssize) len) > SIG_MAX_CHAT_CHARS) {
      g_set_error (error, SIG_ERROR, SIG_ERR_TOO_LARGE,
                   "'%s' field '%s' is longer than %d characters", type_name, f->name,
                   SIG_MAX_CHAT_CHARS);
      return FALSE;
    }
    return TRUE;

  case FIELD_MODALITY:
    if ((len == 5 && memcmp (s, "video", 5) == 0) ||
        (len == 10 && memcmp (s, "audio-only", 10) == 0))
      return TRUE;
    g_set_error (error, SIG_ERROR, SIG_ERR_BAD_FIELD,
                 "'%s' field '%s' must be \"video\" or \"audio-only\"", type_name, f->name);
    return FALSE;

  case FIELD_MLINE:
  case FIELD_IGNORED:
  case FIELD_BOOL:
    break;
  }
  g_return_val_if_reached (FALSE);

empty:
  g_set_error (error, SIG_ERROR, SIG_ERR_BAD_FIELD, "'%s' field '%s' must not be empty", type_name,
               f->name);
  return FALSE;
}

/* Validates `value` (the JSON value of field `f`) and stores it in `msg`. */
static gboolean
take_field (const TypeSpec *t, const FieldSpec *f, json_t *value, SigMessage *msg, GError **error)
{
  const char *s;
  gsize len;

  switch (f->kind) {
  case FIELD_IGNORED:
    if (!json_is_string (value) && !json_is_null (value)) {
      g_set_error (error, SIG_ERROR, SIG_ERR_BAD_FIELD, "'%s' field '%s' must be a string or null",
                   t->name, f->name);
      return FALSE;
    }
    return TRUE;

  case FIELD_MLINE: {
    json_int_t v;

    /* json_is_integer is false for 1.0 and for "1": both are refused,
         * the client must send what it got from the browser, an integer. */
    if (!json_is_integer (value)) {
      g_set_error (error, SIG_ERROR, SIG_ERR_BAD_FIELD, "'%s' field '%s' must be an integer",
                   t->name, f->name);
      return FALSE;
    }
    v = json_integer_value (value);
    if (v < 0 || v > SIG_MAX_MLINE) {
      g_set_error (error, SIG_ERROR, SIG_ERR_BAD_FIELD, "'%s' field '%s' must be between 0 and %d",
                   t->name, f->name, SIG_MAX_MLINE);
      return FALSE;
    }
    *(guint *) (gpointer) ((guint8 *) msg + f->offset) = (guint) v;
    return TRUE;
  }

  case FIELD_BOOL:
    if (!json_is_boolean (value)) {
      g_set_error (error, SIG_ERROR, SIG_ERR_BAD_FIELD, "'%s' field '%s' must be true or false",
                   t->name, f->name);
      return FALSE;
    }
    *(gboolean *) (gpointer) ((guint8 *) msg + f->offset) = json_is_true (value);
    return TRUE;

  case FIELD_TOKEN:
  case FIELD_ID:
  case FIELD_SDP:
  case FIELD_CANDIDATE:
  case FIELD_CHAT:
  case FIELD_MODALITY:
    break;
  }

  if (!json_is_string (value)) {
    g_set_error (error, SIG_ERROR, SIG_ERR_BAD_FIELD, "'%s' field '%s' must be a string", t->name,
                 f->name);
    return FALSE;
  }
  s = json_string_value (value);
  len = json_string_length (value);
  /* The parser is run with JSON_ALLOW_NUL so that "\u0000" is reported
   * here, per field, instead of as unparseable JSON; no C string we hand
   * on may contain a NUL. */
  if (memchr (s, '\0', len) != NULL) {
    g_set_error (error, SIG_ERROR, SIG_ERR_BAD_FIELD, "'%s' field '%s' contains a NUL character",
                 t->name, f->name);
    return FALSE;
  }
  if (!check_string (t->name, f, s, len, error))
    return FALSE;

  *string_slot (msg, f) = g_strndup (s, len);
  return TRUE;
}

static const FieldSpec *
find_field (const TypeSpec *t, const char *key)
{
  for (const FieldSpec *f = t->fields; f->name != NULL; f++)
    if (strcmp (f->name, key) == 0)
      return f;
  return NULL;
}

static void
set_json_error (const json_error_t *jerr, GError **error)
{
  /* jansson's own text may quote the input, so only its error class and
   * position are used. */
  switch (json_error_code (jerr)) {
  case json_error_duplicate_key:
    g_set_error (error, SIG_ERROR, SIG_ERR_BAD_JSON, "duplicate object key near byte %d",
                 jerr->position);
    break;
  case json_error_stack_overflow:
    g_set_error_literal (error, SIG_ERROR, SIG_ERR_BAD_JSON, "JSON nested too deeply");
    break;
  case json_error_numeric_overflow:
    g_set_error (error, SIG_ERROR, SIG_ERR_BAD_JSON, "number out of range near byte %d",
                 jerr->position);
    break;
  case json_error_null_byte_in_key:
    g_set_error (error, SIG_ERROR, SIG_ERR_BAD_JSON, "NUL character in object key near byte %d",
                 jerr->position);
    break;
  default:
    g_set_error (error, SIG_ERROR, SIG_ERR_BAD_JSON, "malformed JSON near byte %d", jerr->position);
    break;
  }
}

/* ------------------------------------------------------------------ parse */

gboolean
sig_message_parse (const char *data, gsize len, SigMessage *out, GError **error)
{
  json_t *root = NULL;
  json_t *type_value;
  json_error_t jerr;
  const TypeSpec *t = NULL;
  const char *type_name;
  gsize type_len;
  const char *key;
  json_t *value;
  gboolean ok = FALSE;

  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* SIG_MSG_HELLO is 0, so a zeroed message is a valid empty "cleared"
   * one that sig_message_clear handles. */
  memset (out, 0, sizeof *out);

  /* Cheapest checks first: a giant frame is refused before any scan. */
  if (len > SIG_MAX_FRAME_BYTES) {
    g_set_error (error, SIG_ERROR, SIG_ERR_TOO_LARGE, "frame is larger than %d bytes",
                 SIG_MAX_FRAME_BYTES);
    goto out;
  }
  if (len == 0) {
    g_set_error_literal (error, SIG_ERROR, SIG_ERR_BAD_JSON, "empty frame");
    goto out;
  }
  /* Also refuses raw NUL bytes, which are never legal in JSON text. */
  if (!g_utf8_validate_len (data, len, NULL)) {
    g_set_error_literal (error, SIG_ERROR, SIG_ERR_BAD_UTF8, "frame is not valid UTF-8");
    goto out;
  }

  /* No JSON_DECODE_ANY: only an object or an array parse at top level. */
  root = json_loadb (data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
  if (root == NULL) {
    set_json_error (&jerr, error);
    goto out;
  }
  if (!json_is_object (root)) {
    g_set_error_literal (error, SIG_ERROR, SIG_ERR_NOT_OBJECT, "a message must be a JSON object");
    goto out;
  }

  type_value = json_object_get (root, "type");
  if (!json_is_string (type_value)) {
    g_set_error_literal (error, SIG_ERROR, SIG_ERR_MISSING_TYPE,
                         "a message needs a string field 'type'");
    goto out;
  }
  type_name = json_string_value (type_value);
  type_len = json_string_length (type_value);
  for (guint i = 0; i < N_TYPES; i++)
    if (strlen (schema[i].name) == type_len && memcmp (schema[i].name, type_name, type_len) == 0) {
      t = &schema[i];
      out->type = (SigMsgType) i;
      break;
    }
  if (t == NULL) {
    g_set_error_literal (error, SIG_ERROR, SIG_ERR_UNKNOWN_TYPE, "unknown message type");
    goto out;
  }

  /* Strictness: every key must be in the schema. The key itself is client
   * text and is not quoted back. */
  json_object_foreach (root, key, value)
  {
    if (strcmp (key, "type") != 0 && find_field (t, key) == NULL) {
      g_set_error (error, SIG_ERROR, SIG_ERR_BAD_FIELD, "unexpected field in '%s' message",
                   t->name);
      goto out;
    }
  }

  for (const FieldSpec *f = t->fields; f->name != NULL; f++) {
    value = json_object_get (root, f->name);
    if (value == NULL) {
      if (f->required) {
        g_set_error (error, SIG_ERROR, SIG_ERR_BAD_FIELD, "'%s' message needs field '%s'", t->name,
                     f->name);
        goto out;
      }
      continue;
    }
    if (!take_field (t, f, value, out, error))
      goto out;
  }

  if (t->check != NULL && !t->check (out, error))
    goto out;

  ok = TRUE;

out:
  if (!ok)
    sig_message_clear (out);
  if (root != NULL)
    json_decref (root);
  return ok;
}

void
sig_message_clear (SigMessage *msg)
{
  if (msg == NULL)
    return;
  /* The schema knows which union members are strings of this type. */
  if ((guint) msg->type < N_TYPES)
    for (const FieldSpec *f = schema[msg->type].fields; f->name != NULL; f++)
      if (f->kind != FIELD_MLINE && f->kind != FIELD_IGNORED && f->kind != FIELD_BOOL)
        g_free (*string_slot (msg, f));
  memset (msg, 0, sizeof *msg);
}
