// The share dialog of a file or a folder: make a public link with optional rules (an
// expiry, a password, a download limit), and for a shared entry its link, QR code and
// use so far, the rules changed (only what the user changed is sent) or the link revoked.

import * as api from './api.js';
import { copyText } from './clipboard.js';
import { confirmAction, h, replaceChildren, showDialog, toast } from './dom.js';
import { expiryField } from './expiry-field.js';
import { clearErrors, form, formErrorSlot, readLimit, showApiError, showFieldError, whileBusy } from './forms.js';
import { icon } from './icons.js';
import { linkBox } from './link-box.js';
import * as rules from './rules.js';
import { shareFacts, shareStatus } from './share-summary.js';

/**
 * Opens the dialog for `item`, a file or folder (`kind`) as the API gives it. Each change
 * the server accepts is handed to `onChange(item)` (the entry as it now is, `share` null
 * once revoked). Resolves once the dialog is closed.
 */
export function openShareDialog({ kind, item, onChange = () => {} }) {
  let current = item;
  const closing = new AbortController();
  const title = h('h2', { id: 'share-title', class: 'dialog-title', t: ['share.title', { name: item.name }] });
  const body = h('div', { class: 'share-dialog-body' });
  const dialog = h('dialog', { class: 'dialog dialog-wide', data: { dialog: 'share' }, 'aria-labelledby': title.id }, title, body);
  let linkShown = null; // the link box stays as it is while the rules change (its QR too)

  /** Draws the dialog for `current`; `focus` names what gets the focus afterwards. */
  function draw(focus) {
    const share = current.share ?? null;
    if (!share) linkShown = null;
    else linkShown ??= linkBox(share.url, { label: 'share.link_label', signal: closing.signal });
    const facts = share && h('p', { class: 'share-state', data: { shareState: shareStatus(share) } },
      shareStatus(share) !== 'live' && h('span', { class: 'share-dead', t: `share.status_${shareStatus(share)}` }),
      shareFacts(share).map((fact, i) => [i > 0 && h('span', { 'aria-hidden': 'true', text: '·' }), h('span', { t: fact })]));
    const intro = !share && h('p', { class: 'dialog-text', t: kind === 'folder' ? 'share.intro_folder' : 'share.intro_file' });
    const rules = rulesForm(share);
    replaceChildren(body, intro, linkShown, facts, rules.element);
    if (dialog.open && focus) focusOn(focus);
  }

  /** `form`: the first rule (a new share); `copy`: the copy button (a shared entry). */
  function focusOn(what) {
    const target = what === 'copy' ? body.querySelector('[data-action="copy-link"]') : body.querySelector('form input');
    target?.focus();
  }

  /** The rules: a new share's, or a shared entry's as they are, to be changed. */
  function rulesForm(share) {
    const expires = expiryField('share', { value: share?.expires_at ?? null });
    const password = h('input', {
      id: 'share-password',
      name: 'password',
      type: 'password',
      autocomplete: 'new-password',
      'aria-describedby': 'share-password-hint share-password-error',
    });
    const removePassword = share?.has_password
      ? h('input', { id: 'share-remove-password', name: 'remove_password', type: 'checkbox' })
      : null;
    removePassword?.addEventListener('change', () => {
      password.disabled = removePassword.checked;
      if (removePassword.checked) password.value = '';
    });
    const limit = h('input', {
      id: 'share-max_downloads',
      name: 'max_downloads',
      type: 'number',
      min: '1',
      step: '1',
      inputmode: 'numeric',
      value: share?.max_downloads ?? '',
      'aria-describedby': 'share-max_downloads-hint share-max_downloads-error',
    });
    const close = h('button', { type: 'button', class: 'button', data: { action: 'close' }, t: share ? 'common.close' : 'common.cancel' });
    close.addEventListener('click', () => dialog.close());
    const revoke = share && h('button', { type: 'button', class: 'button button-danger-outline', data: { action: 'revoke' } },
      icon('revoke'), h('span', { t: 'share.revoke' }));
    revoke?.addEventListener('click', () => revokeLink());
    const submit = h('button', { type: 'submit', class: 'button button-primary', t: share ? 'share.save' : 'share.create' });
    const formEl = form('share', { onSubmit: () => save(share, formEl, { expires, password, removePassword, limit }) },
      share && h('h3', { class: 'form-section-title', t: 'share.rules_heading' }),
      expires.element,
      h('div', { class: 'field' },
        h('label', { for: password.id, t: share?.has_password ? 'share.password_change' : 'share.password' }),
        password,
        h('p', { class: 'field-hint', id: 'share-password-hint', t: share?.has_password ? 'share.password_hint_set' : 'share.password_hint' }),
        removePassword && h('label', { class: 'check', for: removePassword.id }, removePassword, h('span', { t: 'share.password_remove' })),
        h('p', { class: 'field-error', id: 'share-password-error', data: { errorFor: 'password' }, 'aria-live': 'polite' })),
      h('div', { class: 'field' },
        h('label', { for: limit.id, t: 'share.limit' }),
        limit,
        h('p', { class: 'field-hint', id: 'share-max_downloads-hint', t: share ? ['share.limit_hint_used', { count: share.download_count }] : 'share.limit_hint' }),
        h('p', { class: 'field-error', id: 'share-max_downloads-error', data: { errorFor: 'max_downloads' }, 'aria-live': 'polite' })),
      formErrorSlot(),
      h('div', { class: 'dialog-buttons' }, revoke && h('span', { class: 'dialog-buttons-start' }, revoke), close, submit));
    return { element: formEl };
  }

  async function save(share, formEl, { expires, password, removePassword, limit }) {
    clearErrors(formEl);
    const expiry = expires.read();
    const count = readLimit(limit);
    const problems = [
      ['expires_at', expiry.problem],
      ['password', rules.linkPassword(password.value)],
      ['max_downloads', count.problem],
    ].filter(([, problem]) => problem);
    for (const [name, problem] of problems) showFieldError(formEl, name, problem);
    if (problems.length) {
      formEl.elements.namedItem(problems[0][0]).focus();
      return;
    }
    try {
      if (!share) {
        // Only the rules given: an empty field sets nothing.
        const rules = {};
        if (expiry.value) rules.expires_at = expiry.value;
        if (password.value) rules.password = password.value;
        if (count.value !== null) rules.max_downloads = count.value;
        current = await whileBusy(formEl, () => api.shareEntry(kind, current.id, rules));
        onChange(current);
        draw('copy');
        const copied = await copyText(current.share.url);
        toast(copied ? ['share.created_copied'] : ['share.created']);
        return;
      }
      // Only what changed: resending an expiry that has passed would be refused.
      const changes = {};
      if (expires.changed()) changes.expires_at = expiry.value;
      if (removePassword?.checked) changes.password = null;
      else if (password.value) changes.password = password.value;
      if (count.value !== share.max_downloads) changes.max_downloads = count.value;
      if (!Object.keys(changes).length) {
        toast(['share.no_changes']);
        return;
      }
      current = await whileBusy(formEl, () => api.updateShare(kind, current.id, changes));
      onChange(current);
      draw(null);
      // The form is drawn anew (with what the server now holds): the keyboard carries on
      // from its button, and the message says what happened.
      body.querySelector('button[type="submit"]')?.focus();
      toast(['share.saved']);
    } catch (err) {
      if (err.code === 'not_found' && share) {
        // Revoked meanwhile (another tab): what is on screen is no longer true.
        current = { ...current, share: null, ...(kind === 'file' ? { share_url: null } : {}) };
        onChange(current);
        draw('form');
      }
      showApiError(body.querySelector('form[data-form="share"]'), err);
    }
  }

  async function revokeLink() {
    const confirmed = await confirmAction({
      title: ['share.revoke_title'],
      message: ['share.revoke_text', { name: current.name }],
      confirmLabel: 'share.revoke',
    });
    if (!confirmed) return;
    try {
      await api.unshareEntry(kind, current.id);
    } catch (err) {
      if (err.code !== 'not_found') {
        const formEl = body.querySelector('form[data-form="share"]');
        showApiError(formEl, err);
        return;
      }
    }
    current = { ...current, share: null, ...(kind === 'file' ? { share_url: null } : {}) };
    onChange(current);
    toast(['share.revoked', { name: current.name }]);
    dialog.close();
  }

  draw(null);
  const closed = showDialog(dialog).then(() => closing.abort());
  focusOn(current.share ? 'copy' : 'form');
  return closed;
}
