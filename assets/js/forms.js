// Form building blocks: labelled fields with a hint and an error slot, live rule checks,
// API errors placed next to the fields they name, and a busy state while submitting.

import { h } from './dom.js';
import { setText } from './i18n.js';
import { errorMessage, fieldErrorMessage } from './errors.js';
import * as rules from './rules.js';

/**
 * `<form data-form=NAME>` with our own messages instead of the browser's bubbles, and a
 * `[data-form-error]` slot for errors that belong to no single field.
 */
export function form(name, { onSubmit }, ...children) {
  const el = h('form', { class: 'form', data: { form: name }, novalidate: true }, ...children);
  el.addEventListener('submit', (event) => {
    event.preventDefault();
    onSubmit(event);
  });
  return el;
}

/** The slot for a form-level error; put it where the user looks after submitting. */
export function formErrorSlot() {
  return h('p', { class: 'form-error', role: 'alert', data: { formError: '' } });
}

/**
 * A labelled input whose `name` is the API field, with an optional hint (a message) and
 * the `[data-error-for]` slot that shows rule failures and server errors.
 */
export function field(formName, { name, label, type = 'text', autocomplete, hint, value = '', required = true, ...attrs }) {
  const id = `${formName}-${name}`;
  const hintEl = hint ? h('p', { class: 'field-hint', id: `${id}-hint`, t: hint }) : null;
  const errorEl = h('p', { class: 'field-error', id: `${id}-error`, data: { errorFor: name }, 'aria-live': 'polite' });
  const input = h('input', {
    id,
    name,
    type,
    autocomplete,
    required,
    value,
    'aria-describedby': [hintEl?.id, errorEl.id].filter(Boolean).join(' '),
    ...attrs,
  });
  return h('div', { class: 'field' }, h('label', { for: id, t: label }), input, hintEl, errorEl);
}

export function submitButton(label) {
  return h('button', { type: 'submit', class: 'button button-primary', t: label });
}

function errorSlot(formEl, name) {
  return formEl.querySelector(`[data-error-for="${name}"]`);
}

/**
 * Shows `message` under field `name` (null clears it). `settled` false shows it as a
 * hint in progress (muted) rather than an error, while the user is still typing.
 */
export function showFieldError(formEl, name, message, { settled = true } = {}) {
  const slot = errorSlot(formEl, name);
  const input = formEl.elements.namedItem(name);
  if (!slot) return false;
  setText(slot, message ?? '');
  slot.classList.toggle('field-error-pending', Boolean(message) && !settled);
  if (!input) return true;
  if (message && settled) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
  return true;
}

function showFormError(formEl, message) {
  setText(formEl.querySelector('[data-form-error]'), message ?? '');
}

export function clearErrors(formEl) {
  for (const slot of formEl.querySelectorAll('[data-error-for]')) showFieldError(formEl, slot.dataset.errorFor, null);
  showFormError(formEl, null);
}

/**
 * Places an API error: each failing field the form has gets its message next to it;
 * anything else becomes the form error. Focuses the first failing field.
 */
export function showApiError(formEl, err) {
  let first = null;
  let elsewhere = false;
  for (const name of Object.keys(err.fields ?? {})) {
    if (showFieldError(formEl, name, fieldErrorMessage(err, name))) first ??= formEl.elements.namedItem(name);
    else elsewhere = true;
  }
  if (!first || elsewhere) showFormError(formEl, errorMessage(err));
  first?.focus();
}

/**
 * Checks `rules` ({field: value => message|null}) as the user types. A failure shows as a
 * muted hint until the user leaves the field, then as an error.
 */
export function liveRules(formEl, rules) {
  const left = new Set();
  const check = (name) => {
    const input = formEl.elements.namedItem(name);
    showFieldError(formEl, name, rules[name](input.value), { settled: left.has(name) });
  };
  for (const name of Object.keys(rules)) {
    const input = formEl.elements.namedItem(name);
    input.addEventListener('input', () => check(name));
    input.addEventListener('blur', () => {
      if (input.value === '' && !left.has(name)) return; // tabbing past is not an error yet
      left.add(name);
      check(name);
    });
  }
  return {
    /** Checks every field as settled; focuses and returns false on the first failure. */
    validateAll() {
      let firstBad = null;
      for (const name of Object.keys(rules)) {
        left.add(name);
        check(name);
        const input = formEl.elements.namedItem(name);
        if (rules[name](input.value) && !firstBad) firstBad = input;
      }
      firstBad?.focus();
      return !firstBad;
    },
  };
}

/**
 * A limit field (downloads, files) as typed: `{value}` (null: no limit) or `{problem}`. A
 * number input holding what it cannot read ("1e") reads as empty, which is not "no limit".
 */
export function readLimit(input) {
  const problem = input.validity.badInput ? ['rules.limit'] : rules.limit(input.value);
  if (problem) return { problem };
  return { value: input.value.trim() === '' ? null : Number(input.value) };
}

/** Runs `work` with the form's submit button disabled, so a double click sends once. */
export async function whileBusy(formEl, work) {
  const button = formEl.querySelector('button[type="submit"]');
  formEl.setAttribute('aria-busy', 'true');
  if (button) button.disabled = true;
  try {
    return await work();
  } finally {
    formEl.removeAttribute('aria-busy');
    if (button) button.disabled = false;
  }
}
