// A link just made or being managed (a share, a file request), as the dialogs show it:
// the address in a read-only field to select, a copy button, and its QR code for a phone.

import { copyLink } from './clipboard.js';
import { h } from './dom.js';
import { icon } from './icons.js';
import { qrImage } from './qr.js';

let boxes = 0; // for unique ids

/**
 * `url` in a labelled read-only `<input data-link-url>`, `[data-action="copy-link"]` and
 * `img[data-qr]`. `label` (a message) names the field; `signal` lets the QR picture go.
 */
export function linkBox(url, { label, signal }) {
  const id = `link-box-${(boxes += 1)}`;
  const input = h('input', {
    id,
    class: 'link-url',
    type: 'text',
    readonly: true,
    value: url,
    data: { linkUrl: '' },
    on: { focus: (e) => e.target.select() },
  });
  const copy = h('button', { type: 'button', class: 'button', data: { action: 'copy-link' } },
    icon('copy'), h('span', { t: 'links.copy' }));
  copy.addEventListener('click', () => copyLink(url));
  return h('div', { class: 'link-box' },
    h('div', { class: 'link-box-main' },
      h('label', { for: id, class: 'link-box-label', t: label }),
      h('div', { class: 'link-box-row' }, input, copy),
      h('p', { class: 'field-hint', t: 'links.qr_hint' })),
    qrImage(url, { alt: 'links.qr_alt', signal }));
}
