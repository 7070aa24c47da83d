// scales.js: the wording of the check-in questionnaires and the words used
// to show their results. The patient form and the provider record both read
// from here, so the questions a provider sees are the ones the patient saw.

const FREQUENCY_2W = ['Not at all', 'Several days', 'More than half the days', 'Nearly every day'];
const FREQUENCY_ASRS = ['Never', 'Rarely', 'Sometimes', 'Often', 'Very often'];

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
    key: 'asrs_a',
    title: 'ASRS Part A',
    heading: 'Attention and activity',
    question: 'How have you felt and acted over the past 6 months?',
    answers: FREQUENCY_ASRS,
    onlyIfAsked: true,
    items: [
      'How often do you have trouble wrapping up the final details of a project, once the challenging parts have been done?',
      'How often do you have difficulty getting things in order when you have to do a task that requires organization?',
      'How often do you have problems remembering appointments or obligations?',
      'When you have a task that requires a lot of thought, how often do you avoid or delay getting started?',
      'How often do you fidget or squirm with your hands or feet when you have to sit down for a long time?',
      'How often do you feel overly active and compelled to do things, like you were driven by a motor?',
    ],
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

const SHORT_TITLES = { phq9: 'PHQ-9', gad7: 'GAD-7', asrs_a: 'ASRS-A' };

export function scaleTitle(key, serverTitle) {
  return SHORT_TITLES[key] || serverTitle || key;
}

// "PHQ-9: 12 (moderate)"
export function scoreText(score) {
  const band = bandLabel(score.band);
  return `${scaleTitle(score.scale, score.title)}: ${score.total}${band ? ` (${band})` : ''}`;
}

export function maxTotal(key) {
  const s = scaleByKey(key);
  if (!s) return null;
  return s.items.length * (s.answers.length - 1);
}
