// remote-tracks.js: who is on which transceiver of the peer connection.
//
// The server offers a fixed layout (tests/CONTRACT.md, "Everyone sees
// everyone"): m0/m1 the first other participant's audio and video, m2 a
// shared screen, then an audio/video pair per further participant. Its
// `streams` message says which participant's media each mid carries now;
// the peer connection's track events say which track belongs to which mid.
// This joins the two into one MediaStream per remote participant (kept for
// as long as the participant stays, so a <video> showing it never has to be
// re-pointed when a track changes) and one for a shared screen.

// The mids of the m-lines of an SDP, in order.
export function sdpMids(sdp) {
  const mids = [];
  let inMedia = false;
  for (const line of String(sdp).split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      inMedia = true;
      mids.push(null);
    } else if (inMedia && line.startsWith('a=mid:')) {
      mids[mids.length - 1] = line.slice(6).trim();
    }
  }
  return mids;
}

function syncTracks(stream, wanted) {
  for (const t of stream.getTracks()) if (!wanted.includes(t)) stream.removeTrack(t);
  for (const t of wanted) if (!stream.getTracks().includes(t)) stream.addTrack(t);
}

export class RemoteTracks {
  constructor() {
    this.info = null;          // the last `streams` list, null before one came
    this.tracks = new Map();   // mid -> MediaStreamTrack of this peer connection
    this.mids = [];            // the offer's mids, m-line order
    this.streams = new Map();  // participant -> MediaStream
    this.provisional = null;   // the first participant's stream before we know who it is
    this.screenStream = null;
    this.last = { participants: [], screen: null };
  }

  // A new peer connection (or none): its tracks are new. `first` becomes the
  // first remote participant's stream once the server says who that is.
  // Returns what was shown before (now nothing).
  reset(mids = [], first = null) {
    const was = this.last;
    this.tracks.clear();
    this.mids = mids;
    this.streams.clear();
    this.provisional = first;
    this.screenStream = null;
    this.last = { participants: [], screen: null };
    return was;
  }

  // A new offer is coming: its own `streams` message follows it.
  forgetInfo() { this.info = null; }

  setInfo(list) {
    this.info = (Array.isArray(list) ? list : []).filter((s) => s && typeof s.mid === 'string'
      && typeof s.participant === 'string' && (s.kind === 'audio' || s.kind === 'video'));
  }

  addTrack(mid, track) {
    if (typeof mid === 'string') this.tracks.set(mid, track);
  }

  // {participants: [{participant, display_name, role, stream, audio, video}],
  //  screen: {participant, display_name, role, stream} | null}.
  compute() {
    if (this.info === null) return this.legacy();
    const people = new Map();
    let screen = null;
    for (const s of this.info) {
      const track = this.tracks.get(s.mid) || null;
      const mline = Number.isInteger(s.mline) ? s.mline : this.mids.indexOf(s.mid);
      if (s.content === 'screen') {
        if (s.kind === 'video' && track) screen = { ...s, track };
        continue;
      }
      let p = people.get(s.participant);
      if (!p) {
        p = { participant: s.participant, display_name: s.display_name || '', role: s.role || '', mline, tracks: [] };
        people.set(s.participant, p);
      }
      p.mline = Math.min(p.mline, mline);
      if (track) p.tracks.push(track);
    }
    // The provider first, then the patient, then guests (each in slot
    // order): the page's main remote tile shows whom the visit is with.
    const rank = (p) => ({ provider: 0, patient: 1 }[p.role] ?? 2);
    const list = [...people.values()].sort((a, b) => rank(a) - rank(b) || a.mline - b.mline);
    for (const id of [...this.streams.keys()]) if (!people.has(id)) this.streams.delete(id);
    const participants = list.map((p, i) => {
      let stream = this.streams.get(p.participant);
      if (!stream) {
        // The first one adopts the stream the page already shows.
        stream = i === 0 && this.provisional && ![...this.streams.values()].includes(this.provisional)
          ? this.provisional : new MediaStream();
        this.streams.set(p.participant, stream);
      }
      syncTracks(stream, p.tracks);
      return {
        participant: p.participant, display_name: p.display_name, role: p.role, stream,
        audio: p.tracks.some((t) => t.kind === 'audio'), video: p.tracks.some((t) => t.kind === 'video'),
      };
    });
    let shared = null;
    if (screen) {
      if (!this.screenStream) this.screenStream = new MediaStream();
      syncTracks(this.screenStream, [screen.track]);
      shared = { participant: screen.participant, display_name: screen.display_name || '', role: screen.role || '', stream: this.screenStream };
    } else {
      this.screenStream = null;
    }
    this.last = { participants, screen: shared };
    return this.last;
  }

  // A server without `streams`: m0 and m1 are the other side, as before.
  legacy() {
    const wanted = [this.tracks.get(this.mids[0]), this.tracks.get(this.mids[1])].filter(Boolean);
    if (this.provisional) syncTracks(this.provisional, wanted);
    this.last = { participants: [], screen: null };
    return this.last;
  }
}
