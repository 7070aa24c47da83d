// tiles.js: one labelled video tile per other participant of the visit, and
// a tile for a shared screen, from a VisitClient's `remote-tracks` events.
//
// The first other participant stays in the page's own remote tile (the one
// VisitClient plays as `remoteVideo`, data-testid="remote-video"); the tile
// is given their name and data-participant. Everyone further gets a <figure>
// of their own after the stage's local tile, with
// <video data-testid="remote-video-<participant id>"> (their sound plays
// through it) and their name as caption. A shared screen gets a wide tile
// at the top of the stage, <video data-testid="screen-video"> (muted: the
// sharer's voice comes through their own tile).
//
// With a share button (the provider's), Tiles also drives it: "Share
// screen" / "Stop sharing" with aria-pressed, shown while the visit is in
// progress.

function el(tag, attrs = {}, text = '') {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

export class Tiles {
  // primary: {tile, caption} the page's remote tile; stage: where the tiles
  // go (default: the primary tile's parent); shareButton: optional.
  constructor({ primary = {}, stage = null, shareButton = null, onError = () => {} } = {}) {
    this.primary = primary;
    this.stage = stage || (primary.tile && primary.tile.parentElement) || document.body;
    this.extra = new Map();       // participant -> {figure, video, caption}
    this.screenTile = null;
    this.client = null;
    this.unfollow = null;
    this.blocked = new Set();     // videos whose play() the browser refused
    this.shareButton = shareButton;
    this.onError = onError;
    this.sharing = false;
    this.box = el('div', { class: 'tiles-extra', 'data-testid': 'remote-tiles' });
    this.stage.append(this.box);
    // Autoplay with sound may need a user gesture: the next click anywhere
    // starts what was refused.
    document.addEventListener('click', () => this.retryBlocked(), true);
    if (shareButton) {
      shareButton.hidden = true;
      shareButton.addEventListener('click', () => this.toggleShare());
      this.renderShare();
    }
  }

  // Shows what `client` receives (and forgets the previous client's).
  follow(client) {
    if (this.unfollow) this.unfollow();
    this.client = client;
    this.update({ participants: [], screen: null });
    this.sharing = false;
    this.renderShare();
    if (this.shareButton) this.shareButton.hidden = true;  // until the visit is in progress
    if (!client) return;
    const onTracks = (ev) => this.update(ev.detail);
    const onScreen = (ev) => { this.sharing = !!ev.detail.stream; this.renderShare(); };
    const onState = (ev) => {
      if (this.shareButton) this.shareButton.hidden = ev.detail.state !== 'in_progress';
      if (ev.detail.state === 'ended') client.stopScreen();
    };
    client.addEventListener('remote-tracks', onTracks);
    client.addEventListener('local-screen', onScreen);
    client.addEventListener('state', onState);
    this.unfollow = () => {
      client.removeEventListener('remote-tracks', onTracks);
      client.removeEventListener('local-screen', onScreen);
      client.removeEventListener('state', onState);
      client.stopScreen();
    };
  }

  update({ participants = [], screen = null } = {}) {
    const [first, ...others] = participants;
    if (this.primary.tile) {
      if (first) this.primary.tile.dataset.participant = first.participant;
      else delete this.primary.tile.dataset.participant;
    }
    if (first && first.display_name && this.primary.caption) this.primary.caption.textContent = first.display_name;

    const keep = new Set(others.map((p) => p.participant));
    for (const [id, t] of this.extra) {
      if (!keep.has(id)) {
        t.video.srcObject = null;
        t.figure.remove();
        this.extra.delete(id);
      }
    }
    for (const p of others) {
      let t = this.extra.get(p.participant);
      if (!t) {
        const video = el('video', { 'data-testid': `remote-video-${p.participant}`, autoplay: '', playsinline: '' });
        const caption = el('figcaption');
        const figure = el('figure', { class: 'tile tile-remote tile-extra', 'data-participant': p.participant });
        figure.append(video, caption);
        t = { figure, video, caption };
        this.extra.set(p.participant, t);
      }
      this.box.append(t.figure); // in slot order
      t.caption.textContent = p.display_name || (p.role === 'provider' ? 'Provider' : 'Guest');
      t.figure.dataset.video = p.video ? 'on' : 'off';
      this.show(t.video, p.stream);
    }

    if (screen && screen.stream) {
      if (!this.screenTile) {
        const video = el('video', { 'data-testid': 'screen-video', autoplay: '', playsinline: '' });
        video.muted = true;
        const caption = el('figcaption');
        const figure = el('figure', { class: 'tile tile-screen', 'data-testid': 'screen-tile' });
        figure.append(video, caption);
        this.screenTile = { figure, video, caption };
        this.stage.prepend(figure);
      }
      this.screenTile.caption.textContent = `Screen shared by ${screen.display_name || 'the provider'}`;
      this.screenTile.figure.dataset.participant = screen.participant;
      this.show(this.screenTile.video, screen.stream);
    } else if (this.screenTile) {
      this.screenTile.video.srcObject = null;
      this.screenTile.figure.remove();
      this.screenTile = null;
    }
  }

  show(video, stream) {
    if (video.srcObject !== stream) video.srcObject = stream;
    if (!video.paused) return;
    const p = video.play();
    if (p && typeof p.catch === 'function') {
      p.catch((err) => { if (!err || err.name !== 'AbortError') this.blocked.add(video); });
    }
  }

  retryBlocked() {
    for (const v of this.blocked) v.play().catch(() => {});
    this.blocked.clear();
  }

  renderShare() {
    const b = this.shareButton;
    if (!b) return;
    b.textContent = this.sharing ? 'Stop sharing' : 'Share screen';
    b.setAttribute('aria-pressed', this.sharing ? 'true' : 'false');
  }

  async toggleShare() {
    const client = this.client;
    if (!client) return;
    if (this.sharing) {
      client.stopScreen();
      return;
    }
    this.shareButton.disabled = true;
    try {
      await client.shareScreen();
    } catch (err) {
      // Cancelled in the browser's picker: nothing to say.
      if (err && err.name !== 'NotAllowedError' && err.name !== 'AbortError') {
        this.onError('Your screen could not be shared. Check that the browser may share it, then try again.');
      }
    } finally {
      this.shareButton.disabled = false;
    }
  }
}
