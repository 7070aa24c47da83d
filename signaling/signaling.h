/* signaling.h — the face of the signaling module: the WebSocket wire
 * protocol (pure parse/encode functions) and the visit rooms (waiting room,
 * admit, offer/answer/ICE relay to the media legs, leave, end).
 *
 * The module never includes a server header. The server hands it a table of
 * hooks (authorize a hello, record state changes) and a transport (send a
 * text frame, close a connection).
 */
#pragma once

#include <glib.h>
#include "media/media.h"

G_BEGIN_DECLS

/* Announced in `welcome` as "protocol". */
#define SIG_PROTOCOL_VERSION 1

/* Limits of the wire protocol. The schema and its limits live in protocol.c;
 * these are exported so the transport can refuse oversized frames early. */
#define SIG_MAX_FRAME_BYTES (64 * 1024)
#define SIG_MAX_TOKEN_CHARS 256
#define SIG_MAX_ID_CHARS 64
#define SIG_MAX_SDP_BYTES (48 * 1024)
#define SIG_MAX_CANDIDATE_BYTES 1024
#define SIG_MAX_CHAT_CHARS 2000
#define SIG_MAX_MLINE 15

typedef enum {
  SIG_ROLE_PATIENT,
  SIG_ROLE_PROVIDER,
  SIG_ROLE_GUEST,
} SigRole;

const char *sig_role_name (SigRole role); /* "patient" | "provider" | "guest" */

/* ---------------------------------------------------------------- errors */

#define SIG_ERROR (sig_error_quark ())
GQuark sig_error_quark (void);

typedef enum {
  SIG_ERR_BAD_JSON,     /* "bad-json": not parseable JSON */
  SIG_ERR_BAD_UTF8,     /* "bad-utf8": text frame is not valid UTF-8 */
  SIG_ERR_NOT_OBJECT,   /* "not-object": top level is not a JSON object */
  SIG_ERR_MISSING_TYPE, /* "missing-type": no "type", or it is not a string */
  SIG_ERR_UNKNOWN_TYPE, /* "unknown-type": a type the server does not accept */
  SIG_ERR_BAD_FIELD, /* "bad-field": a field missing, of the wrong type, unexpected, or out of range */
  SIG_ERR_TOO_LARGE,     /* "too-large": frame or field over its limit */
  SIG_ERR_BINARY,        /* "binary-unsupported": binary frames are not part of the protocol */
  SIG_ERR_UNAUTHORIZED,  /* "unauthorized": token unknown, expired or revoked */
  SIG_ERR_FORBIDDEN,     /* "forbidden": the caller's role may not do this */
  SIG_ERR_BAD_STATE,     /* "bad-state": not now (e.g. answer before hello) */
  SIG_ERR_NOT_FOUND,     /* "not-found": the named participant or visit does not exist */
  SIG_ERR_BAD_SDP,       /* "bad-sdp": the SDP was refused by the media layer */
  SIG_ERR_BAD_CANDIDATE, /* "bad-candidate": the ICE candidate was refused */
  SIG_ERR_RATE_LIMITED,  /* "rate-limited": too many messages */
  SIG_ERR_INTERNAL,      /* "internal": the server failed; not the client's fault */
  SIG_ERR_BUSY,          /* "busy": a configured capacity limit is reached */
} SigErrorCode;

const char *sig_error_code_name (SigErrorCode code);

/* ------------------------------------------------------ inbound messages */

typedef enum {
  SIG_MSG_HELLO,  /* {type:"hello", token?:string, visit?:string}; at least one of them */
  SIG_MSG_ADMIT,  /* {type:"admit", participant:string} */
  SIG_MSG_ANSWER, /* {type:"answer", sdp:string} */
  SIG_MSG_ICE, /* {type:"ice", candidate:string, sdpMLineIndex:int 0..SIG_MAX_MLINE, sdpMid?:string|null} */
  SIG_MSG_CHAT,        /* {type:"chat", text:string 1..SIG_MAX_CHAT_CHARS chars} */
  SIG_MSG_LEAVE,       /* {type:"leave"} */
  SIG_MSG_END,         /* {type:"end"} */
  SIG_MSG_MEDIA_STATE, /* {type:"media-state", audio:bool, video:bool}: is my mic / camera on */
  SIG_MSG_MODALITY,    /* {type:"modality", modality:"video"|"audio-only"} (patient or provider) */
  SIG_MSG_CONNECT_TROUBLE, /* {type:"connect-trouble", trouble:bool}: my media cannot connect (or does again) */
} SigMsgType;
#define SIG_MSG_N_TYPES (SIG_MSG_CONNECT_TROUBLE + 1)

typedef struct {
  SigMsgType type;
  union {
    struct {
      char *token;
      char *visit;
    } hello; /* either may be NULL, not both */
    struct {
      char *participant;
    } admit;
    struct {
      char *sdp;
    } answer;
    struct {
      char *candidate;
      guint mline;
    } ice; /* candidate "" = end of candidates */
    struct {
      char *text;
    } chat;
    struct {
      gboolean audio;
      gboolean video;
    } media_state;
    struct {
      char *modality;
    } modality; /* "video" | "audio-only" */
    struct {
      gboolean trouble;
    } connect_trouble;
  } u;
} SigMessage;

/* Validates one text frame into `out`. On failure returns FALSE, leaves `out`
 * cleared and sets `error` in SIG_ERROR with a SigErrorCode and a message
 * fit to show the client (it never echoes the input back). */
gboolean sig_message_parse (const char *data, gsize len, SigMessage *out, GError **error);
void sig_message_clear (SigMessage *msg);
const char *sig_msg_type_name (SigMsgType type);

/* ----------------------------------------------------- outbound messages */
/* Each returns a newly allocated compact JSON text (g_free it). */

typedef struct {
  const char *participant;
  const char *display_name;
  SigRole role;
  gint64 since_unix_ms; /* when they started waiting */
} SigWaitingEntry;

char *sig_encode_error (SigErrorCode code, const char *message);
/* {type:"welcome", protocol, visit, role, participant, display_name,
 * patient_display_name, state}: patient_display_name names whose visit it
 * is (a guest's page says so); null when the server does not know it */
char *sig_encode_welcome (const char *visit, SigRole role, const char *participant,
                          const char *display_name, const char *patient_display_name,
                          const char *state);
/* {type:"waiting", participants:[{participant, display_name, role, since}]}; since is ISO 8601 UTC */
char *sig_encode_waiting (const SigWaitingEntry *entries, guint n_entries);
/* {type:"visit-state", state} */
char *sig_encode_visit_state (const char *state);
/* {type:"offer", sdp} */
char *sig_encode_offer (const char *sdp);
/* {type:"ice", candidate, sdpMLineIndex} */
char *sig_encode_ice (const char *candidate, guint mline);
/* {type:"peer-state", participant, display_name, role, state} */
char *sig_encode_peer_state (const char *participant, const char *display_name, SigRole role,
                             const char *state);
/* {type:"chat", from, display_name, text, at}; at is ISO 8601 UTC */
char *sig_encode_chat (const char *from, const char *display_name, const char *text,
                       gint64 at_unix_ms);
/* {type:"media-state", participant, display_name, role, audio, video}:
 * whether a participant's microphone and camera are on, as they last said;
 * named, so that a page that (re)joins after them can say whose they are */
char *sig_encode_media_state (const char *participant, const char *display_name, SigRole role,
                              gboolean audio, gboolean video);
/* {type:"modality", modality, by, display_name}: the visit is now video or
 * audio-only; `by` (and the name) null when nobody changed it (the state
 * sent after welcome) */
char *sig_encode_modality (const char *modality, const char *by, const char *display_name);
/* {type:"queue", position, provider_present}: to someone waiting, their
 * place among the provider's waiting patients (1 = next) and whether the
 * provider has this visit open (and so has been alerted) */
char *sig_encode_queue (guint position, gboolean provider_present);
/* {type:"quality", loss_pct, rtt_ms?, rx_kbps}: the server's view of what it
 * receives from this participant (loss since the last report, the round
 * trip their receiver reports imply, rtt_ms absent when unknown) */
char *sig_encode_quality (gdouble loss_pct, gdouble rtt_ms, gboolean have_rtt, gdouble rx_kbps);
/* One m-line of a client's peer connection and whose media it carries
 * (see media.h for the layout). */
typedef struct {
  const char *mid; /* the offer's a=mid, the client's transceiver.mid */
  guint mline;
  const char *kind;    /* "audio" | "video" */
  const char *content; /* "camera" | "screen" */
  const char *participant;
  const char *display_name; /* may be NULL */
  SigRole role;
} SigStreamEntry;

/* {type:"streams", streams:[{mid, mline, kind, content, participant,
 * display_name, role}]}: what the client receives on which m-line, sent
 * after each offer and whenever it changes (empty list: nothing yet) */
char *sig_encode_streams (const SigStreamEntry *entries, guint n_entries);
/* {type:"connect-trouble", participant, display_name, role, trouble}: that
 * participant's media cannot connect (trouble true: they say so, or their
 * legs keep failing), or it connects again (false) */
char *sig_encode_connect_trouble (const char *participant, const char *display_name, SigRole role,
                                  gboolean trouble);
/* {type:"record-changed", what}: to the visit's providers, something of
 * the visit's record changed elsewhere (what: "checkin", the patient saved
 * their check-in), so the open record reloads now instead of at its next
 * poll. Nothing clinical goes in it: the console fetches the record over
 * REST with its own authorization. NULL when `what` is not a known part. */
char *sig_encode_record_changed (const char *what);
/* {type:"bye", reason} — sent before the server closes a connection */
char *sig_encode_bye (const char *reason);
/* {type:"redirect", url, token?}: another node hosts this visit; the client
 * says hello again at `url` + "/signaling" (with `token` instead of what it
 * sent, when given). The server closes the connection after it. */
char *sig_encode_redirect (const char *url, const char *token);
/* {type:"nodes", urls:[…]}: after the welcome, with several nodes: the live
 * nodes' base URLs, where the client may say hello if its node goes away */
char *sig_encode_nodes (const char *const *urls);

/* ------------------------------------------------------------ the rooms */
/* A participant whose connection drops without `leave` (or whose media stops
 * for limits.media_timeout_s) is "reconnecting": the others are told
 * (peer-state reconnecting), the visit stays in progress, and the same link
 * within limits.grace_s brings them back with a fresh media leg ("return");
 * after that they are recorded as left. Hooks' participant_event events:
 * join | admit | drop | return | leave | end. */

typedef struct _SigHub SigHub;
typedef struct _SigConn SigConn;

/* Who a hello turned out to be. Filled by the authorize hook. */
typedef struct {
  char *visit_id;
  SigRole role;
  char *participant_id;
  char *display_name;
  char *patient_display_name; /* the visit's patient, as the welcome names them; may be NULL */
  char *visit_state;    /* the visit's stored state: scheduled | waiting | in_progress | ended */
  char *visit_modality; /* video | audio-only; NULL = video */
  char *provider_key;   /* the visit's provider (opaque): waiting places are counted per provider */
  /* Set when another node hosts the visit (issue 18): the hello is
   * answered with redirect {url, token?} and the connection closed, nothing
   * joined here. `redirect_token`: a short-lived link for that node, for a
   * participant known here by something it cannot see (a staff cookie of
   * this origin); may be NULL. */
  char *redirect_url;
  char *redirect_token;
  /* The live nodes' base URLs, sent after the welcome (nodes {urls}) so a
   * page whose node dies knows where else to say hello; may be NULL. */
  char **nodes;
} SigIdentity;

void sig_identity_clear (SigIdentity *identity);

/* The answer to a hello checked off the main loop (authorize_async): the
 * server's store may take its time, and the loop carries every visit. */
typedef struct _SigAuthorizeReply SigAuthorizeReply;

/* Main context only, once per reply: the hello's answer, as authorize's
 * (TRUE with `identity`, whose contents are taken; FALSE with `code` and
 * `message`). The hello then goes on (welcome, or the error). A connection
 * that closed meanwhile gets nothing: the reply only outlives it. May be
 * called from inside authorize_async itself. */
void sig_authorize_reply_finish (SigAuthorizeReply *reply, gboolean ok, SigIdentity *identity,
                                 SigErrorCode code, const char *message);

/* The answer to a record a room waits for (visit_state_changed_async,
 * chat_async, modality_changed_async): the server writes it off the main
 * loop, a visit's records one after another in the order they were asked. */
typedef struct _SigRecordReply SigRecordReply;

/* Main context only, once per reply: `ok` as the synchronous hook would
 * have returned it; `at_unix_ms` is a chat's stored time (ignored for the
 * others). The room then goes on (the state moves, the chat is shown, the
 * switch happens) or says the failure to whoever asked. A room freed
 * meanwhile (everyone gone) gets nothing: the reply only outlives it. May
 * be called from inside the hook itself. */
void sig_record_reply_finish (SigRecordReply *reply, gboolean ok, gint64 at_unix_ms);

typedef struct {
  /* Resolves a hello (token and/or visit) plus the transport's credentials
   * (e.g. the upgrade request's cookie, may be NULL) into an identity. On
   * refusal returns FALSE and sets *code and a message for the client. */
  gboolean (*authorize) (const char *token, const char *visit, const char *transport_credential,
                         SigIdentity *out, SigErrorCode *code, char **message, gpointer user_data);
  /* The same, answered later through sig_authorize_reply_finish (the
   * strings are only valid during the call: copy them). Used instead of
   * authorize when set. Meanwhile the connection's other messages are
   * refused as before a hello. */
  void (*authorize_async) (const char *token, const char *visit, const char *transport_credential,
                           SigAuthorizeReply *reply, gpointer user_data);
  /* The visit moved to `state`. Returns FALSE (and the room does not move)
   * when the store refuses the transition. */
  gboolean (*visit_state_changed) (const char *visit_id, const char *state, gpointer user_data);
  /* A participant joined, was admitted, left, ended the visit (`event`: join |
   * admit | leave | end); `address` is where their connection comes from. */
  void (*participant_event) (const char *visit_id, const char *participant_id, SigRole role,
                             const char *event, const char *address, gpointer user_data);
  /* A chat message to keep with the visit before anyone sees it; FALSE
   * (the sender gets "internal", nobody gets the message) when it could not
   * be stored. *at_unix_ms is the stored time. May be NULL (not stored). */
  gboolean (*chat) (const char *visit_id, const char *participant_id, const char *text,
                    gint64 *at_unix_ms, gpointer user_data);
  /* The visit switched to `modality` (video | audio-only) by a participant;
   * FALSE when it could not be recorded (and the switch does not happen). */
  gboolean (*modality_changed) (const char *visit_id, const char *participant_id,
                                const char *modality, gpointer user_data);
  /* The same three, answered later through sig_record_reply_finish (the
   * strings are only valid during the call: copy them); each is used
   * instead of its synchronous twin when set. Meanwhile the room holds
   * what depends on the answer: a state change waits (an admit or an end
   * asked meanwhile runs after it), a chat is shown to nobody, a switch
   * does not happen. participant_event has no answer: nothing waits for
   * it, and the server records it in order with these (its failure is
   * only logged, as before). */
  void (*visit_state_changed_async) (const char *visit_id, const char *state, SigRecordReply *reply,
                                     gpointer user_data);
  void (*chat_async) (const char *visit_id, const char *participant_id, const char *text,
                      SigRecordReply *reply, gpointer user_data);
  void (*modality_changed_async) (const char *visit_id, const char *participant_id,
                                  const char *modality, SigRecordReply *reply, gpointer user_data);
  /* A request was refused for who asked (unauthorized, forbidden, not-found):
   * for the audit log. visit_id and participant_id are NULL before a hello. */
  void (*refused) (const char *visit_id, const char *participant_id, const char *code,
                   const char *address, gpointer user_data);
  /* A quality sample of a leg's incoming media (every few seconds per
   * connected participant): the fraction of packets lost since the last
   * one, and the round trip in seconds when known. For the metrics; no
   * visit or participant, so nothing to tell who. May be NULL. */
  void (*media_quality) (double loss_fraction, double rtt_s, gboolean have_rtt, gpointer user_data);
} SigHooks;

typedef struct {
  /* Queue one text frame to the connection. */
  void (*send) (gpointer transport, const char *text);
  /* Ask the transport to close the connection after what is queued. */
  void (*close) (gpointer transport);
  /* The connection's hello was verified (it now speaks for a participant:
   * the transport's limits on unidentified connections end). With an
   * authorize_async hook this comes after the hello's frame was handled.
   * May be NULL. */
  void (*joined) (gpointer transport);
} SigTransport;

/* What the rooms allow and how long they wait; 0 means "no limit" for the
 * counts. */
typedef struct {
  guint grace_s;          /* a dropped participant may return this long (default 60) */
  guint media_timeout_s;  /* no media from a connected leg this long = a drop (default 20) */
  guint max_visits;       /* visits with a live room at once */
  guint max_participants; /* participants in one visit (provider included) */
} SigLimits;

/* What the rooms ask of the media layer: the functions of media.h they use,
 * with media.h's signatures and rules (every call and callback on the main
 * context). sig_hub_new uses media/ itself; a test swaps in a fake with
 * sig_hub_set_media and drives the legs' callbacks by hand, so admit,
 * offer/answer, ICE and end are tested without GStreamer. */
typedef struct {
  MediaVisit *(*visit_new) (const char *visit_id, const MediaConfig *config, GError **error);
  void (*visit_free) (MediaVisit *visit);
  MediaLeg *(*add_leg) (MediaVisit *visit, const char *participant_id,
                        const MediaLegCallbacks *callbacks, gpointer user_data, GError **error);
  void (*remove_leg) (MediaVisit *visit, MediaLeg *leg);
  void (*set_may_share) (MediaLeg *leg, gboolean may_share);
  MediaLegState (*get_state) (MediaLeg *leg);
  void (*get_stats) (MediaLeg *leg, MediaLegStats *stats);
  gboolean (*set_answer) (MediaLeg *leg, const char *sdp, GError **error);
  gboolean (*add_ice_candidate) (MediaLeg *leg, guint mline, const char *candidate, GError **error);
  void (*request_quality) (MediaLeg *leg, MediaQualityFunc func, gpointer user_data,
                           GDestroyNotify destroy);
} SigMedia;

/* A hub whose rooms use media/ (GStreamer webrtcbin) with `media` (copied;
 * NULL: defaults). */
SigHub *sig_hub_new (const SigHooks *hooks, gpointer hooks_user_data, const MediaConfig *media);
/* Replaces the media layer (the table is borrowed and must outlive the
 * hub); only before the first connection. */
void sig_hub_set_media (SigHub *hub, const SigMedia *media);
void sig_hub_set_limits (SigHub *hub, const SigLimits *limits);
void sig_hub_free (SigHub *hub);
guint sig_hub_active_visits (SigHub *hub);

/* What the rooms hold now and what went through them since the hub began
 * (hub_stats.c), read by the server's GET /metrics: cheap, a walk of the
 * live rooms. */
typedef struct {
  guint visits_waiting; /* live rooms by state */
  guint visits_in_progress;
  guint visits_other;                /* scheduled (someone early) or ended (not yet freed) */
  guint participants;                /* with a live connection */
  guint legs;                        /* media legs */
  guint connections;                 /* WebSockets, identified or not */
  MediaLegStats media;               /* totals over every leg there was, the live ones' so far */
  guint64 messages[SIG_MSG_N_TYPES]; /* received, by type */
  guint64 messages_invalid;          /* frames refused by the parser (or binary) */
} SigHubStats;
void sig_hub_get_stats (SigHub *hub, SigHubStats *stats);
guint sig_hub_connection_count (SigHub *hub);
/* Says bye ("shutdown") to every connection and asks the transports to
 * close; a hello that comes after is answered the same way (no joins). */
void sig_hub_shutdown (SigHub *hub);

/* A new WebSocket connection. `credential` is whatever the transport knows
 * about the caller (may be NULL); it is handed to the authorize hook. */
SigConn *sig_hub_connect (SigHub *hub, const SigTransport *transport, gpointer transport_data,
                          const char *credential, const char *address);
/* Ends a participant's presence now (their link was revoked): their live
 * connection gets bye(reason) and is closed. FALSE when not connected. */
gboolean sig_hub_kick_participant (SigHub *hub, const char *visit_id, const char *participant_id,
                                   const char *reason);
/* Tells the visit's connected providers that its record changed (see
 * sig_encode_record_changed); returns how many were told (0: nobody has the
 * visit open, or `what` is unknown). */
guint sig_hub_record_changed (SigHub *hub, const char *visit_id, const char *what);
/* TRUE while the visit has a live room: someone connected, or dropped and
 * still within their grace period. */
gboolean sig_hub_visit_occupied (SigHub *hub, const char *visit_id);
/* The ids of the visits with a live room (as sig_hub_visit_occupied), for
 * a node that must say which visits it still hosts. */
GPtrArray *sig_hub_visit_ids (SigHub *hub);
/* Lets go of the visit's room at once: each connected participant gets
 * bye(reason) and is closed, those reconnecting are forgotten, the media
 * stops, and nothing is recorded (no leave, no drop): the participants are
 * not leaving, another node hosts them from now on (a node that lost its
 * database for nearly a lease, server/cluster). Returns how many were
 * connected; 0 when the visit has no room here. */
guint sig_hub_release_visit (SigHub *hub, const char *visit_id, const char *reason);
/* One complete frame from the client. */
void sig_conn_receive (SigConn *conn, const char *data, gsize len, gboolean binary);
/* The transport is gone; frees the connection. No transport call follows. */
void sig_conn_disconnected (SigConn *conn);
/* TRUE once a hello was verified and the connection speaks for a
 * participant (the transport's limits on unidentified connections end). */
gboolean sig_conn_joined (const SigConn *conn);

G_END_DECLS
