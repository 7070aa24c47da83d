/* media_client.h — an in-process "browser" for the media tests: a webrtcbin
 * in its own pipeline that behaves like Chrome in our protocol (its
 * microphone and camera, and optionally a screen share, are linked in
 * BEFORE the server's offer is applied, it answers, trickles ICE, and
 * decodes what it receives), plus bounded waiting on the main context.
 *
 * What it received is counted per payload type: every m-line of the layout
 * has its own (media/layout.c), so counts per payload type are counts per
 * m-line, i.e. per remote slot.
 */
#pragma once

#ifndef GST_USE_UNSTABLE_API
#define GST_USE_UNSTABLE_API
#endif
#include "media/media.h"
#include "media/media-private.h"

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>
#include <stdatomic.h>

#define CONNECT_TIMEOUT_MS 10000
#define MEDIA_TIMEOUT_MS 20000
#define MIN_FRAMES 10
#define MIN_AUDIO_PACKETS 20

typedef gboolean (*Predicate) (gpointer data);

/* Iterates the default main context until pred(data) or the timeout. */
gboolean wait_until (Predicate pred, gpointer data, guint timeout_ms);
void spin (guint ms);

typedef struct {
  const char *name;
  GstElement *pipeline;
  GstElement *webrtcbin;
  GstElement *screen_valve;         /* drop=TRUE stops the screen share */
  MediaLeg *leg;
  gint64 answered_us;               /* when the answer went to the server */
  gint64 connected_us;              /* when the test saw both legs connected */
  atomic_uint video_frames;         /* decoded frames of all remote video */
  atomic_uint video_packets;        /* VP8 RTP packets received */
  atomic_uint audio_packets;        /* Opus RTP packets received */
  atomic_uint frames_pt[128];       /* decoded frames by payload type */
  atomic_uint packets_pt[128];      /* RTP packets by payload type */
  atomic_uint ssrc_pt[128];         /* the SSRC last seen on that payload type */
  atomic_llong first_frame_us;      /* monotonic time of the first decoded frame */
  guint offers;
  guint expected_mlines;            /* what on_leg_offer checks the offer against */
  gboolean bad_offer;
  gchar *offer_sdp;                 /* the last offer */
  /* A slow client: applies the offer this late, so the other side's media
   * reaches the relay before this leg connects (tee first, link later). */
  guint offer_delay_ms;
  gchar *pending_offer;             /* offer waiting for offer_delay_ms */
  GPtrArray *pending_ice;           /* "mline candidate" strings until the offer is applied */
  /* The last streams_changed report, one "mline:kind:content:participant"
   * string per stream, and how many reports came. */
  GPtrArray *streams;
  guint stream_reports;
} Client;

/* `pattern`: videotestsrc pattern of the camera; `screen_pattern` >= 0 adds
 * a screen share (third transceiver, payload type 97) with that pattern. */
void client_init (Client *client, const char *name, int pattern, int screen_pattern);
void client_clear (Client *client);
/* A Client with no pipeline only records what its leg reports. */
void client_init_headless (Client *client, const char *name);

/* Whether the offer is the layout of `n_mlines` m-lines (media.h). */
gboolean offer_is_as_designed (const char *sdp, guint n_mlines);
/* Whether the last streams report has "mline:kind:content:participant". */
gboolean client_has_stream (Client *client, const char *entry);

extern const MediaLegCallbacks client_leg_callbacks;

MediaConfig client_test_config (guint remote_slots);
