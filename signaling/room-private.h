/* room-private.h — the data behind the visit rooms, shared by the files of
 * signaling/. Calls run one way:
 *   conn.c (the hub, one connection's messages)
 *     → room.c (the rooms, their participants, their state)
 *       → room_legs.c (the media legs), room_presence.c, room_streams.c (what
 *         participants say, places, streams), room_record.c (the records a
 *         room waits for: SigRecordReply)
 *         → outgoing.c (frames to one connection or to a room)
 * and nothing below calls back up. */
#pragma once

#include "signaling/signaling.h"

typedef struct _Room Room;
typedef struct _Participant Participant;

typedef enum {
  CONN_AWAITING_HELLO, /* connected, not yet identified */
  CONN_AUTHORIZING,    /* its hello is being checked (authorize_async) */
  CONN_JOINED,         /* identified and attached to a participant */
  CONN_CLOSING,        /* told to go; ignore whatever else it sends */
} ConnState;

struct _SigConn {
  SigHub *hub;
  const SigTransport *transport;
  gpointer transport_data;
  char *credential;
  char *address;
  ConnState state;
  Participant *participant; /* when JOINED */
  guint failed_hellos;
  SigAuthorizeReply *authorizing; /* while CONN_AUTHORIZING: the answer awaited */
};

struct _Participant {
  Room *room;
  char *id;
  SigRole role;
  char *display_name;
  SigConn *conn; /* the live connection, or NULL */
  gboolean admitted;
  gint64 waiting_since_ms;     /* 0 when not waiting */
  MediaLeg *leg;               /* the media leg while in the call */
  guint grace_source;          /* pending "left" after a drop, or 0 */
  gboolean audio_on, video_on; /* as the participant last said (media-state) */
  gboolean media_state_known;
  guint queue_position; /* last place sent while waiting (0: none sent) */
  gboolean queue_provider_present;
  MediaLeg *quality_leg; /* borrowed: the leg the last quality sample was of */
  MediaLegQuality quality_last;
  guint64 quality_rx_bytes;
  gint64 quality_at_us;
  guint64 rx_packets;       /* media watchdog: packets seen at the last look */
  gint64 rx_changed_us;     /* ... and when that count last moved */
  guint unconnected_legs;   /* legs in a row that ended before their media connected */
  gboolean connect_trouble; /* the others were told this one's media cannot connect */
};

typedef enum {
  ROOM_SCHEDULED,
  ROOM_WAITING,
  ROOM_IN_PROGRESS,
  ROOM_ENDED,
} RoomState;

struct _Room {
  SigHub *hub;
  char *visit_id;
  RoomState state;
  GHashTable *participants; /* id → Participant* (owned) */
  MediaVisit *media;        /* created when the first leg starts */
  guint watchdog_source;    /* media timeout check while legs exist */
  char *modality;           /* "video" | "audio-only" */
  guint quality_source;     /* periodic connection-quality reports */
  char *provider_key;       /* the visit's provider, or NULL: places are counted per provider */
  guint64 serial;           /* unique in the hub: a room freed and made again is another */
  GPtrArray *records;       /* SigRecordReply* awaited (room_record.c), detached when freed */
  gboolean state_busy;      /* a state change is being recorded: the next waits for it */
  GQueue ops;               /* RoomOp* (room.c): admits and ends asked meanwhile, in order */
  gboolean settle_wanted;   /* a waiting ⇄ scheduled change was asked meanwhile ... */
  RoomState settle_to;      /* ... towards this state */
  gboolean ending;          /* an end is being recorded: no more chat or switches */
  char *modality_next;      /* the switch being recorded last, or NULL */
  guint modality_pending;   /* switches being recorded */
};

struct _SigHub {
  SigHooks hooks;
  gpointer hooks_user_data;
  MediaConfig media_config; /* deep copy */
  const SigMedia *media;    /* the media layer (hub_media.c, or a test's fake) */
  GHashTable *rooms;        /* visit id → Room* (owned) */
  GHashTable *conns;        /* SigConn* set (owned) */
  SigLimits limits;
  gboolean stopping;     /* sig_hub_shutdown: no one joins any more */
  MediaLegStats retired; /* the removed legs' totals (hub_stats.c) */
  guint64 messages[SIG_MSG_N_TYPES];
  guint64 messages_invalid;
  guint64 room_serials; /* the last Room.serial given */
};

const char *room_state_name (RoomState state);
gboolean room_state_from_name (const char *name, RoomState *out);

/* outgoing.c: frames to clients. */
/* Sends a frame to one connection (takes ownership of text). */
void conn_send_take (SigConn *conn, char *text);
/* An error frame; a refusal (unauthorized, forbidden, not-found) also goes
 * to the refused hook for the audit log. */
void conn_send_error (SigConn *conn, SigErrorCode code, const char *message);
/* Says bye and asks the transport to close; the conn stays until disconnected. */
void conn_close_with_bye (SigConn *conn, const char *reason);
/* Sends a frame to everyone connected but `except` (takes the text). */
void room_broadcast_take (Room *room, char *text, Participant *except);

/* hub_stats.c: a leg's totals kept before it goes, so the hub's counts
 * never go down. */
void hub_retire_leg (SigHub *hub, MediaLeg *leg);

/* hub_media.c: the media layer of sig_hub_new, media/ itself. */
extern const SigMedia sig_media_gstreamer;

/* room_record.c: the records a room waits for (SigRecordReply). `done`
 * runs on the main context when the answer comes, unless the room was
 * freed first; `destroy` frees `data` either way. Each may answer before
 * it returns (a synchronous hook): ask last, touch the room no more. */
typedef void (*RoomRecordDone) (Room *room, gboolean ok, gint64 at_unix_ms, gpointer data);
void room_record_state (Room *room, const char *state, RoomRecordDone done, gpointer data,
                        GDestroyNotify destroy);
/* `at_unix_ms`: the time shown when no hook stores chat. */
void room_record_chat (Room *room, const char *participant_id, const char *text, gint64 at_unix_ms,
                       RoomRecordDone done, gpointer data, GDestroyNotify destroy);
void room_record_modality (Room *room, const char *participant_id, const char *modality,
                           RoomRecordDone done, gpointer data, GDestroyNotify destroy);
/* The room is going: the answers still awaited will find nobody. */
void room_records_detach (Room *room);

/* room_legs.c: the media legs. */
/* Gives a connected, admitted participant a fresh leg (the server then
 * offers to it). */
void participant_start_media (Participant *p);
/* Removes the participant's leg, if any. */
void participant_stop_media (Participant *p);

/* room.c */

Room *room_get_or_load (SigHub *hub, const SigIdentity *identity);
/* Attaches a freshly identified connection to its participant in the room,
 * taking over from an older connection of the same participant. */
void room_join (Room *room, SigConn *conn, const SigIdentity *identity);
void room_admit (Room *room, SigConn *by, const char *participant_id);
void room_answer (Room *room, Participant *participant, const char *sdp);
void room_remote_ice (Room *room, Participant *participant, guint mline, const char *candidate);
/* room_presence.c: what participants say about themselves and to each
 * other during a visit, and the places of those waiting. */
void room_chat (Room *room, Participant *from, const char *text);
void room_media_state (Room *room, Participant *from, gboolean audio, gboolean video);
void room_modality (Room *room, Participant *from, const char *modality);
/* The participant's media cannot connect (trouble), or connects again: the
 * others are told on a change only. */
void room_connect_trouble (Room *room, Participant *p, gboolean trouble);
/* A leg of the participant ended in `state` (media.h): legs that keep ending
 * before they connect mean the network blocks the call, whatever the
 * client says. */
void room_leg_ended (Room *room, Participant *p, MediaLegState state);
/* After a welcome: what the newcomer needs to know of the others. */
void room_presence_welcome (Room *room, Participant *p);
/* Sends each waiting participant of the provider's visits their place. */
void room_update_queues (Room *room);
/* Starts the periodic quality reports of the room (idempotent). */
void room_quality_start (Room *room);
/* room_streams.c: the media layer's streams_changed for a participant's
 * leg (user_data: the Participant) becomes a `streams` message. */
void room_leg_streams (MediaLeg *leg, const MediaStream *streams, guint n, gpointer user_data);
/* The participant left (said so, or was removed): recorded as left now. */
void room_participant_gone (Room *room, Participant *participant);
/* The participant's connection dropped without leaving: reconnecting, with
 * a grace period before they are recorded as left. */
void room_participant_dropped (Room *room, Participant *participant);
void room_end (Room *room, Participant *by);
/* Frees rooms with nobody connected. */
void room_maybe_free (Room *room);
void room_free (Room *room);
