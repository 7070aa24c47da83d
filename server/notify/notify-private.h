/* notify-private.h — what the files of server/notify share: the sender's
 * state, the calendar invitation (ics.c), the network calls (transport.c,
 * run on a worker thread: no store, no app). */
#pragma once

#include "server/notify/notify.h"

G_BEGIN_DECLS

struct _Notify {
  Store *store;
  const ThConfig *config;
  char *base_url;
  char *host; /* the clinic's host (from base_url): UIDs and Message-IDs end with it */
  guint timer;
  gboolean started;
  gboolean stopping;
  gboolean in_flight; /* one look or send at a time (sender.c) */
  gboolean kicked;    /* notify_kick came meanwhile: look again at once */
  struct _ThStorePool *pool; /* the store's workers, or NULL: the store's work runs here */
};

/* ---- ics.c: the calendar invitation (RFC 5545), made with libical */
typedef struct {
  const char *uid;
  guint sequence;
  gboolean cancel; /* METHOD:CANCEL, STATUS:CANCELLED */
  gint64 start_ms;
  guint minutes;
  const char *time_zone; /* IANA name: a VTIMEZONE and DTSTART;TZID= */
  gint64 stamp_ms;       /* DTSTAMP: when the message is made */
  const char *summary;
  const char *description;
  const char *url; /* NULL: none (a cancellation has no link) */
  const char *organizer_name;
  const char *organizer_email;
  const char *attendee_email;
} NotifyIcs;

char *notify_ics_build (const NotifyIcs *in, GError **error);

/* ---- transport.c: one network call, on a worker thread */
typedef struct {
  gboolean sms;
  /* email */
  char *url; /* smtp://host:port or smtps://host:port */
  ThMailSecurity security;
  char *user, *password;
  char *envelope_from;
  char *header_from;
  char *to;
  char *subject;
  char *message_id;
  char *date; /* RFC 5322 date */
  char *text;
  char *ics;
  char *method;
  /* sms */
  char *sms_url;
  char *body;      /* the exact JSON bytes signed */
  char *signature; /* hex HMAC-SHA256 of body */
} NotifyJob;

void notify_job_free (NotifyJob *job);
/* Runs the job; NULL when it went, else what went wrong in words. */
char *notify_transport_run (NotifyJob *job);
/* Hex HMAC-SHA256 of `body` with `secret`. */
char *notify_hmac_hex (const char *secret, const char *body);
/* The address inside "Name <addr>" (or the text itself). */
char *notify_address_of (const char *from);

/* ---- diary.c: the diary's reminder and link (issue 14) */
/* A fresh diary link for the patient's message while their diary is on;
 * NULL without an error when staff turned it off. */
char *notify_diary_link (Notify *n, const char *patient_id, GError **error);
gboolean notify_diary_live (Notify *n, const char *patient_id, gboolean *live, GError **error);
/* The daily reminder ("diary-reminder"), with a fresh link. */
gboolean notify_compose_diary_reminder (Notify *n, const StoreOutboxMessage *row,
                                        NotifyMessage *out, GError **error);

G_END_DECLS
