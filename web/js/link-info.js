// link-info.js: what a patient's link is for (GET /api/link, tests/CONTRACT.md)
// in the patient's words: when the visit is, with whom, and from when the
// link opens, said in the clinic's time zone (the server's [clinic]
// time_zone: the patient's own zone is not known yet), e.g. "Your visit with
// Dr Lee is on Tue 12 Jan at 10:00. You can join from 9:45."

// {weekday, day, month, year, hour, minute} of instant `iso` in `zone`.
function partsIn(iso, zone) {
  const fmt = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  });
  const out = {};
  for (const p of fmt.formatToParts(new Date(iso))) out[p.type] = p.value;
  return out;
}

// "Tue 12 Jan" (with the year when it is not the year of `nowIso`).
function dayText(p, now) {
  const base = `${p.weekday} ${p.day} ${p.month}`;
  return now && now.year !== p.year ? `${base} ${p.year}` : base;
}

// "9:45", "10:00", "22:30".
function timeText(p) {
  return `${Number(p.hour)}:${p.minute}`;
}

// The zone named when the browser runs in another one ("(Eastern Standard
// Time)"), so that a patient travelling is not an hour off.
function zoneNote(iso, zone) {
  let mine = '';
  try { mine = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch { /* unknown */ }
  if (!zone || mine === zone) return '';
  try {
    const name = new Intl.DateTimeFormat('en-GB', { timeZone: zone, timeZoneName: 'long' })
      .formatToParts(new Date(iso)).find((p) => p.type === 'timeZoneName');
    return name ? ` (${name.value})` : ` (${zone} time)`;
  } catch {
    return ` (${zone} time)`;
  }
}

// The sentences for the link's visit. info: GET /api/link's answer.
// Returns {when, opens}: "Your visit with Dr Lee is on Tue 12 Jan at 10:00."
// and, before the link opens, "You can join from 9:45." (with the day when
// the link opens on another day than the visit).
export function describeLink(info) {
  const zone = info.time_zone || 'UTC';
  const now = info.now ? partsIn(info.now, zone) : null;
  const at = partsIn(info.scheduled_at, zone);
  const provider = (info.provider && info.provider.display_name) || 'your provider';
  const whose = info.role === 'guest' ? 'The visit' : 'Your visit';
  const past = info.state === 'ended' || info.window === 'late';
  const when = `${whose} with ${provider} ${past ? 'was' : 'is'} on ${dayText(at, now)} at ${timeText(at)}${zoneNote(info.scheduled_at, zone)}.`;
  let opens = '';
  if (info.window === 'early' && info.opens_at) {
    const o = partsIn(info.opens_at, zone);
    const sameDay = o.day === at.day && o.month === at.month && o.year === at.year;
    opens = `You can join from ${sameDay ? '' : `${dayText(o, now)} at `}${timeText(o)}.`;
  }
  return { when, opens };
}

// "your clinic at (555) 010-0100", or "your clinic".
export function clinicPhrase(phone) {
  return phone ? `your clinic at ${phone}` : 'your clinic';
}
