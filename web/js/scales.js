// scales.js: the wording of the check-in questionnaires and the words used
// to show their results. The patient form and the provider record both read
// from here, so the questions a provider sees are the ones the patient saw.

const FREQUENCY_2W = ['Not at all', 'Several days', 'More than half the days', 'Nearly every day'];
const FREQUENCY_ASRS = ['Never', 'Rarely', 'Sometimes', 'Often', 'Very often'];

const ASRS_PART_A = [
  'How often do you have trouble wrapping up the final details of a project, once the challenging parts have been done?',
  'How often do you have difficulty getting things in order when you have to do a task that requires organization?',
  'How often do you have problems remembering appointments or obligations?',
  'When you have a task that requires a lot of thought, how often do you avoid or delay getting started?',
  'How often do you fidget or squirm with your hands or feet when you have to sit down for a long time?',
  'How often do you feel overly active and compelled to do things, like you were driven by a motor?',
];

export const SCALES = [
  {
    key: 'phq9',
    title: 'PHQ-9',
    heading: 'Your mood',
    question: 'Over the last 2 weeks, how often have you been bothered by any of the following problems?',
    answers: FREQUENCY_2W,
    items: [
      'Little interest or pleasure in doing things',
      'Feeling down, depressed, or hopeless',
      'Trouble falling or staying asleep, or sleeping too much',
      'Feeling tired or having little energy',
      'Poor appetite or overeating',
      'Feeling bad about yourself — or that you are a failure or have let yourself or your family down',
      'Trouble concentrating on things, such as reading the newspaper or watching television',
      'Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual',
      'Thoughts that you would be better off dead or of hurting yourself in some way',
    ],
  },
  {
    key: 'gad7',
    title: 'GAD-7',
    heading: 'Worry and anxiety',
    question: 'Over the last 2 weeks, how often have you been bothered by the following problems?',
    answers: FREQUENCY_2W,
    items: [
      'Feeling nervous, anxious or on edge',
      'Not being able to stop or control worrying',
      'Worrying too much about different things',
      'Trouble relaxing',
      'Being so restless that it is hard to sit still',
      'Becoming easily annoyed or irritable',
      'Feeling afraid as if something awful might happen',
    ],
  },
  {
    // ASRS v1.1 Symptom Checklist (WHO Adult ADHD Self-Report Scale, Kessler
    // et al. 2005), asked of patients on ADHD medication over the time since
    // their last visit. Items 1-4 and 7-11: inattentive; 5-6 and 12-18:
    // hyperactive/impulsive (scored by the server).
    key: 'asrs18',
    title: 'ASRS-18',
    heading: 'Attention and activity',
    question: 'Since your last visit, how often have these been true for you?',
    answers: FREQUENCY_ASRS,
    onlyIfAsked: true,
    items: [
      ...ASRS_PART_A,
      'How often do you make careless mistakes when you have to work on a boring or difficult project?',
      'How often do you have difficulty keeping your attention when you are doing boring or repetitive work?',
      'How often do you have difficulty concentrating on what people say to you, even when they are speaking to you directly?',
      'How often do you misplace or have difficulty finding things at home or at work?',
      'How often are you distracted by activity or noise around you?',
      'How often do you leave your seat in meetings or other situations in which you are expected to remain seated?',
      'How often do you feel restless or fidgety?',
      'How often do you have difficulty unwinding and relaxing when you have time to yourself?',
      'How often do you find yourself talking too much when you are in social situations?',
      'When you are in a conversation, how often do you find yourself finishing the sentences of the people you are talking to, before they can finish them themselves?',
      'How often do you have difficulty waiting your turn in situations when turn taking is required?',
      'How often do you interrupt others when they are busy?',
    ],
  },
  {
    // ASRS v1.1 part A, the 6-item screener: no longer asked (a screener is
    // not a follow-up measure), kept to show check-ins that have it. Read as
    // its count of shaded items, 0-6, positive from 4.
    key: 'asrs_a',
    title: 'ASRS Part A',
    heading: 'Attention and activity (screener)',
    question: 'How have you felt and acted over the past 6 months?',
    answers: FREQUENCY_ASRS,
    retired: true,
    items: ASRS_PART_A,
  },
];

export function scaleByKey(key) {
  return SCALES.find((s) => s.key === key) || null;
}

export const SIDE_EFFECTS = [
  { name: 'nausea', label: 'Nausea or upset stomach' },
  { name: 'headache', label: 'Headache' },
  { name: 'sleep_problems', label: 'Sleep problems' },
  { name: 'drowsiness', label: 'Drowsiness' },
  { name: 'dizziness', label: 'Dizziness' },
  { name: 'weight_change', label: 'Weight change' },
  { name: 'dry_mouth', label: 'Dry mouth' },
  { name: 'sexual_side_effects', label: 'Sexual side effects' },
  { name: 'restlessness', label: 'Restlessness' },
  { name: 'other', label: 'Something else' },
];

export const SEVERITIES = ['None', 'Mild', 'Moderate', 'Severe'];

export function sideEffectLabel(name) {
  const known = SIDE_EFFECTS.find((s) => s.name === name);
  if (known) return known.label;
  const text = String(name || '').replace(/[-_]/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function severityLabel(n) {
  return SEVERITIES[n] || String(n);
}

// "moderately-severe" -> "moderately severe"
export function bandLabel(band) {
  return String(band || '').replace(/[-_]/g, ' ');
}

const SHORT_TITLES = { phq9: 'PHQ-9', gad7: 'GAD-7', asrs_a: 'ASRS-A', asrs18: 'ASRS-18' };

export function scaleTitle(key, serverTitle) {
  return SHORT_TITLES[key] || serverTitle || key;
}

// "PHQ-9: 12 (moderate)"; "ASRS-18: inattentive 20/36, hyperactive 9/36";
// "ASRS-A: 4 of 6 shaded (positive)".
export function scoreText(score) {
  const title = scaleTitle(score.scale, score.title);
  if (score.scale === 'asrs18' && score.subscales) {
    const { inattentive, hyperactive, max } = score.subscales;
    return `${title}: inattentive ${inattentive}/${max}, hyperactive/impulsive ${hyperactive}/${max}`;
  }
  if (score.scale === 'asrs_a') {
    return `${title}: ${score.total} of 6 shaded${score.band ? ` (${bandLabel(score.band)})` : ''}`;
  }
  const band = bandLabel(score.band);
  return `${title}: ${score.total}${band ? ` (${band})` : ''}`;
}

// The highest total a scale's trend can reach (part A: its 6 shaded items).
export function maxTotal(key) {
  if (key === 'asrs_a') return 6;
  const s = scaleByKey(key);
  if (!s) return null;
  return s.items.length * (s.answers.length - 1);
}
