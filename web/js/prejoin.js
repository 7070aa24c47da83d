// prejoin.js: what a patient (or guest) does before joining: check that the
// camera, microphone and speakers work, with plain-language help when they
// do not, and read and answer the consent for a video visit. The answer is
// stored by the server (POST /api/consent) with the version of the text.
//
// Written for people who do not use computers much: one thing at a time,
// short sentences, big buttons, and every problem says what to click.

import { apiRequest, el } from './api.js';
import { playChime } from './sound.js';

// How loud counts as "we hear you" (RMS of the analyser's samples, 0..1).
const HEARD_LEVEL = 0.02;

// Help for each way getUserMedia fails, in plain steps.
function deviceHelp(problem) {
  switch (problem) {
    case 'blocked':
      return {
        title: 'Your browser is not letting this page use your camera and microphone.',
        steps: [
          'Look at the top of the screen, in the address bar, for a small camera or lock picture, and click it.',
          'Choose "Allow" for the camera and the microphone.',
          'Then press the "Try again" button below.',
        ],
      };
    case 'missing':
      return {
        title: 'We could not find a camera or microphone on this device.',
        steps: [
          'If you use a separate camera or headset, check that it is plugged in.',
          'Then press the "Try again" button below.',
          'You can also join on a phone or tablet, or join with sound only if only the microphone works.',
        ],
      };
    case 'busy':
      return {
        title: 'Another program is using your camera or microphone.',
        steps: [
          'Close other programs that use the camera, such as Zoom, Skype or FaceTime.',
          'Then press the "Try again" button below.',
        ],
      };
    case 'unsupported':
      return {
        title: 'This browser cannot use a camera here.',
        steps: ['Open the visit link in an up-to-date Chrome, Edge, Firefox or Safari.'],
      };
    default:
      return {
        title: 'We could not start your camera or microphone.',
        steps: ['Press the "Try again" button below. If that does not help, restart your device and open the link again.'],
      };
  }
}

export class DeviceCheck {
  // root: the device-check section. onRetry: asks the page to open the
  // devices again (it owns the stream) and resolves {stream, problem, missing}.
  constructor(root, { onRetry }) {
    this.root = root;
    this.onRetry = onRetry;
    this.camera = root.querySelector('[data-testid="camera-status"]');
    this.meter = root.querySelector('[data-testid="mic-level"]');
    this.micStatus = root.querySelector('[data-testid="mic-status"]');
    this.speakerBtn = root.querySelector('[data-testid="speaker-test"]');
    this.speakerQuestion = root.querySelector('[data-testid="speaker-question"]');
    this.speakerStatus = root.querySelector('[data-testid="speaker-status"]');
    this.help = root.querySelector('[data-testid="device-help"]');
    this.retryBtn = root.querySelector('[data-testid="retry-devices"]');
    this.audioCtx = null;
    this.analyser = null;
    this.source = null;
    this.raf = 0;
    this.heard = false;

    this.speakerBtn.addEventListener('click', () => this.playTestSound());
    root.querySelector('[data-testid="speaker-yes"]').addEventListener('click', () => this.speakerAnswer(true));
    root.querySelector('[data-testid="speaker-no"]').addEventListener('click', () => this.speakerAnswer(false));
    this.retryBtn.addEventListener('click', async () => {
      this.retryBtn.disabled = true;
      try { this.show(await this.onRetry()); } finally { this.retryBtn.disabled = false; }
    });
  }

  context() {
    if (!this.audioCtx) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return null;
      this.audioCtx = new Ctx();
    }
    return this.audioCtx;
  }

  // Shows what the devices can do now.
  show({ stream, problem, missing }) {
    this.stopMeter();
    const hasVideo = !!(stream && stream.getVideoTracks().length);
    const hasAudio = !!(stream && stream.getAudioTracks().length);
    this.camera.dataset.ok = String(hasVideo);
    this.camera.textContent = hasVideo
      ? 'Camera: working. You should see yourself in the picture.'
      : 'Camera: not working.';
    this.meter.parentElement.hidden = !hasAudio;
    this.micStatus.dataset.ok = 'false';
    this.micStatus.textContent = hasAudio
      ? 'Microphone: say a few words. The bar moves when we hear you.'
      : 'Microphone: not working.';
    if (problem) {
      this.showHelp(problem);
    } else if (missing) {
      this.showHelp(missing === 'camera' ? 'missing' : 'missing',
        missing === 'camera'
          ? 'Your microphone works, but we could not start your camera. You can still join: the provider will hear you but not see you.'
          : 'Your camera works, but we could not start your microphone. You can still join: the provider will see you but not hear you.');
    } else {
      this.help.hidden = true;
      this.help.dataset.problem = '';
    }
    if (hasAudio) this.startMeter(stream);
  }

  showHelp(problem, lead) {
    const help = deviceHelp(problem);
    this.help.dataset.problem = problem;
    this.help.replaceChildren(
      el('p', { className: 'help-title' }, lead || help.title),
      el('ol', {}, ...help.steps.map((s) => el('li', {}, s))),
    );
    this.help.append(this.retryBtn);
    this.help.hidden = false;
  }

  startMeter(stream) {
    const ctx = this.context();
    if (!ctx) return;
    // The meter only reads samples: nothing is played back (no echo).
    this.source = ctx.createMediaStreamSource(stream);
    this.analyser = ctx.createAnalyser();
    this.analyser.fftSize = 1024;
    this.source.connect(this.analyser);
    const samples = new Float32Array(this.analyser.fftSize);
    const tick = () => {
      if (!this.analyser) return;
      this.analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const v of samples) sum += v * v;
      const rms = Math.sqrt(sum / samples.length);
      this.meter.value = Math.min(1, rms * 5);
      if (rms >= HEARD_LEVEL && !this.heard) {
        this.heard = true;
        this.micStatus.dataset.ok = 'true';
        this.micStatus.textContent = 'Microphone: working. We can hear you.';
      }
      this.raf = window.setTimeout(tick, 100);
    };
    // A context made before any click starts suspended; the meter still
    // needs it running, and Chrome allows resume() for capture-only graphs.
    ctx.resume().catch(() => {}).finally(tick);
  }

  stopMeter() {
    window.clearTimeout(this.raf);
    if (this.source) this.source.disconnect();
    this.source = null;
    this.analyser = null;
    this.heard = false;
  }

  // A short two-note chime made here: no sound file to download.
  async playTestSound() {
    const ctx = this.context();
    if (!ctx) return;
    await ctx.resume().catch(() => {});
    playChime(ctx, [[660, 0], [880, 0.45]], { volume: 0.3, length: 1.4, noteLength: 0.9 });
    this.speakerBtn.dataset.played = String(Number(this.speakerBtn.dataset.played || 0) + 1);
    this.speakerQuestion.hidden = false;
    this.speakerStatus.textContent = '';
  }

  speakerAnswer(heard) {
    this.speakerQuestion.hidden = true;
    this.speakerStatus.dataset.ok = String(heard);
    this.speakerStatus.textContent = heard
      ? 'Speakers: working.'
      : 'Turn up the volume on your device, or check that your headphones are plugged in. Then play the sound again.';
  }

  close() {
    this.stopMeter();
    if (this.audioCtx) this.audioCtx.close().catch(() => {});
    this.audioCtx = null;
  }
}

// The consent for a video visit: the clinic's text (from the server, with
// its version), "I agree" / "I do not agree", and the answer stored.
export class Consent {
  constructor(root, { token, onAnswer, onBadLink }) {
    this.root = root;
    this.token = token;
    this.onAnswer = onAnswer;
    this.onBadLink = onBadLink;
    this.text = root.querySelector('[data-testid="consent-text"]');
    this.accept = root.querySelector('[data-testid="consent-accept"]');
    this.decline = root.querySelector('[data-testid="consent-decline"]');
    this.status = root.querySelector('[data-testid="consent-status"]');
    this.change = root.querySelector('[data-testid="consent-change"]');
    this.version = null;
    this.phone = '';
    this.answer = null;
    this.accept.addEventListener('click', () => this.send('accepted'));
    this.decline.addEventListener('click', () => this.send('declined'));
    this.change.addEventListener('click', () => this.showButtons(true));
  }

  get accepted() { return !!(this.answer && this.answer.decision === 'accepted'); }

  async load() {
    if (!this.token) return;
    try {
      const c = await apiRequest('/api/consent', { token: this.token });
      this.version = c.version;
      this.phone = c.decline_phone || 'your clinic';
      this.text.replaceChildren(...String(c.text).split('\n').filter((p) => p.trim())
        .map((p) => el('p', {}, p)));
      this.root.hidden = false;
      this.setAnswer(c.answer && c.answer.version === c.version ? c.answer : null);
    } catch (err) {
      if (err.status === 401) {
        // The link itself is not valid (or no longer): nothing to agree to.
        this.root.hidden = true;
        if (this.onBadLink) this.onBadLink(err);
        return;
      }
      this.root.hidden = false;
      this.text.replaceChildren(el('p', {}, 'We could not load the consent text. Check your internet connection, then reload this page.'));
      this.showButtons(false);
    }
  }

  showButtons(show) {
    this.accept.hidden = !show;
    this.decline.hidden = !show;
    this.change.hidden = show || !this.answer;
    if (show) this.status.textContent = '';
  }

  setAnswer(answer, fromUser = false) {
    this.answer = answer;
    this.root.dataset.answer = answer ? answer.decision : '';
    if (!answer) {
      this.showButtons(true);
    } else if (answer.decision === 'accepted') {
      this.showButtons(false);
      this.change.hidden = true;
      this.status.textContent = 'Thank you. You agreed to a video visit. You can join now.';
    } else {
      this.showButtons(false);
      this.status.textContent = `You chose not to have a video visit. Please call ${this.phone} to arrange a phone or in-person visit instead.`;
    }
    this.onAnswer(answer, fromUser);
  }

  async send(decision) {
    this.accept.disabled = this.decline.disabled = true;
    try {
      const res = await apiRequest('/api/consent', {
        token: this.token, method: 'POST', body: { version: this.version, decision },
      });
      this.setAnswer(res.answer, true);
    } catch (err) {
      if (err.code === 'consent-changed') {
        this.status.textContent = 'The consent text was just updated. Please read it again.';
        await this.load();
      } else {
        this.status.textContent = 'Your answer could not be saved. Check your internet connection and press the button again.';
      }
    } finally {
      this.accept.disabled = this.decline.disabled = false;
    }
  }
}
