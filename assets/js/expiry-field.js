// The "expires" field of the share and file request dialogs: a date-and-time input in the
// user's own time zone, with quick choices (1, 7 or 30 days from now, or never), turned
// into the API's RFC 3339 UTC time and back.

import { h } from './dom.js';

const DAY_MS = 24 * 3600 * 1000;
const QUICK = [['1', 'expiry.day_1'], ['7', 'expiry.days_7'], ['30', 'expiry.days_30'], ['never', 'expiry.never']];

const pad = (n) => String(n).padStart(2, '0');

/** An RFC 3339 time as a datetime-local value ("2026-12-31T23:00", local time); '' for none. */
export function localValue(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * Builds the field for `<form data-form=FORM>`: a labelled `<input type="datetime-local"
 * name="expires_at">` holding `value` (RFC 3339 or null), buttons `[data-expiry="1|7|30|never"]`
 * and `[data-error-for="expires_at"]`. Returns `{element, input, read, changed}`: `read()`
 * gives `{value}` (RFC 3339, or null for never) or `{problem}` (a message); `changed()`
 * whether the user changed it since it was built.
 */
export function expiryField(formName, { value = null, label = 'expiry.label', hint = 'expiry.hint' } = {}) {
  const id = `${formName}-expires_at`;
  const initial = localValue(value);
  const input = h('input', {
    id,
    name: 'expires_at',
    type: 'datetime-local',
    value: initial,
    'aria-describedby': `${id}-hint ${id}-error`,
  });
  // The earliest a browser's picker offers: now (the server refuses the past anyway).
  input.min = localValue(new Date().toISOString());
  const quick = QUICK.map(([days, text]) => {
    const button = h('button', { type: 'button', class: 'button button-small chip', data: { expiry: days }, t: text });
    button.addEventListener('click', () => {
      // A whole minute: the input shows no seconds, so what it shows is what is sent.
      const at = new Date(Date.now() + Number(days) * DAY_MS);
      at.setSeconds(0, 0);
      input.value = days === 'never' ? '' : localValue(at.toISOString());
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    return button;
  });
  const element = h('div', { class: 'field' },
    h('label', { for: id, t: label }),
    h('div', { class: 'expiry-row' }, input,
      h('div', { class: 'chips', role: 'group', tAttrs: { 'aria-label': 'expiry.quick' } }, quick)),
    h('p', { class: 'field-hint', id: `${id}-hint`, t: hint }),
    h('p', { class: 'field-error', id: `${id}-error`, data: { errorFor: 'expires_at' }, 'aria-live': 'polite' }));

  return {
    element,
    input,
    read() {
      if (input.value === '') {
        // A half-typed date reads as empty but is not "never": say so rather than drop it.
        return input.validity.badInput ? { problem: ['expiry.incomplete'] } : { value: null };
      }
      const at = new Date(input.value); // datetime-local values are read as local time
      if (Number.isNaN(at.getTime())) return { problem: ['expiry.incomplete'] };
      if (at.getTime() <= Date.now()) return { problem: ['expiry.past'] };
      return { value: at.toISOString() };
    },
    changed: () => input.value !== initial,
  };
}
