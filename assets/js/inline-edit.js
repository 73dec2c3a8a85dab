// Editing a value where it is shown: the text becomes an input; Enter or the check
// button saves, Escape or the cross cancels (phone keyboards have no Escape), and a
// refused value stays in the input with the reason below it. Leaving the input does
// neither: a stray click must not save a half-typed name or throw the typing away.

import { h } from './dom.js';
import { errorMessage, fieldErrorMessage } from './errors.js';
import { setText } from './i18n.js';
import { icon } from './icons.js';

let editors = 0; // for unique ids: a refused edit can stay open while another starts

/**
 * Replaces the content of `container` with `<input name=NAME>` holding `value`.
 * `label` (a message) is the input's label, read out but not shown; `validate(value)`
 * returns a message or null; `save(value)` stores it (rejecting with an ApiError).
 * `hint` (a message) is shown under the input while it is open; with `live` the value is
 * checked as it is typed, not only on saving; `attrs` go on the input (placeholder, …).
 * Resolves 'saved' or 'cancelled' once the editor is gone; the caller redraws.
 */
export function editInPlace(container, { name, value, label, validate, save, hint = null, live = false, attrs = {} }) {
  const original = [...container.childNodes];
  const id = `inline-edit-${(editors += 1)}`;
  const described = [hint && `${id}-hint`, `${id}-error`].filter(Boolean).join(' ');
  const input = h('input', { id, name, class: 'inline-input', value, 'aria-describedby': described, ...attrs });
  const error = h('p', { class: 'field-error', id: `${id}-error`, data: { errorFor: name }, 'aria-live': 'polite' });
  const hintEl = hint && h('p', { class: 'field-hint', id: `${id}-hint`, t: hint });
  const button = (kind, symbol, message) =>
    h('button', { type: 'button', class: 'button button-icon button-small', data: { edit: kind }, tAttrs: { 'aria-label': message, title: message } }, icon(symbol));
  const saveButton = button('save', 'check', 'common.save');
  const cancelButton = button('cancel', 'close', 'common.cancel');
  container.classList.add('editing');
  container.replaceChildren(
    h('label', { for: id, class: 'visually-hidden', t: label }),
    h('div', { class: 'inline-editor' }, input, saveButton, cancelButton),
    hintEl,
    error,
  );
  input.focus();
  input.select();

  return new Promise((resolve) => {
    let state = 'editing'; // → saving → editing (refused) or done

    const finish = (outcome) => {
      state = 'done';
      container.classList.remove('editing');
      container.replaceChildren(...original);
      resolve(outcome);
    };

    const showError = (message) => {
      setText(error, message);
      error.classList.remove('field-error-pending');
      input.setAttribute('aria-invalid', 'true');
    };

    const commit = async () => {
      if (state !== 'editing') return;
      if (input.value === value) {
        finish('cancelled');
        return;
      }
      const problem = validate(input.value);
      if (problem) {
        showError(problem);
        return;
      }
      state = 'saving';
      input.readOnly = true;
      try {
        await save(input.value);
        finish('saved');
      } catch (err) {
        state = 'editing';
        input.readOnly = false;
        showError(err.fields?.[name] ? fieldErrorMessage(err, name) : errorMessage(err));
      }
    };

    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        commit();
      } else if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        if (state === 'editing') finish('cancelled');
      }
    });
    input.addEventListener('input', () => {
      // While typing, a problem shows muted (the value may be half typed); saving makes
      // it an error.
      const problem = live ? validate(input.value) : null;
      setText(error, problem ?? '');
      error.classList.toggle('field-error-pending', Boolean(problem));
      input.removeAttribute('aria-invalid');
    });
    saveButton.addEventListener('click', commit);
    cancelButton.addEventListener('click', () => state === 'editing' && finish('cancelled'));
  });
}
