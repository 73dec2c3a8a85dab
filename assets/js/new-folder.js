// "New folder": a small dialog with the name field. The dialog stays open while the name
// is refused (taken, or against the rules) with the reason under the field.

import { h, showDialog } from './dom.js';
import { clearErrors, field, form, formErrorSlot, showApiError, showFieldError, whileBusy } from './forms.js';
import * as rules from './rules.js';

/**
 * Asks for a name and calls `create(name)` (rejecting with an ApiError when refused).
 * Resolves with what `create` returned, or null when cancelled.
 */
export function askNewFolder({ create }) {
  let created = null;
  const cancel = h('button', { type: 'button', class: 'button', t: 'common.cancel', data: { action: 'cancel' } });
  const submit = h('button', { type: 'submit', class: 'button button-primary', t: 'folders.create' });
  const formEl = form('new-folder', { onSubmit },
    field('new-folder', { name: 'name', label: 'folders.name_label', autocomplete: 'off', maxlength: '255' }),
    formErrorSlot(),
    h('div', { class: 'dialog-buttons' }, cancel, submit));
  const dialog = h('dialog', { class: 'dialog', data: { dialog: 'new-folder' }, 'aria-labelledby': 'new-folder-title' },
    h('h2', { id: 'new-folder-title', class: 'dialog-title', t: 'folders.new_title' }),
    formEl);
  const input = formEl.elements.namedItem('name');
  input.addEventListener('input', () => showFieldError(formEl, 'name', null));
  cancel.addEventListener('click', () => dialog.close('cancel'));

  async function onSubmit() {
    clearErrors(formEl);
    const problem = rules.fileName(input.value);
    if (problem) {
      showFieldError(formEl, 'name', problem);
      input.focus();
      return;
    }
    try {
      created = await whileBusy(formEl, () => create(input.value));
      dialog.close('created');
    } catch (err) {
      showApiError(formEl, err);
    }
  }

  const closed = showDialog(dialog).then((result) => (result === 'created' ? created : null));
  input.focus();
  return closed;
}
