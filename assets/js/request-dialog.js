// "Ask for files": a file request on a folder, a link through which anyone drops files
// into it without an account and without seeing what it holds. The dialog takes the
// optional rules (a label for the visitors, an expiry, how many files and how many bytes
// in all, a password), creates the link, then shows it with its QR code to hand out.

import * as api from './api.js';
import { copyText } from './clipboard.js';
import { h, replaceChildren, showDialog, toast } from './dom.js';
import { expiryField } from './expiry-field.js';
import { clearErrors, field, form, formErrorSlot, readLimit, showApiError, showFieldError, whileBusy } from './forms.js';
import { linkBox } from './link-box.js';
import * as rules from './rules.js';
import { parseQuota } from './sizes.js';

/** The server's bound on labels (src/api/requests.rs). */
const MAX_LABEL_CHARS = 200;

/** `max_bytes` as typed in human units ("500 MB", "2 GB"): `{value}` (null: none) or `{problem}`. */
function readBytes(text) {
  const { bytes, problem } = parseQuota(text);
  if (problem) return { problem };
  if (bytes === 0) return { problem: ['request.max_bytes_zero'] };
  return { value: bytes };
}

/**
 * Opens the dialog for `folder` (`{id, name}`). Resolves with the request made, or null
 * when the user closed the dialog without making one.
 */
export function openRequestDialog({ folder }) {
  const closing = new AbortController();
  let made = null;
  const title = h('h2', { id: 'request-title', class: 'dialog-title', t: ['request.title', { name: folder.name }] });
  const body = h('div', { class: 'share-dialog-body' });
  const dialog = h('dialog', { class: 'dialog dialog-wide', data: { dialog: 'request' }, 'aria-labelledby': title.id }, title, body);

  const expires = expiryField('request', { hint: 'request.expires_hint' });
  const cancel = h('button', { type: 'button', class: 'button', data: { action: 'cancel' }, t: 'common.cancel' });
  cancel.addEventListener('click', () => dialog.close());
  const formEl = form('request', { onSubmit: create },
    field('request', { name: 'label', label: 'request.label', hint: 'request.label_hint', required: false, autocomplete: 'off', maxlength: String(MAX_LABEL_CHARS) }),
    expires.element,
    h('div', { class: 'field-pair' },
      field('request', { name: 'max_files', label: 'request.max_files', hint: 'request.max_files_hint', type: 'number', required: false, min: '1', step: '1', inputmode: 'numeric' }),
      field('request', { name: 'max_bytes', label: 'request.max_bytes', hint: 'request.max_bytes_hint', required: false, autocomplete: 'off', tAttrs: { placeholder: 'request.max_bytes_placeholder' } })),
    field('request', { name: 'password', label: 'share.password', hint: 'request.password_hint', type: 'password', required: false, autocomplete: 'new-password' }),
    formErrorSlot(),
    h('div', { class: 'dialog-buttons' }, cancel, h('button', { type: 'submit', class: 'button button-primary', t: 'request.create' })));
  replaceChildren(body, h('p', { class: 'dialog-text', t: 'request.intro' }), formEl);
  const input = (name) => formEl.elements.namedItem(name);

  async function create() {
    clearErrors(formEl);
    const expiry = expires.read();
    const files = readLimit(input('max_files'));
    const bytes = readBytes(input('max_bytes').value);
    const problems = [
      ['label', rules.shortText(input('label').value, MAX_LABEL_CHARS)],
      ['expires_at', expiry.problem],
      ['max_files', files.problem],
      ['max_bytes', bytes.problem],
      ['password', rules.linkPassword(input('password').value)],
    ].filter(([, problem]) => problem);
    for (const [name, problem] of problems) showFieldError(formEl, name, problem);
    if (problems.length) {
      input(problems[0][0]).focus();
      return;
    }
    const fields = {};
    if (input('label').value.trim()) fields.label = input('label').value.trim();
    if (expiry.value) fields.expires_at = expiry.value;
    if (files.value !== null) fields.max_files = files.value;
    if (bytes.value !== null) fields.max_bytes = bytes.value;
    if (input('password').value) fields.password = input('password').value;
    try {
      made = await whileBusy(formEl, () => api.createRequest(folder.id, fields));
    } catch (err) {
      showApiError(formEl, err);
      return;
    }
    showMade();
    const copied = await copyText(made.url);
    toast(copied ? ['request.created_copied'] : ['request.created']);
  }

  /** The link, to copy or scan; the form has done its job. */
  function showMade() {
    const done = h('button', { type: 'button', class: 'button button-primary', data: { action: 'close' }, t: 'request.done' });
    done.addEventListener('click', () => dialog.close());
    replaceChildren(body,
      h('p', { class: 'dialog-text', t: 'request.made' }),
      h('div', { data: { requestMade: '' } }, linkBox(made.url, { label: 'request.link_label', signal: closing.signal })),
      h('div', { class: 'dialog-buttons' }, done));
    body.querySelector('[data-action="copy-link"]').focus();
  }

  const closed = showDialog(dialog).then(() => {
    closing.abort();
    return made;
  });
  input('label').focus();
  return closed;
}
