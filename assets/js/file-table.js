// The files table: one row per file, sortable by every column, with the row's actions as
// buttons. It only draws; what an action does is up to `onAction`.

import { h } from './dom.js';
import { compareText, setAttrText, setDateText, setSizeText } from './i18n.js';
import { icon } from './icons.js';
import { previewKind } from './viewer.js';

// `text`: compared as the language sorts words; else by value (RFC 3339 times in UTC
// order correctly as strings). `descending`: the direction of a first click, so a first
// click shows the newest, largest or shared files first.
const COLUMNS = [
  { key: 'name', label: 'files.col_name', value: (f) => f.name, text: true, descending: false },
  { key: 'comment', label: 'files.col_comment', value: (f) => f.comment || null, text: true, descending: false },
  { key: 'size', label: 'files.col_size', value: (f) => f.size, descending: true },
  { key: 'uploaded', label: 'files.col_uploaded', value: (f) => f.uploaded_at, descending: true },
  { key: 'downloaded', label: 'files.col_downloaded', value: (f) => f.last_downloaded_at, descending: true },
  { key: 'shared', label: 'files.col_shared', value: (f) => (f.share_url ? 1 : null), descending: true },
];

// After an action redraws its row, focus goes to the control that took its place.
const FOCUS_AFTER = { share: 'copy-link', revoke: 'share' };

// Kept while the app runs, so a list opened again comes back in the order the user chose.
let sort = { key: 'uploaded', descending: true };

/** Orders by the sorted column; empty values go last either way; ties by name. */
function compareFiles(a, b) {
  const column = COLUMNS.find((c) => c.key === sort.key);
  const [x, y] = [column.value(a), column.value(b)];
  if (x !== y) {
    if (x === null) return 1;
    if (y === null) return -1;
    const order = column.text ? compareText(x, y) : x < y ? -1 : x > y ? 1 : 0;
    if (order) return sort.descending ? -order : order;
  }
  return compareText(a.name, b.name) || (a.id < b.id ? -1 : 1);
}

const TYPE_ICONS = { image: 'image', video: 'video', audio: 'audio', pdf: 'pdf', text: 'text' };

function typeIcon(file) {
  if (/zip|tar|gzip|7z|rar|compressed|x-xz|bzip/.test(file.content_type)) return icon('archive');
  return icon(TYPE_ICONS[previewKind(file.content_type)] ?? 'file');
}

function actionButton(action, symbol, label, file) {
  return h('button', {
    type: 'button',
    class: 'button button-icon',
    data: { action },
    tAttrs: { 'aria-label': [label, { name: file.name }], title: [label, { name: file.name }] },
  }, icon(symbol));
}

/** A data cell that, on a phone, shows its column's name before the value. */
function cell(column, ...content) {
  const td = h('td', { class: `col-${column.key}`, data: { col: column.key } }, ...content);
  setAttrText(td, 'data-label', [column.label]);
  return td;
}

function row(file) {
  const [name, comment, size, uploaded, downloaded, shared] = COLUMNS;
  const sizeText = h('span');
  setSizeText(sizeText, file.size);
  const uploadedTime = h('time');
  setDateText(uploadedTime, file.uploaded_at);
  let downloadedText;
  if (file.last_downloaded_at) {
    downloadedText = h('time');
    setDateText(downloadedText, file.last_downloaded_at);
  } else {
    downloadedText = h('span', { class: 'muted', t: 'files.never' });
  }
  const sharing = file.share_url
    ? [
        h('a', { class: 'share-link', href: file.share_url, target: '_blank', rel: 'noopener noreferrer', data: { shareUrl: '' } },
          icon('share'), h('span', { t: 'files.public_link' })),
      ]
    : [h('span', { class: 'muted', t: 'files.not_shared' })];

  return h('tr', { data: { fileId: file.id } },
    cell(name,
      h('div', { class: 'cell-edit cell-name' },
        h('span', { class: 'file-icon' }, typeIcon(file)),
        h('button', { type: 'button', class: 'file-name', data: { action: 'open' }, title: file.name, text: file.name }),
        actionButton('rename', 'edit', 'files.rename', file))),
    cell(comment,
      h('div', { class: 'cell-edit cell-comment' },
        h('span', { class: 'comment-text', text: file.comment }),
        actionButton('edit-comment', 'edit', 'files.edit_comment', file))),
    cell(size, sizeText),
    cell(uploaded, uploadedTime),
    cell(downloaded, downloadedText),
    cell(shared, ...sharing),
    h('td', { class: 'col-actions' },
      h('div', { class: 'row-actions' },
        previewKind(file.content_type) && actionButton('view', 'view', 'files.view', file),
        actionButton('download', 'download', 'files.download_named', file),
        file.share_url
          ? [actionButton('copy-link', 'copy', 'files.copy_link', file), actionButton('revoke', 'revoke', 'files.revoke', file)]
          : actionButton('share', 'share', 'files.share', file),
        actionButton('delete', 'trash', 'files.delete', file))));
}

/**
 * Creates the table. `onAction(action, file, button)` runs for a click on any
 * `[data-action]` in a row. Call `setFiles` once the list has loaded.
 */
export function createFileTable({ onAction }) {
  const files = new Map();
  const rows = new Map();
  const tbody = h('tbody');
  const headers = COLUMNS.map((column) => {
    const button = h('button', { type: 'button', class: 'sort-button', data: { sort: column.key }, t: column.label });
    button.addEventListener('click', () => {
      sort = sort.key === column.key
        ? { key: column.key, descending: !sort.descending }
        : { key: column.key, descending: column.descending };
      showSort();
      reorder();
    });
    return h('th', { scope: 'col', class: `col-${column.key}` }, button);
  });
  const table = h('table', { class: 'file-table', data: { table: 'files' } },
    h('thead', {}, h('tr', {}, headers, h('th', { scope: 'col', class: 'col-actions' },
      h('span', { class: 'visually-hidden', t: 'files.col_actions' })))),
    tbody);

  function showSort() {
    COLUMNS.forEach((column, i) => {
      if (column.key === sort.key) headers[i].setAttribute('aria-sort', sort.descending ? 'descending' : 'ascending');
      else headers[i].removeAttribute('aria-sort');
    });
  }

  function reorder() {
    const order = [...files.values()].sort(compareFiles);
    tbody.append(...order.map((file) => rows.get(file.id)));
  }

  /** Puts `tr` where the current order wants it, moving no other row. */
  function place(file, tr) {
    const after = [...files.values()].filter((f) => f.id !== file.id && compareFiles(file, f) < 0);
    const next = after.sort(compareFiles)[0];
    tbody.insertBefore(tr, next ? rows.get(next.id) : null);
  }

  tbody.addEventListener('click', (event) => {
    const button = event.target.closest('[data-action]');
    const tr = button?.closest('tr[data-file-id]');
    if (tr) onAction(button.dataset.action, files.get(tr.dataset.fileId), button);
  });

  showSort();

  return {
    element: table,
    get size() {
      return files.size;
    },
    totalBytes: () => [...files.values()].reduce((sum, f) => sum + f.size, 0),

    /** Placeholder rows of the usual height while the list loads: nothing jumps after. */
    showSkeleton(count = 3) {
      tbody.replaceChildren(...Array.from({ length: count }, () =>
        h('tr', { class: 'skeleton-row', 'aria-hidden': 'true' },
          [...COLUMNS, { key: 'actions' }].map((c) => h('td', { class: `col-${c.key}` }, h('span', { class: 'skeleton' }))))));
    },

    setFiles(list) {
      files.clear();
      rows.clear();
      for (const file of list) {
        files.set(file.id, file);
        rows.set(file.id, row(file));
      }
      tbody.replaceChildren();
      reorder();
    },

    /** Adds or redraws `file`'s row; focus inside the old row moves to the same control. */
    put(file) {
      const old = rows.get(file.id);
      const focused = old?.contains(document.activeElement) ? document.activeElement.dataset.action : null;
      const tr = row(file);
      files.set(file.id, file);
      rows.set(file.id, tr);
      old?.remove();
      place(file, tr);
      if (focused) {
        const same = tr.querySelector(`[data-action="${focused}"]`);
        (same ?? tr.querySelector(`[data-action="${FOCUS_AFTER[focused]}"]`))?.focus();
      }
      return tr;
    },

    remove(id) {
      rows.get(id)?.remove();
      rows.delete(id);
      files.delete(id);
    },

    rowOf: (id) => rows.get(id),
  };
}
