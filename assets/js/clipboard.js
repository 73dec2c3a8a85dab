// Copying a link. navigator.clipboard exists only in secure contexts (https:// or
// localhost), so on a plain-http server the link is shown selected for Ctrl+C instead.

import { h, showDialog, toast } from './dom.js';

/** Tries the clipboard; resolves true when the text is on it. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false; // no clipboard API here, or permission refused
  }
}

/** Copies `url`, confirming with a toast, or shows it selected when copying fails. */
export async function copyLink(url) {
  if (await copyText(url)) {
    toast(['share.copied']);
    return;
  }
  const input = h('input', {
    id: 'copy-link-url',
    class: 'copy-link-input',
    type: 'text',
    readonly: true,
    value: url,
    on: { focus: (e) => e.target.select() },
  });
  const close = h('button', { type: 'button', class: 'button', t: 'common.close', data: { action: 'close' } });
  const dialog = h(
    'dialog',
    { class: 'dialog', data: { dialog: 'copy-link' }, 'aria-labelledby': 'copy-link-title' },
    h('h2', { id: 'copy-link-title', class: 'dialog-title', t: 'share.copy_manually_title' }),
    h('label', { for: input.id, class: 'dialog-text', t: 'share.copy_manually' }),
    input,
    h('div', { class: 'dialog-buttons' }, close),
  );
  close.addEventListener('click', () => dialog.close());
  const closed = showDialog(dialog);
  input.focus();
  input.select();
  await closed;
}
