// sound.js: short chimes made in the page with WebAudio, so no sound file
// is downloaded (and no third-party resource is needed).

// Plays `notes` ([frequency Hz, start s], each `noteLength` s long) through
// one soft envelope `length` s long, at `volume` (0..1).
export function playChime(ctx, notes, { volume = 0.25, length = 1.2, noteLength = 0.5 } = {}) {
  const now = ctx.currentTime;
  const gain = ctx.createGain();
  gain.connect(ctx.destination);
  gain.gain.setValueAtTime(0.0001, now);
  gain.gain.exponentialRampToValueAtTime(volume, now + 0.04);
  gain.gain.exponentialRampToValueAtTime(0.0001, now + length);
  for (const [freq, at] of notes) {
    const osc = ctx.createOscillator();
    osc.frequency.value = freq;
    osc.connect(gain);
    osc.start(now + at);
    osc.stop(now + at + noteLength);
  }
}
