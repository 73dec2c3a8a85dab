// A link's QR code, so a phone can pick it up from the screen. The server draws it
// (`GET /api/qr`), so the address never goes to an outside service; it needs the token,
// which an <img src> cannot send, so the picture is fetched here and shown through a
// blob: URL (the page's CSP allows those for images).

import { qrCode } from './api.js';
import { h } from './dom.js';

/**
 * An `<img data-qr>` of `url`'s QR code, filled in once it has been fetched; it stays
 * hidden when the server cannot draw it (the link itself is still there to copy). The
 * picture is let go when `signal` aborts (the dialog showing it closed).
 */
export function qrImage(url, { alt, signal }) {
  const img = h('img', { class: 'qr-image', data: { qr: '' }, width: '160', height: '160', tAttrs: { alt }, hidden: true });
  let objectUrl = null;
  signal.addEventListener('abort', () => objectUrl && URL.revokeObjectURL(objectUrl), { once: true });
  qrCode(url, signal).then(
    (blob) => {
      if (signal.aborted) return;
      objectUrl = URL.createObjectURL(blob);
      img.src = objectUrl;
      img.hidden = false;
    },
    () => {}, // no picture: the link is there to copy all the same
  );
  return img;
}
