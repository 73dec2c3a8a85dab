// Viewing a file in the browser, in a modal dialog, through a short-lived signed link
// (elements like <img> and <video> cannot send the Authorization header).

import { contentLink, fetchTextStart } from './api.js';
import { h, replaceChildren, showDialog } from './dom.js';
import { errorMessage } from './errors.js';
import { setText } from './i18n.js';
import { icon } from './icons.js';

/** Text files show their first MiB: enough to read, small enough to stay quick. */
const TEXT_PREVIEW_BYTES = 1024 * 1024;

const IMAGE_TYPES = new Set([
  'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp',
  'image/x-icon', 'image/vnd.microsoft.icon',
]);

const TEXT_TYPES = new Set([
  'application/json', 'application/xml', 'application/javascript', 'application/x-javascript',
  'application/ecmascript', 'application/x-sh', 'application/x-shellscript', 'application/toml',
  'application/yaml', 'application/x-yaml', 'application/sql', 'application/x-tex',
  'application/x-httpd-php', 'application/x-python', 'application/rtf', 'application/ld+json',
  'image/svg+xml', // shown as its source: the server never serves SVG as an image inline
]);

/** How the viewer shows a type: image, video, audio, pdf, text, or null (download it). */
export function previewKind(contentType) {
  const type = (contentType || '').split(';')[0].trim().toLowerCase();
  if (IMAGE_TYPES.has(type)) return 'image';
  if (TEXT_TYPES.has(type) || type.startsWith('text/') || type.endsWith('+json') || type.endsWith('+xml')) {
    return 'text';
  }
  if (type === 'application/pdf') return 'pdf';
  // Only what this browser can actually play; the rest is better downloaded.
  if (type.startsWith('video/') && document.createElement('video').canPlayType(type)) return 'video';
  if (type.startsWith('audio/') && document.createElement('audio').canPlayType(type)) return 'audio';
  return null;
}

/** Opens the viewer for `file`; `onDownload` is the dialog's download button. */
export function openViewer(file, { onDownload }) {
  const kind = previewKind(file.content_type);
  const loading = new AbortController();
  const body = h('div', { class: 'viewer-body', 'aria-busy': 'true' }, h('p', { class: 'viewer-note', t: 'common.loading' }));
  const close = h('button', {
    type: 'button',
    class: 'button button-icon',
    data: { action: 'close' },
    tAttrs: { 'aria-label': 'common.close', title: 'common.close' },
  }, icon('close'));
  const download = h('button', { type: 'button', class: 'button', data: { action: 'download' }, on: { click: () => onDownload(file) } },
    icon('download'), h('span', { t: 'files.download' }));
  const dialog = h(
    'dialog',
    { class: 'dialog viewer', data: { dialog: 'viewer' }, 'aria-labelledby': 'viewer-title' },
    h('header', { class: 'viewer-head' },
      h('h2', { id: 'viewer-title', class: 'viewer-title', text: file.name }),
      h('div', { class: 'viewer-actions' }, download, close)),
    body,
  );
  close.addEventListener('click', () => dialog.close());
  const closed = showDialog(dialog).then(() => {
    loading.abort();
    // A detached <video> may keep buffering; dropping its source stops the download.
    for (const media of body.querySelectorAll('video, audio')) {
      media.pause();
      media.removeAttribute('src');
      media.load();
    }
  });
  close.focus();
  fill(body, file, kind, loading.signal).catch((err) => {
    if (err.name === 'AbortError') return;
    const message = h('p', { class: 'viewer-note viewer-error' });
    setText(message, errorMessage(err));
    replaceChildren(body, message);
    body.removeAttribute('aria-busy');
  });
  return closed;
}

async function fill(body, file, kind, signal) {
  const url = await contentLink(file.id);
  const inline = `${url}&inline=1`;
  let content;
  switch (kind) {
    case 'image':
      content = h('img', { class: 'viewer-image', alt: file.name });
      content.addEventListener('error', () => showCannotPreview(body), { once: true });
      content.src = inline;
      break;
    case 'video':
      content = h('video', { class: 'viewer-media', controls: true, preload: 'metadata', src: inline });
      break;
    case 'audio':
      content = h('audio', { class: 'viewer-audio', controls: true, preload: 'metadata', src: inline });
      break;
    case 'pdf':
      content = h('iframe', { class: 'viewer-frame', title: file.name, src: inline });
      break;
    default:
      content = await textPreview(file, url, signal);
  }
  replaceChildren(body, content);
  body.removeAttribute('aria-busy');
}

async function textPreview(file, url, signal) {
  // An empty file has no byte 0 to ask for: a range request would be refused.
  if (file.size === 0) return h('p', { class: 'viewer-note', t: 'viewer.empty' });
  const text = await fetchTextStart(url, TEXT_PREVIEW_BYTES, signal);
  // Focusable, so the keyboard can scroll a long text.
  const pre = h('pre', { class: 'viewer-text', tabindex: '0', text });
  if (file.size <= TEXT_PREVIEW_BYTES) return pre;
  const note = h('p', {
    class: 'viewer-note',
    t: ['viewer.truncated', { shown: { bytes: TEXT_PREVIEW_BYTES }, total: { bytes: file.size } }],
  });
  return h('div', { class: 'viewer-text-wrap' }, note, pre);
}

function showCannotPreview(body) {
  replaceChildren(body, h('p', { class: 'viewer-note viewer-error', t: 'viewer.cannot_preview' }));
}
