// The folder view's table: folders first, then files, in the order the server sorted
// them. It only draws; what an action does is up to `onAction`.
//
// A folder may hold 100,000 entries, and drawn rows cost (some 60 elements each, with
// their translated labels). So each page of the listing is appended as its own <tbody>,
// an entry added, renamed or moved redraws only its own row, and a page far off screen
// gives its rows up for one spacer row of the same height, drawing them again when it
// comes back near: the page holds a few pages of rows, wherever the user has scrolled to.

import { h } from './dom.js';
import { setAttrText, setDateText, setSizeText } from './i18n.js';
import { icon } from './icons.js';
import { shareLinkCell } from './share-summary.js';
import { previewKind } from './viewer.js';

// `sort`: the API's sort key and the direction of a first click on the column (a first
// click shows the newest or largest first), for the columns the server can sort by.
const COLUMNS = [
  { key: 'name', label: 'files.col_name', sort: 'asc' },
  { key: 'comment', label: 'files.col_comment' },
  { key: 'size', label: 'files.col_size', sort: 'desc' },
  { key: 'uploaded', label: 'files.col_uploaded', sort: 'desc' },
  { key: 'downloaded', label: 'files.col_downloaded' },
  { key: 'shared', label: 'files.col_shared' },
];

// A page is drawn while it is within this distance of the screen, above or below.
const DRAWN_MARGIN = '2500px 0px';

// After an action redraws its row, focus goes to the control that took its place.
const FOCUS_AFTER = { 'copy-link': 'share' };

// Kept while the app runs, so a folder opened later comes in the order the user chose.
let sort = { key: 'name', order: 'asc' };

/**
 * An entry's key in the server's order: the name in lower case (compared by code point,
 * not as the language sorts words), the size, or the upload time; folders have no size,
 * so by size they go by name, and their "uploaded" is their creation.
 */
function sortKey({ kind, item }) {
  if (sort.key === 'size' && kind === 'file') return item.size;
  if (sort.key === 'uploaded') return kind === 'file' ? item.uploaded_at : item.created_at;
  return item.name.toLowerCase();
}

/**
 * The server's order: folders before files, then the key, then the id (ties go by id in
 * the same direction). It only places entries the page adds itself (an upload, a new
 * folder, a rename); pages of the listing come in the server's own order.
 */
function compareEntries(a, b) {
  if (a.kind !== b.kind) return a.kind === 'folder' ? -1 : 1;
  const [x, y] = [sortKey(a), sortKey(b)];
  const [i, j] = [a.item.id, b.item.id];
  const order = x < y ? -1 : x > y ? 1 : i < j ? -1 : i > j ? 1 : 0;
  return sort.order === 'desc' ? -order : order;
}

const TYPE_ICONS = { image: 'image', video: 'video', audio: 'audio', pdf: 'pdf', text: 'text' };

function typeIcon(file) {
  if (/zip|tar|gzip|7z|rar|compressed|x-xz|bzip/.test(file.content_type)) return icon('archive');
  return icon(TYPE_ICONS[previewKind(file.content_type)] ?? 'file');
}

function actionButton(action, symbol, label, item) {
  return h('button', {
    type: 'button',
    class: 'button button-icon',
    data: { action },
    tAttrs: { 'aria-label': [label, { name: item.name }], title: [label, { name: item.name }] },
  }, icon(symbol));
}

/** A data cell that, on a phone, shows its column's name before the value. */
function cell(column, ...content) {
  const td = h('td', { class: `col-${column.key}`, data: { col: column.key } }, ...content);
  setAttrText(td, 'data-label', [column.label]);
  return td;
}

function dateText(iso) {
  const time = h('time');
  setDateText(time, iso);
  return time;
}

function fileRow(file) {
  const [name, comment, size, uploaded, downloaded, shared] = COLUMNS;
  const sizeText = h('span');
  setSizeText(sizeText, file.size);
  const downloadedText = file.last_downloaded_at
    ? dateText(file.last_downloaded_at)
    : h('span', { class: 'muted', t: 'files.never' });

  return h('tr', { data: { fileId: file.id }, draggable: 'true' },
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
    cell(uploaded, dateText(file.uploaded_at)),
    cell(downloaded, downloadedText),
    cell(shared, sharedCell(file)),
    h('td', { class: 'col-actions' },
      h('div', { class: 'row-actions' },
        previewKind(file.content_type) && actionButton('view', 'view', 'files.view', file),
        actionButton('download', 'download', 'files.download_named', file),
        shareButtons(file),
        actionButton('move', 'move', 'files.move', file),
        actionButton('delete', 'trash', 'files.delete', file))));
}

/** The shared cell of a file or folder: its public link and how it stands, or "Not shared". */
function sharedCell(item) {
  return item.share ? shareLinkCell(item.share) : h('span', { class: 'muted', t: 'files.not_shared' });
}

/**
 * "Share…" (the dialog: rules, QR code, revoking), and for a shared entry copying its link
 * at once, the one thing done often enough to deserve its own button in every row.
 */
function shareButtons(item) {
  if (!item.share) return actionButton('share', 'share', 'files.share', item);
  return [actionButton('share', 'share', 'files.share_settings', item), actionButton('copy-link', 'copy', 'files.copy_link', item)];
}

/** A folder's row: its name is a link to it (open in a new tab works too). */
function folderRow(folder, href) {
  const [name, comment, size, uploaded, downloaded, shared] = COLUMNS;
  return h('tr', { class: folder.share ? 'folder-row folder-shared' : 'folder-row', data: { folderId: folder.id }, draggable: 'true' },
    cell(name,
      h('div', { class: 'cell-edit cell-name' },
        h('span', { class: 'file-icon folder-icon' }, icon('folder')),
        // Not draggable itself: a drag that starts on the name moves the row, like elsewhere.
        h('a', { class: 'file-name', href, draggable: 'false', data: { action: 'open', link: '' }, title: folder.name, text: folder.name }),
        actionButton('rename', 'edit', 'files.rename_folder', folder))),
    cell(comment),
    cell(size),
    cell(uploaded, dateText(folder.created_at)),
    cell(downloaded),
    cell(shared, sharedCell(folder)),
    h('td', { class: 'col-actions' },
      h('div', { class: 'row-actions' },
        actionButton('download', 'download', 'files.download_folder', folder),
        shareButtons(folder),
        actionButton('request', 'inbox', 'files.request', folder),
        actionButton('move', 'move', 'files.move', folder),
        actionButton('delete', 'trash', 'files.delete_folder', folder))));
}

/**
 * Creates the table. `onAction(action, entry, button)` runs for a click on a row's
 * `[data-action]` button, `entry` being `{kind: 'folder'|'file', item}`; `onSort(sort)`
 * when a column header asks for another order (the listing starts again); `folderHref(id)`
 * is where a folder's name links.
 */
export function createFileTable({ onAction, onSort, folderHref }) {
  const entries = new Map(); // id → {kind, item}; folder and file ids are UUIDs, never equal
  const rows = new Map(); // id → <tr>, for the entries of drawn pages
  const order = []; // ids top to bottom
  const pageOf = new Map(); // id → its page: {tbody, ids, drawn}
  const pages = new Map(); // <tbody> → page
  let complete = false; // every page is here: an entry that sorts last belongs at the end
  const headers = COLUMNS.map((column) => {
    if (!column.sort) return h('th', { scope: 'col', class: `col-${column.key}`, t: column.label });
    const button = h('button', { type: 'button', class: 'sort-button', data: { sort: column.key }, t: column.label });
    button.addEventListener('click', () => {
      sort = sort.key === column.key
        ? { key: column.key, order: sort.order === 'asc' ? 'desc' : 'asc' }
        : { key: column.key, order: column.sort };
      showSort();
      onSort(sort);
    });
    return h('th', { scope: 'col', class: `col-${column.key}` }, button);
  });
  const table = h('table', { class: 'file-table', data: { table: 'files' } },
    h('thead', {}, h('tr', {}, headers, h('th', { scope: 'col', class: 'col-actions' },
      h('span', { class: 'visually-hidden', t: 'files.col_actions' })))));

  const observer = new IntersectionObserver((records) => {
    for (const { target, isIntersecting } of records) {
      const page = pages.get(target);
      if (!page) continue;
      if (isIntersecting) draw(page);
      else undraw(page);
    }
  }, { rootMargin: DRAWN_MARGIN });

  function showSort() {
    COLUMNS.forEach((column, i) => {
      if (column.key === sort.key) headers[i].setAttribute('aria-sort', sort.order === 'asc' ? 'ascending' : 'descending');
      else headers[i].removeAttribute('aria-sort');
    });
  }

  const rowFor = (id) => {
    const entry = entries.get(id);
    const tr = entry.kind === 'folder' ? folderRow(entry.item, folderHref(entry.item.id)) : fileRow(entry.item);
    rows.set(id, tr);
    return tr;
  };

  function newPage() {
    const page = { tbody: h('tbody'), ids: [], drawn: true };
    pages.set(page.tbody, page);
    table.append(page.tbody);
    observer.observe(page.tbody);
    return page;
  }

  function dropPage(page) {
    observer.unobserve(page.tbody);
    pages.delete(page.tbody);
    page.tbody.remove();
  }

  function draw(page) {
    if (page.drawn) return;
    page.drawn = true;
    page.tbody.replaceChildren(...page.ids.map(rowFor));
  }

  /** Gives a far page's rows up for a spacer of their height (not while it holds the focus). */
  function undraw(page) {
    if (!page.drawn || !page.ids.length || page.tbody.contains(document.activeElement)) return;
    // Hidden (search results in its place), every page is "off screen" and has no height.
    if (!table.offsetParent) return;
    const height = page.tbody.getBoundingClientRect().height;
    page.drawn = false;
    for (const id of page.ids) rows.delete(id);
    const spacer = h('td', { colspan: String(COLUMNS.length + 1) });
    spacer.style.height = `${height}px`; // CSSOM, which the page's CSP allows
    page.tbody.replaceChildren(h('tr', { class: 'page-spacer', 'aria-hidden': 'true' }, spacer));
  }

  /** Where `entry` goes among the rows: a binary search, so a put costs little at any size. */
  function positionOf(entry) {
    let [low, high] = [0, order.length];
    while (low < high) {
      const mid = (low + high) >> 1;
      if (compareEntries(entries.get(order[mid]), entry) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Puts entry `id` where the order wants it; false when it belongs to a page not loaded yet. */
  function place(id) {
    const at = positionOf(entries.get(id));
    if (at === order.length && !complete) return false;
    order.splice(at, 0, id);
    // Into the page of the entry before it (after it), or of the one after (first).
    const [before, after] = [order[at - 1], order[at + 1]];
    const page = pageOf.get(before) ?? pageOf.get(after) ?? newPage();
    const index = before !== undefined && pageOf.get(before) === page ? page.ids.indexOf(before) + 1 : 0;
    page.ids.splice(index, 0, id);
    pageOf.set(id, page);
    if (page.drawn) {
      const tr = rowFor(id);
      const previous = index > 0 ? rows.get(page.ids[index - 1]) : null;
      if (previous) previous.after(tr);
      else page.tbody.prepend(tr);
    }
    return true;
  }

  function forget(id) {
    const page = pageOf.get(id);
    if (!page) return;
    order.splice(order.indexOf(id), 1);
    page.ids.splice(page.ids.indexOf(id), 1);
    if (!page.ids.length) dropPage(page);
    rows.get(id)?.remove();
    rows.delete(id);
    entries.delete(id);
    pageOf.delete(id);
  }

  table.addEventListener('click', (event) => {
    const button = event.target.closest('[data-action]');
    const tr = button?.closest('tr[data-file-id], tr[data-folder-id]');
    // A folder's name is a link: the app follows it (and the URL changes) on its own.
    if (!tr || button.matches('a[data-link]')) return;
    onAction(button.dataset.action, entries.get(tr.dataset.fileId ?? tr.dataset.folderId), button);
  });

  showSort();

  return {
    element: table,
    get sort() {
      return sort;
    },
    get size() {
      return entries.size;
    },
    /** Whether the last page is in: nothing more will come for this listing. */
    set complete(value) {
      complete = value;
    },

    /** Placeholder rows of the usual height while the list loads: nothing jumps after. */
    showSkeleton(count = 3) {
      this.clear();
      table.append(h('tbody', { class: 'skeleton-body' }, Array.from({ length: count }, () =>
        h('tr', { class: 'skeleton-row', 'aria-hidden': 'true' },
          [...COLUMNS, { key: 'actions' }].map((c) => h('td', { class: `col-${c.key}` }, h('span', { class: 'skeleton' })))))));
    },

    clear() {
      for (const page of pages.values()) dropPage(page);
      table.querySelector('.skeleton-body')?.remove();
      entries.clear();
      rows.clear();
      pageOf.clear();
      order.length = 0;
      complete = false;
    },

    /**
     * Adds the next page below the rows there are, in the order given; entries already
     * shown (added by the page meanwhile) are skipped. Touches no other row.
     */
    append(folders, files) {
      table.querySelector('.skeleton-body')?.remove();
      const fresh = [
        ...folders.map((item) => ({ kind: 'folder', item })),
        ...files.map((item) => ({ kind: 'file', item })),
      ].filter((entry) => !entries.has(entry.item.id));
      if (!fresh.length) return;
      const page = { tbody: h('tbody'), ids: [], drawn: true };
      for (const entry of fresh) {
        entries.set(entry.item.id, entry);
        order.push(entry.item.id);
        page.ids.push(entry.item.id);
        pageOf.set(entry.item.id, page);
      }
      page.tbody.append(...page.ids.map(rowFor));
      pages.set(page.tbody, page);
      table.append(page.tbody);
      observer.observe(page.tbody);
    },

    /**
     * Adds or redraws an entry (`{kind, item}`); focus inside the old row moves to the same
     * control. A new entry that sorts after the loaded rows is left for its page to bring.
     * Returns the row, or null when it is not drawn.
     */
    put(entry) {
      const { id } = entry.item;
      const old = rows.get(id);
      const focused = old?.contains(document.activeElement) ? document.activeElement.dataset.action : null;
      forget(id);
      entries.set(id, entry);
      if (!place(id)) {
        entries.delete(id);
        return null;
      }
      const tr = rows.get(id) ?? null;
      if (tr && focused) {
        const same = tr.querySelector(`[data-action="${focused}"]`);
        (same ?? tr.querySelector(`[data-action="${FOCUS_AFTER[focused]}"]`))?.focus();
      }
      return tr;
    },

    remove: forget,
    has: (id) => entries.has(id),
    entryOf: (tr) => entries.get(tr.dataset.fileId ?? tr.dataset.folderId),
    /** The row of `id` when it is drawn (its page is near the screen), else undefined. */
    rowOf: (id) => rows.get(id),
    /** Stops watching the pages (the view is gone). */
    disconnect: () => observer.disconnect(),
  };
}
