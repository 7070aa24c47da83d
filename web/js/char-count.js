// char-count.js: a live character count under a text box with a limit, so
// the form prevents what the server would refuse. The box's maxlength stops
// typing at the limit; a paste that would not fit is said out loud, because
// the browser would otherwise cut it silently.

// Characters as the server counts them (code points, not UTF-16 units).
function length(text) {
  return [...text].length;
}

function grouped(n) {
  return n.toLocaleString('en-US');
}

// box: a <textarea>; out: the element that shows the count; max: the limit.
// Returns { update() } for when the page sets box.value itself.
export function attachCharCount(box, out, max) {
  box.maxLength = max;
  if (!out.id) out.id = `${box.id || 'text'}-count`;
  const described = (box.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
  if (!described.includes(out.id)) box.setAttribute('aria-describedby', [...described, out.id].join(' '));
  let cut = false;
  const update = () => {
    const n = length(box.value);
    const near = n >= max * 0.9;
    out.textContent = cut
      ? `The pasted text was longer than ${grouped(max)} characters and did not all fit: only the first part is in the box. Split it into two.`
      : `${grouped(n)} of ${grouped(max)} characters${n >= max ? ' (the limit)' : ''}`;
    out.classList.toggle('char-count-warn', cut || near);
  };
  box.addEventListener('paste', (ev) => {
    const pasted = ev.clipboardData ? ev.clipboardData.getData('text') : '';
    const kept = box.value.length - Math.abs((box.selectionEnd || 0) - (box.selectionStart || 0));
    cut = kept + pasted.length > max;
    queueMicrotask(update);
  });
  box.addEventListener('input', () => {
    if (length(box.value) < max) cut = false;
    update();
  });
  update();
  return { update: () => { cut = false; update(); } };
}
