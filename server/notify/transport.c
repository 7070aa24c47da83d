/* transport.c — one message over the network with libcurl, on a worker
 * thread (sender.c hands it over with GTask): an email through the
 * clinic's SMTP server, or a text message as a signed JSON POST to the
 * clinic's SMS gateway. Nothing here touches the store or the app; what
 * went wrong comes back in words for the staff's message list. */
#define G_LOG_DOMAIN "th-notify"

#include "server/notify/notify-private.h"

#include <string.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* A send may not hold the worker (nor a clean stop) for long. */
#define CONNECT_TIMEOUT_S 10L
#define TOTAL_TIMEOUT_S 20L

void
notify_job_free (NotifyJob *job)
{
  if (!job)
    return;
  g_free (job->url);
  g_free (job->user);
  if (job->password)
    memset (job->password, 0, strlen (job->password));
  g_free (job->password);
  g_free (job->envelope_from);
  g_free (job->header_from);
  g_free (job->to);
  g_free (job->subject);
  g_free (job->message_id);
  g_free (job->date);
  g_free (job->text);
  g_free (job->ics);
  g_free (job->method);
  g_free (job->sms_url);
  g_free (job->body);
  g_free (job->signature);
  g_free (job);
}

char *
notify_hmac_hex (const char *secret, const char *body)
{
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  GString *hex;

  if (!HMAC (EVP_sha256 (), secret, (int) strlen (secret), (const unsigned char *) body,
             strlen (body), mac, &len))
    return NULL;
  hex = g_string_sized_new (len * 2);
  for (unsigned int i = 0; i < len; i++)
    g_string_append_printf (hex, "%02x", mac[i]);
  return g_string_free (hex, FALSE);
}

char *
notify_address_of (const char *from)
{
  const char *lt = strrchr (from, '<');
  const char *gt = lt ? strchr (lt, '>') : NULL;

  if (lt && gt)
    return g_strndup (lt + 1, (gsize) (gt - lt - 1));
  return g_strstrip (g_strdup (from));
}

/* A header value in RFC 2047 form when it is not plain ASCII. */
static char *
header_text (const char *text)
{
  g_autofree char *b64 = NULL;

  for (const char *p = text; *p; p++)
    if ((guchar) *p >= 0x80)
      goto encode;
  return g_strdup (text);
encode:
  b64 = g_base64_encode ((const guchar *) text, strlen (text));
  return g_strdup_printf ("=?UTF-8?B?%s?=", b64);
}

static char *
curl_words (CURLcode rc, long response, const char *detail, gboolean sms)
{
  const char *who = sms ? "The text-message gateway" : "The mail server";

  switch (rc) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
    return g_strdup_printf ("%s could not be reached.", who);
  case CURLE_OPERATION_TIMEDOUT:
    return g_strdup_printf ("%s did not answer in time.", who);
  case CURLE_LOGIN_DENIED:
    return g_strdup ("The mail server refused the sign-in: check [mail] user and password.");
  case CURLE_USE_SSL_FAILED:
    return g_strdup ("The mail server does not offer STARTTLS, which [mail] security requires.");
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
    return g_strdup_printf ("%s's secure connection failed (%s).", who,
                            detail && *detail ? detail : curl_easy_strerror (rc));
  default:
    break;
  }
  /* An SMTP refusal names the step: the recipient's address (RCPT), the
   * sender's (MAIL FROM), or the message itself (DATA). */
  if (response >= 400)
    return g_strdup_printf ("%s refused the message (%ld).%s", who, response,
                            detail && strstr (detail, "RCPT")
                              ? " It did not accept the patient's address."
                            : detail && strstr (detail, "MAIL")
                              ? " It did not accept the sender's address ([mail] from)."
                              : "");
  return g_strdup_printf ("%s: sending failed (%s).", who,
                          detail && *detail ? detail : curl_easy_strerror (rc));
}

static void
common_options (CURL *curl, char *errbuf)
{
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, TOTAL_TIMEOUT_S);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, errbuf);
  errbuf[0] = '\0';
}

static char *
send_email (NotifyJob *job, CURL *curl, char *errbuf)
{
  struct curl_slist *rcpt = NULL, *headers = NULL;
  curl_mime *mime = curl_mime_init (curl);
  curl_mimepart *part;
  g_autofree char *subject = header_text (job->subject);
  g_autofree char *h_from = g_strdup_printf ("From: %s", job->header_from);
  g_autofree char *h_to = g_strdup_printf ("To: <%s>", job->to);
  g_autofree char *h_subject = g_strdup_printf ("Subject: %s", subject);
  g_autofree char *h_id = g_strdup_printf ("Message-ID: %s", job->message_id);
  g_autofree char *h_date = g_strdup_printf ("Date: %s", job->date);
  g_autofree char *cal_type = NULL;
  long response = 0;
  CURLcode rc;
  char *result = NULL;

  rcpt = curl_slist_append (rcpt, job->to);
  headers = curl_slist_append (headers, h_date);
  headers = curl_slist_append (headers, h_from);
  headers = curl_slist_append (headers, h_to);
  headers = curl_slist_append (headers, h_subject);
  headers = curl_slist_append (headers, h_id);
  part = curl_mime_addpart (mime);
  curl_mime_data (part, job->text, CURL_ZERO_TERMINATED);
  curl_mime_type (part, "text/plain; charset=UTF-8");
  curl_mime_encoder (part, "quoted-printable");
  if (job->ics) {
    /* The invitation as an attachment a calendar reads (RFC 6047). */
    cal_type = g_strdup_printf ("text/calendar; charset=UTF-8; method=%s", job->method);
    part = curl_mime_addpart (mime);
    curl_mime_data (part, job->ics, CURL_ZERO_TERMINATED);
    curl_mime_type (part, cal_type);
    curl_mime_filename (part, "invite.ics");
    curl_mime_encoder (part, "base64");
  }
  curl_easy_setopt (curl, CURLOPT_URL, job->url);
  curl_easy_setopt (curl, CURLOPT_USE_SSL,
                    job->security == TH_MAIL_STARTTLS ? (long) CURLUSESSL_ALL
                    : job->security == TH_MAIL_TLS    ? (long) CURLUSESSL_ALL
                                                      : (long) CURLUSESSL_NONE);
  if (job->user) {
    curl_easy_setopt (curl, CURLOPT_USERNAME, job->user);
    curl_easy_setopt (curl, CURLOPT_PASSWORD, job->password);
  }
  curl_easy_setopt (curl, CURLOPT_MAIL_FROM, job->envelope_from);
  curl_easy_setopt (curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_MIMEPOST, mime);
  rc = curl_easy_perform (curl);
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &response);
  if (rc != CURLE_OK)
    result = curl_words (rc, response, errbuf, FALSE);
  curl_slist_free_all (rcpt);
  curl_slist_free_all (headers);
  curl_mime_free (mime);
  return result;
}

static char *
send_sms (NotifyJob *job, CURL *curl, char *errbuf)
{
  struct curl_slist *headers = NULL;
  g_autofree char *h_sig = g_strdup_printf ("X-Telehealth-Signature: sha256=%s", job->signature);
  long status = 0;
  CURLcode rc;
  char *result = NULL;

  headers = curl_slist_append (headers, "Content-Type: application/json");
  headers = curl_slist_append (headers, h_sig);
  curl_easy_setopt (curl, CURLOPT_URL, job->sms_url);
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDS, job->body);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE, (long) strlen (job->body));
  rc = curl_easy_perform (curl);
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK)
    result = curl_words (rc, 0, errbuf, TRUE);
  else if (status < 200 || status > 299)
    result = g_strdup_printf ("The text-message gateway answered %ld instead of accepting the "
                              "message.",
                              status);
  curl_slist_free_all (headers);
  return result;
}

char *
notify_transport_run (NotifyJob *job)
{
  char errbuf[CURL_ERROR_SIZE];
  CURL *curl = curl_easy_init ();
  char *result;

  if (!curl)
    return g_strdup ("The sending library could not start (out of memory).");
  common_options (curl, errbuf);
  result = job->sms ? send_sms (job, curl, errbuf) : send_email (job, curl, errbuf);
  curl_easy_cleanup (curl);
  return result;
}
