// "Shares": every public link and file request the signed-in user has made, at /shares,
// with what each has done (downloads, files received) and when it ends, so that a link
// can be copied again, its rules changed, or revoked, without hunting for it in the
// folders. Expired and used-up links are listed too: they still exist until revoked.

import * as api from '../api.js';
import { copyLink } from '../clipboard.js';
import { confirmAction, h, replaceChildren, toast } from '../dom.js';
import { errorMessage } from '../errors.js';
import { setAttrText, setDateText, setSizeText, setText } from '../i18n.js';
import { icon } from '../icons.js';
import { openShareDialog } from '../share-dialog.js';
import { downloadsText, shareStatus } from '../share-summary.js';

const SHARE_COLUMNS = [
  ['name', 'shares.col_name'],
  ['link', 'shares.col_link'],
  ['expires', 'shares.col_expires'],
  ['password', 'shares.col_password'],
  ['downloads', 'shares.col_downloads'],
];

const REQUEST_COLUMNS = [
  ['label', 'shares.col_label'],
  ['folder', 'shares.col_folder'],
  ['link', 'shares.col_link'],
  ['files', 'shares.col_files'],
  ['bytes', 'shares.col_bytes'],
  ['expires', 'shares.col_expires'],
];

const folderHref = (id) => (id ? `/files/${encodeURIComponent(id)}` : '/files');

export function mount(main, { signal, setTitle }) {
  setTitle(['shares.title']);
  main.append(
    h('div', { class: 'page-head' }, h('div', {}, h('h1', { id: 'shares-title', t: 'shares.title' }))),
    h('p', { class: 'page-note', t: 'shares.note' }));
  const sharesArea = h('div', { class: 'list-area' }, skeleton(SHARE_COLUMNS.length));
  const requestsArea = h('div', { class: 'list-area' }, skeleton(REQUEST_COLUMNS.length));
  main.append(
    h('section', { class: 'card links-card', 'aria-labelledby': 'shares-links-title' },
      h('h2', { id: 'shares-links-title', class: 'card-title' }, icon('share'), h('span', { t: 'shares.links_heading' })),
      sharesArea),
    h('section', { class: 'card links-card', 'aria-labelledby': 'shares-requests-title' },
      h('h2', { id: 'shares-requests-title', class: 'card-title' }, icon('inbox'), h('span', { t: 'shares.requests_heading' })),
      requestsArea));

  const shareRows = createShareTable();
  const requestRows = createRequestTable();
  Promise.allSettled([
    api.listShares(signal).then(shareRows.fill, (err) => showLoadError(sharesArea, err)),
    api.listRequests(signal).then(requestRows.fill, (err) => showLoadError(requestsArea, err)),
  ]).then(() => {
    if (!signal.aborted) main.dataset.page = 'shares';
  });

  function showLoadError(area, err) {
    if (signal.aborted) return;
    const text = h('p');
    setText(text, errorMessage(err));
    const retry = h('button', { type: 'button', class: 'button', t: 'common.retry', on: { click: () => location.reload() } });
    replaceChildren(area, h('div', { class: 'load-error', role: 'alert' }, h('p', { class: 'empty-title', t: 'shares.load_failed' }), text, retry));
  }

  // -------------------------------------------------------------------------------------
  // Public links

  function createShareTable() {
    const tbody = h('tbody');
    const table = h('table', { class: 'link-table', data: { table: 'shares' }, 'aria-labelledby': 'shares-links-title' },
      header(SHARE_COLUMNS), tbody);

    function showState() {
      if (tbody.children.length) {
        if (!table.isConnected) replaceChildren(sharesArea, table);
        return;
      }
      replaceChildren(sharesArea, h('div', { class: 'empty-state', data: { empty: 'shares' } },
        icon('share'), h('p', { class: 'empty-title', t: 'shares.links_empty' }), h('p', { class: 'empty-text', t: 'shares.links_empty_text' })));
    }

    function row(entry) {
      const { share } = entry;
      const status = shareStatus(share);
      const [name, link, expires, password, downloads] = SHARE_COLUMNS.map(([key, label]) => (...content) => cell(key, label, ...content));
      const folder = entry.kind === 'folder';
      const actions = h('div', { class: 'row-actions' },
        iconButton('share', 'share', ['files.share_settings', { name: entry.name }], () => settings(entry)),
        iconButton('copy-link', 'copy', ['files.copy_link', { name: entry.name }], () => copyLink(share.url)),
        iconButton('revoke', 'revoke', ['files.revoke', { name: entry.name }], () => revoke(entry)));
      return h('tr', { data: { shareId: entry.id, kind: entry.kind, status } },
        name(h('div', { class: 'cell-name' },
          h('span', { class: folder ? 'file-icon folder-icon' : 'file-icon' }, icon(folder ? 'folder' : 'file')),
          h('a', {
            class: 'file-name',
            href: folderHref(folder ? entry.id : entry.parent_id),
            data: { action: 'open', link: '' },
            title: entry.name,
            text: entry.name,
          }),
          // The icon says file or folder to the eye; this says it to a screen reader.
          h('span', { class: 'visually-hidden', t: folder ? 'shares.kind_folder' : 'shares.kind_file' }))),
        link(h('a', { class: 'link-url-text', href: share.url, target: '_blank', rel: 'noopener noreferrer', data: { shareUrl: '' }, text: share.url })),
        expires(expiryCell(share.expires_at, status === 'expired')),
        password(share.has_password
          ? h('span', { class: 'flag-yes' }, icon('lock'), h('span', { t: 'shares.yes' }))
          : h('span', { class: 'muted', t: 'shares.no' })),
        downloads(h('span', {},
          h('span', { t: downloadsText(share) }),
          status === 'used_up' && [' ', h('span', { class: 'share-dead', t: 'share.status_used_up' })])),
        h('td', { class: 'col-actions' }, actions));
    }

    function put(entry) {
      const old = tbody.querySelector(`tr[data-share-id="${CSS.escape(entry.id)}"]`);
      const fresh = row(entry);
      if (old) old.replaceWith(fresh);
      else tbody.prepend(fresh);
      return fresh;
    }

    function remove(entry) {
      const tr = tbody.querySelector(`tr[data-share-id="${CSS.escape(entry.id)}"]`);
      const neighbour = tr?.nextElementSibling ?? tr?.previousElementSibling;
      tr?.remove();
      showState();
      (neighbour?.querySelector('[data-action="share"]') ?? main).focus();
    }

    async function settings(entry) {
      let latest = entry;
      await openShareDialog({
        kind: entry.kind,
        item: entry,
        onChange: (item) => {
          latest = { ...entry, share: item.share };
          if (item.share) put(latest);
        },
      });
      if (!latest.share) remove(entry);
      else tbody.querySelector(`tr[data-share-id="${CSS.escape(entry.id)}"] [data-action="share"]`)?.focus();
    }

    async function revoke(entry) {
      const confirmed = await confirmAction({
        title: ['share.revoke_title'],
        message: ['share.revoke_text', { name: entry.name }],
        confirmLabel: 'share.revoke',
      });
      if (!confirmed) return;
      try {
        await api.unshareEntry(entry.kind, entry.id);
      } catch (err) {
        // Already gone (revoked elsewhere, the entry deleted): the row goes all the same.
        if (err.code !== 'not_found') {
          toast(errorMessage(err), { error: true });
          return;
        }
      }
      remove(entry);
      toast(['share.revoked', { name: entry.name }]);
    }

    return {
      fill(shares) {
        tbody.replaceChildren(...shares.map(row));
        showState();
      },
    };
  }

  // -------------------------------------------------------------------------------------
  // File requests

  function createRequestTable() {
    const tbody = h('tbody');
    const table = h('table', { class: 'link-table', data: { table: 'requests' }, 'aria-labelledby': 'shares-requests-title' },
      header(REQUEST_COLUMNS), tbody);

    function showState() {
      if (tbody.children.length) {
        if (!table.isConnected) replaceChildren(requestsArea, table);
        return;
      }
      replaceChildren(requestsArea, h('div', { class: 'empty-state', data: { empty: 'requests' } },
        icon('inbox'), h('p', { class: 'empty-title', t: 'shares.requests_empty' }), h('p', { class: 'empty-text', t: 'shares.requests_empty_text' })));
    }

    function row(request, folders) {
      const [label, folder, link, files, bytes, expires] = REQUEST_COLUMNS.map(([key, text]) => (...content) => cell(key, text, ...content));
      const expired = Boolean(request.expires_at) && new Date(request.expires_at).getTime() <= Date.now();
      const full = (request.max_files !== null && request.file_count >= request.max_files)
        || (request.max_bytes !== null && request.bytes_received >= request.max_bytes);
      const name = request.label || null;
      const actions = h('div', { class: 'row-actions' },
        iconButton('copy-link', 'copy', name ? ['shares.copy_request_link', { name }] : ['shares.copy_request_link_unnamed'], () => copyLink(request.url)),
        iconButton('delete', 'trash', name ? ['shares.delete_request', { name }] : ['shares.delete_request_unnamed'], () => remove(request)));
      const received = h('span');
      setSizeText(received, request.bytes_received);
      const limit = request.max_bytes !== null && h('span');
      if (limit) setSizeText(limit, request.max_bytes);
      return h('tr', { data: { requestId: request.id } },
        label(h('div', { class: 'cell-name' },
          h('span', { class: 'file-icon' }, icon('inbox')),
          h('span', { class: 'request-label', ...(name ? { text: name } : { class: 'request-label muted', t: 'shares.no_label' }) }),
          request.has_password && h('span', { class: 'share-flag', role: 'img', tAttrs: { title: 'share.with_password', 'aria-label': 'share.with_password' } }, icon('lock')))),
        folder(folderLink(request.folder_id, folders)),
        link(h('a', { class: 'link-url-text', href: request.url, target: '_blank', rel: 'noopener noreferrer', data: { requestUrl: '' }, text: request.url })),
        files(h('span', {},
          h('span', { t: request.max_files === null ? ['shares.files', { count: request.file_count }] : ['shares.files_of', { count: request.file_count, max: request.max_files }] }),
          full && [' ', h('span', { class: 'share-dead', t: 'shares.status_full' })])),
        bytes(limit ? h('span', {}, h('span', { t: ['shares.bytes_of', { size: { bytes: request.bytes_received }, max: { bytes: request.max_bytes } }] })) : received),
        expires(expiryCell(request.expires_at, expired)),
        h('td', { class: 'col-actions' }, actions));
    }

    /** Where the files go: the folder's place in My files, or that it is gone. */
    function folderLink(id, folders) {
      const known = folders.get(id);
      if (!known) return h('span', { class: 'muted', t: 'shares.folder_gone' });
      const names = known.path.map((step) => step.name);
      return h('a', { class: 'request-folder', href: folderHref(id), data: { link: '', action: 'open-folder' }, title: names.join(' › ') },
        icon('folder'), h('span', { text: names.join(' › ') }));
    }

    async function remove(request) {
      const confirmed = await confirmAction({
        title: ['shares.delete_request_title'],
        message: [request.label ? 'shares.delete_request_text' : 'shares.delete_request_text_unnamed', { name: request.label }],
        confirmLabel: 'shares.delete_request_confirm',
      });
      if (!confirmed) return;
      try {
        await api.deleteRequest(request.id);
      } catch (err) {
        if (err.code !== 'not_found') {
          toast(errorMessage(err), { error: true });
          return;
        }
      }
      const tr = tbody.querySelector(`tr[data-request-id="${CSS.escape(request.id)}"]`);
      const neighbour = tr?.nextElementSibling ?? tr?.previousElementSibling;
      tr?.remove();
      showState();
      (neighbour?.querySelector('[data-action="copy-link"]') ?? main).focus();
      toast(['shares.request_deleted']);
    }

    return {
      async fill(requests) {
        // Each folder's place, read once however many requests point at it.
        const folders = new Map();
        await Promise.all([...new Set(requests.map((r) => r.folder_id))].map((id) =>
          api.getFolder(id, signal).then((answer) => folders.set(id, answer), () => {})));
        tbody.replaceChildren(...requests.map((request) => row(request, folders)));
        showState();
      },
    };
  }
}

function header(columns) {
  return h('thead', {}, h('tr', {},
    columns.map(([key, label]) => h('th', { scope: 'col', class: `col-${key}`, t: label })),
    h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'visually-hidden', t: 'files.col_actions' }))));
}

/** A data cell that, on a phone, shows its column's name before the value. */
function cell(key, label, ...content) {
  const td = h('td', { class: `col-${key}`, data: { col: key } }, ...content);
  setAttrText(td, 'data-label', [label]);
  return td;
}

function iconButton(action, symbol, label, run) {
  const button = h('button', { type: 'button', class: 'button button-icon', data: { action }, tAttrs: { 'aria-label': label, title: label } }, icon(symbol));
  button.addEventListener('click', run);
  return button;
}

/** Until when a link works: a date, "Never", or the date it stopped. */
function expiryCell(iso, past) {
  if (!iso) return h('span', { class: 'muted', t: 'shares.never' });
  const time = h('time');
  setDateText(time, iso);
  return h('span', { class: past ? 'expired' : null }, past && [h('span', { class: 'share-dead', t: 'share.status_expired' }), ' '], time);
}

function skeleton(columns) {
  return h('table', { class: 'link-table', 'aria-hidden': 'true' }, h('tbody', {}, Array.from({ length: 2 }, () =>
    h('tr', { class: 'skeleton-row' }, Array.from({ length: columns + 1 }, () => h('td', {}, h('span', { class: 'skeleton' })))))));
}
