// The folder view shared by "My files" and an admin's view of a user's files: the
// breadcrumbs, the listing (pages of 200 appended as the user scrolls), search, moves by
// drag and drop, and every row action; uploads come from upload-panel.js. The page
// around it owns the address: it calls `open(folderId)` when the URL names another
// folder, and the links here (a folder's name, a breadcrumb) change the URL.

import * as api from './api.js';
import { copyLink } from './clipboard.js';
import { confirmAction, h, replaceChildren, toast } from './dom.js';
import { dragSource, dropTargets } from './drag-move.js';
import { errorMessage } from './errors.js';
import { createFileTable } from './file-table.js';
import { FOLDER_CREATED } from './folder-upload.js';
import { setText } from './i18n.js';
import { icon } from './icons.js';
import { editInPlace } from './inline-edit.js';
import { chooseFolder } from './move-dialog.js';
import { askNewFolder } from './new-folder.js';
import { openRequestDialog } from './request-dialog.js';
import * as rules from './rules.js';
import { createSearch } from './search.js';
import { openShareDialog } from './share-dialog.js';
import { UPLOADED } from './upload.js';
import { createUploadPanel } from './upload-panel.js';
import { openViewer, previewKind } from './viewer.js';

/** Entries per page of the listing: a screenful many times over, and quick to draw. */
const PAGE = 200;
/** The next page is asked for when the end of the list is this close below the screen. */
const MORE_MARGIN_PX = 1200;

/**
 * Builds the folder view into `main` for the files of `ownerId`, showing `folderId` (null:
 * the root). `userId` is set when an admin manages someone else's files (the API's
 * `?user=`). `head` takes the search box; `rootLabel` names the root (a message);
 * `folderHref(id)` is a folder's address; `navigate(path)` goes there; `onFolder(folder)`
 * runs when a folder is shown (null: the root); `onChange()` when the account's files
 * changed (an upload, a delete). Returns `{ready, open}`: `ready` resolves once the first
 * folder has shown (or failed to, with the reason on screen); `open(id)` shows another.
 */
export function mountFileBrowser(main, options) {
  const { ownerId, userId = null, signal, head, rootLabel, folderHref, navigate } = options;
  const { onFolder = () => {}, onChange = () => {} } = options;

  const table = createFileTable({ onAction: (action, entry, button) => act(action, entry, button), onSort: reload, folderHref });
  const crumbs = h('ol', { class: 'crumbs' });
  const crumbNav = h('nav', { class: 'breadcrumbs', data: { breadcrumbs: '' }, tAttrs: { 'aria-label': 'files.location' } }, crumbs);
  const toolbarButton = (action, symbol, label) =>
    h('button', { type: 'button', class: 'button', data: { action } }, icon(symbol), h('span', { t: label }));
  const newFolderButton = toolbarButton('new-folder', 'folder-plus', 'files.new_folder');
  const zipButton = toolbarButton('download-zip', 'download', 'files.download_zip');
  // A file request needs a real folder: the root has none to offer.
  const requestButton = toolbarButton('request-files', 'inbox', 'files.request_here');
  requestButton.hidden = true;
  const listArea = h('div', { class: 'list-area' }, table.element);
  const moreButton = h('button', { type: 'button', class: 'button', data: { action: 'load-more' }, t: 'files.load_more' });
  const listEnd = h('div', { class: 'list-end', data: { listEnd: '' }, hidden: true }, moreButton);
  const listCard = h('section', { class: 'card files-card', 'aria-labelledby': 'folder-name' },
    h('div', { class: 'folder-bar' }, crumbNav, h('div', { class: 'folder-actions' }, newFolderButton, requestButton, zipButton)),
    listArea,
    listEnd);
  const search = createSearch({
    userId,
    signal,
    rootLabel,
    folderHref,
    onOpenFile: openFileFolder,
    onActive: (active) => {
      listCard.hidden = active;
    },
  });
  head.append(search.form);
  // Uploads go into the folder on screen (for a drop: the one on screen at the drop).
  const upload = createUploadPanel({ userId, folderId: () => here.id, signal });
  main.append(upload.element, search.results, listCard, upload.overlay);

  let here = null; // the folder on screen: { id, folder, path, cursor, done, shown, loading, signal, … }
  let pendingFile = null; // a file to mark once its row is on screen (a search hit)
  let markReady;
  const ready = new Promise((resolve, reject) => {
    markReady = resolve;
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

  acceptMoves();
  const observer = new IntersectionObserver((records) => {
    if (records.some((r) => r.isIntersecting) && here) loadPage(here);
  }, { rootMargin: `0px 0px ${MORE_MARGIN_PX}px 0px` });
  observer.observe(listEnd);
  signal.addEventListener('abort', () => {
    observer.disconnect();
    table.disconnect();
  }, { once: true });
  moreButton.addEventListener('click', () => loadPage(here));
  newFolderButton.addEventListener('click', () => guard(null, newFolder));
  zipButton.addEventListener('click', () => guard(null, () => downloadZip(here.id)));
  requestButton.addEventListener('click', () => here?.folder && guard(null, () => openRequestDialog({ folder: here.folder })));

  document.addEventListener(UPLOADED, (event) => {
    const file = event.detail;
    if (file.owner_id !== ownerId) return;
    onChange();
    if (here?.shown && (file.folder_id ?? null) === here.id) show({ kind: 'file', item: file });
  }, { signal });
  document.addEventListener(FOLDER_CREATED, (event) => {
    const folder = event.detail;
    if (folder.owner_id === ownerId && here?.shown && (folder.parent_id ?? null) === here.id) show({ kind: 'folder', item: folder });
  }, { signal });

  // -------------------------------------------------------------------------------------
  // The listing

  /** Shows folder `id` (null: the root); `reload` starts again even when it is on screen. */
  function open(id, { reload: again = false } = {}) {
    search.clear();
    if (here && here.id === id && !again) {
      markPendingFile();
      return;
    }
    here?.controller.abort();
    const controller = new AbortController();
    here = {
      id,
      folder: null,
      path: [],
      cursor: null,
      done: false,
      shown: false,
      loading: false,
      controller,
      signal: AbortSignal.any([signal, controller.signal]),
      // The first folder is the page's own; later ones were asked for and get the focus
      // (a new order of the same folder leaves it on the column header).
      moveFocus: here !== null && !again,
    };
    if (!again) window.scrollTo(0, 0);
    delete main.dataset.folder;
    listEnd.hidden = true;
    if (!table.element.isConnected) replaceChildren(listArea, table.element);
    table.showSkeleton();
    loadPage(here);
  }

  function reload() {
    if (here) open(here.id, { reload: true });
  }

  async function loadPage(state) {
    if (!state || state.loading || state.done || state !== here) return;
    state.loading = true;
    const first = !state.shown;
    try {
      const page = await api.folderContents(state.id, {
        userId,
        cursor: state.cursor,
        sort: table.sort.key,
        order: table.sort.order,
        limit: PAGE,
        signal: state.signal,
      });
      if (first) {
        table.clear();
        state.folder = page.folder;
        state.path = page.path;
        requestButton.hidden = !page.folder;
        showCrumbs(state);
        onFolder(page.folder);
      }
      table.append(page.folders, page.files);
      state.cursor = page.next_cursor;
      state.done = !page.next_cursor;
      table.complete = state.done;
      state.shown = true;
      showState();
      if (first) {
        main.dataset.folder = state.id ?? 'root';
        if (state.moveFocus) focusList();
        markReady();
      }
      markPendingFile();
      // A short page may leave the end of the list in sight: the observer only reports a
      // change, so look once more. (Not after a failure: "Show more" tries again.)
      if (!state.done) requestAnimationFrame(() => state === here && nearEnd() && loadPage(state));
    } catch (err) {
      if (state.signal.aborted) return;
      if (first) {
        showLoadError(err, state);
        markReady();
      } else {
        toast(errorMessage(err), { error: true }); // "Show more" stays to try again
      }
    } finally {
      state.loading = false;
    }
  }

  /** Whether the end of the list is on screen or nearly (never while search results hide it). */
  function nearEnd() {
    if (listEnd.hidden || !listEnd.offsetParent) return false;
    return listEnd.getBoundingClientRect().top < window.innerHeight + MORE_MARGIN_PX;
  }

  /** Adds or redraws an entry the page learnt of (an upload, a rename, a new folder). */
  function show(entry) {
    const row = table.put(entry);
    showState();
    return row;
  }

  // -------------------------------------------------------------------------------------
  // What the list area shows: the table, the empty state, or why the list did not load

  function showState() {
    listEnd.hidden = here.done;
    if (table.size === 0 && here.done) {
      replaceChildren(listArea, h('div', { class: 'empty-state', data: { empty: '' } },
        icon('upload'),
        h('p', { class: 'empty-title', t: here.id ? 'files.folder_empty_title' : 'files.empty_title' }),
        h('p', { class: 'empty-text', t: 'files.empty_text' })));
    } else if (!table.element.isConnected) {
      replaceChildren(listArea, table.element);
    }
  }

  function showLoadError(err, state) {
    showCrumbs(state);
    const retry = h('button', { type: 'button', class: 'button', t: 'common.retry' });
    const message = h('p', { class: 'load-error-text' });
    setText(message, errorMessage(err));
    replaceChildren(listArea, h('div', { class: 'load-error', role: 'alert' },
      h('p', { class: 'empty-title', t: 'files.load_failed' }), message, retry));
    retry.addEventListener('click', () => open(state.id, { reload: true }));
  }

  function showCrumbs(state) {
    // Until the folder has loaded its path is not known: the root, then the folder unnamed.
    const trail = [{ id: null, name: null }, ...state.path];
    if (state.id && !state.path.length) trail.push({ id: state.id, name: '…' });
    replaceChildren(crumbs, trail.map((step, i) => {
      const current = i === trail.length - 1;
      const link = h('a', {
        class: 'crumb',
        href: folderHref(step.id),
        draggable: 'false',
        id: current ? 'folder-name' : null,
        'aria-current': current ? 'page' : null,
        data: { link: '', crumb: step.id ?? 'root' },
      });
      if (step.id) setText(link, step.name);
      else replaceChildren(link, icon('home'), h('span', { t: rootLabel }));
      return h('li', {}, i > 0 && h('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, icon('chevron-right')), link);
    }));
  }

  /** After opening a folder, the keyboard carries on at its first entry (or its name). */
  function focusList() {
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected && !listCard.contains(active)) return;
    (table.element.querySelector('[data-action="open"]') ?? crumbs.querySelector('[aria-current]'))?.focus();
  }

  function markPendingFile() {
    const row = pendingFile && table.rowOf(pendingFile);
    if (!row) return;
    pendingFile = null;
    for (const marked of table.element.querySelectorAll('.row-marked')) marked.classList.remove('row-marked');
    row.classList.add('row-marked');
    row.scrollIntoView({ block: 'center' });
    row.querySelector('[data-action="open"]')?.focus({ preventScroll: true });
  }

  /** A file hit of the search: its folder opens, with the file marked once it shows. */
  function openFileFolder(file) {
    pendingFile = file.id;
    const folderId = file.folder_id ?? null;
    if (here?.id === folderId) open(folderId);
    else navigate(folderHref(folderId));
  }

  // -------------------------------------------------------------------------------------
  // Moving by drag and drop

  /** Rows picked up and dropped on a folder row or a breadcrumb move there. */
  function acceptMoves() {
    dragSource(table.element, (row) => {
      const entry = table.entryOf(row);
      return entry && { kind: entry.kind, id: entry.item.id, name: entry.item.name };
    }, { signal });
    const drop = (ref, target) => {
      const entry = table.rowOf(ref.id) && table.entryOf(table.rowOf(ref.id));
      if (entry) guard(entry, () => moveTo(entry, target));
    };
    dropTargets(table.element, {
      signal,
      targetOf: (el, ref) => {
        const row = el.closest?.('tr[data-folder-id]');
        return row && row.dataset.folderId !== ref?.id ? row : null;
      },
      onDrop: (ref, row) => drop(ref, { id: row.dataset.folderId, name: table.entryOf(row).item.name }),
    });
    dropTargets(crumbNav, {
      signal,
      targetOf: (el) => el.closest?.('a[data-crumb]:not([aria-current])') ?? null,
      onDrop: (ref, link) => {
        const id = link.dataset.crumb === 'root' ? null : link.dataset.crumb;
        drop(ref, { id, name: id ? link.textContent : rootLabel });
      },
    });
  }

  // -------------------------------------------------------------------------------------
  // Actions

  /** Runs an action, turning its failure into a message (and a vanished entry's row going). */
  async function guard(entry, work) {
    try {
      await work();
    } catch (err) {
      if (err.name === 'AbortError' || signal.aborted) return;
      if (entry && err.code === 'not_found') {
        // Deleted meanwhile (another tab, an admin): the row goes too.
        removeRow(entry.item.id);
        toast([entry.kind === 'folder' ? 'folders.gone' : 'files.gone', { name: entry.item.name }], { error: true });
        return;
      }
      toast(errorMessage(err), { error: true });
    }
  }

  function act(action, entry, button) {
    const actions = entry.kind === 'folder' ? FOLDER_ACTIONS : FILE_ACTIONS;
    return guard(entry, () => actions[action](entry.item, button, entry));
  }

  const FILE_ACTIONS = {
    open: (file) => (previewKind(file.content_type) ? FILE_ACTIONS.view(file) : FILE_ACTIONS.download(file)),

    async view(file) {
      markDownloaded(file); // the viewer fetches the bytes, which the server records
      await openViewer(file, { onDownload: (shown) => act('download', { kind: 'file', item: shown }) });
    },

    async download(file) {
      // The response is an attachment: following the link saves the file, the page stays.
      follow(await api.contentLink(file.id));
      markDownloaded(file);
    },

    rename: (file, button) =>
      editCell({ kind: 'file', item: file }, button.closest('.cell-edit'), {
        name: 'name',
        label: ['files.rename', { name: file.name }],
        validate: rules.fileName,
      }),

    'edit-comment': (file, button) =>
      editCell({ kind: 'file', item: file }, button.closest('.cell-edit'), {
        name: 'comment',
        label: ['files.edit_comment', { name: file.name }],
        validate: rules.comment,
      }),

    share: (file) => shareWithDialog({ kind: 'file', item: file }),
    'copy-link': (file) => copyLink(file.share.url),

    move: (file, button, entry) => moveWithDialog(entry),

    async delete(file) {
      const confirmed = await confirmAction({
        title: ['files.delete_title'],
        message: [file.share ? 'files.delete_text_shared' : 'files.delete_text', { name: file.name, size: { bytes: file.size } }],
        confirmLabel: 'files.delete_confirm',
      });
      if (!confirmed) return;
      await api.deleteFile(file.id);
      trashed({ kind: 'file', item: file });
    },
  };

  const FOLDER_ACTIONS = {
    download: (folder) => downloadZip(folder.id),
    share: (folder) => shareWithDialog({ kind: 'folder', item: folder }),
    'copy-link': (folder) => copyLink(folder.share.url),

    async request(folder) {
      await openRequestDialog({ folder });
      table.rowOf(folder.id)?.querySelector('[data-action="request"]')?.focus();
    },

    rename: (folder, button) =>
      editCell({ kind: 'folder', item: folder }, button.closest('.cell-edit'), {
        name: 'name',
        label: ['files.rename_folder', { name: folder.name }],
        validate: rules.fileName,
      }),

    move: (folder, button, entry) => moveWithDialog(entry),

    async delete(folder) {
      const confirmed = await confirmAction({
        title: ['folders.delete_title'],
        message: ['folders.delete_text', { name: folder.name }],
        confirmLabel: 'folders.delete_confirm',
      });
      if (!confirmed) return;
      await api.deleteFolder(folder.id);
      trashed({ kind: 'folder', item: folder });
    },
  };

  /** The share dialog; each change it makes redraws the row, which keeps the focus after. */
  async function shareWithDialog(entry) {
    await openShareDialog({ ...entry, onChange: (item) => show({ kind: entry.kind, item }) });
    table.rowOf(entry.item.id)?.querySelector('[data-action="share"]')?.focus();
  }

  /**
   * After a delete: the row goes, and a message offers to undo it. The server may keep no
   * trash (`--trash-retention 0`), which the app cannot tell beforehand: then the undo
   * finds nothing to restore and says so.
   */
  function trashed(entry) {
    const { kind, item } = entry;
    removeRow(item.id);
    onChange();
    toast([kind === 'folder' ? 'folders.deleted' : 'files.deleted', { name: item.name }], {
      action: { name: 'undo', label: 'trash.undo', run: () => undoDelete(entry) },
    });
  }

  async function undoDelete({ kind, item }) {
    let restored;
    try {
      const answer = await api.restoreFromTrash(kind, item.id, userId);
      restored = answer.file ?? answer.folder;
    } catch (err) {
      const gone = err.code === 'not_found';
      toast(gone ? ['trash.undo_gone', { name: item.name }] : errorMessage(err), { error: true });
      return;
    }
    onChange();
    toast(['trash.undone', { name: restored.name }]);
    // Back on screen when its folder still is (the user may have moved on meanwhile).
    const parent = (kind === 'folder' ? restored.parent_id : restored.folder_id) ?? null;
    if (signal.aborted || !here?.shown || parent !== here.id) return;
    show({ kind, item: restored })?.querySelector('[data-action="open"]')?.focus();
  }

  async function newFolder() {
    const parentId = here.id;
    const folder = await askNewFolder({ create: (name) => api.createFolder(name, parentId, userId) });
    if (!folder) return;
    if (here.id === parentId) show({ kind: 'folder', item: folder })?.querySelector('[data-action="open"]')?.focus();
    toast(['folders.created', { name: folder.name }]);
  }

  async function downloadZip(folderId) {
    follow(await api.folderZipLink(folderId, userId), { download: true });
  }

  /** Follows a signed URL of an attachment: the browser saves it and the page stays. */
  function follow(url, { download = false } = {}) {
    const link = h('a', { href: url, download, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
  }

  async function moveWithDialog(entry) {
    const target = await chooseFolder({ entry, startId: here.id, userId, rootLabel });
    if (target) await moveTo(entry, target);
    else table.rowOf(entry.item.id)?.querySelector('[data-action="move"]')?.focus();
  }

  /** Moves `entry` into folder `target` ({id, name}; id null: the root). */
  async function moveTo(entry, target) {
    const { kind, item } = entry;
    const from = kind === 'folder' ? item.parent_id ?? null : item.folder_id ?? null;
    if (target.id === from || (kind === 'folder' && target.id === item.id)) return;
    if (kind === 'folder') await api.updateFolder(item.id, { parent_id: target.id });
    else await api.updateFile(item.id, { folder_id: target.id });
    removeRow(item.id);
    toast(['files.moved', { name: item.name, target: target.name }]);
  }

  /** Takes a row away; keyboard users carry on from the next entry, not the top of the page. */
  function removeRow(id) {
    const row = table.rowOf(id);
    const hadFocus = row?.contains(document.activeElement) || !document.activeElement || document.activeElement === document.body;
    const neighbour = row?.nextElementSibling ?? row?.previousElementSibling;
    table.remove(id);
    showState();
    if (hadFocus) (neighbour?.querySelector('[data-action="open"]') ?? crumbs.querySelector('[aria-current]') ?? main).focus();
  }

  async function editCell(entry, container, { name, label, validate }) {
    const { kind, item } = entry;
    // While its field is open the row is not picked up: a drag in the field selects text.
    const row = container.closest('tr');
    row.draggable = false;
    const outcome = await editInPlace(container, {
      name,
      value: item[name],
      label,
      validate,
      save: async (value) => {
        const updated = kind === 'folder'
          ? await api.updateFolder(item.id, { [name]: value })
          : await api.updateFile(item.id, { [name]: value });
        show({ kind, item: updated });
      },
    });
    row.draggable = true; // (a saved edit has drawn a new row; this one may be gone)
    const editButton = name === 'name' ? 'rename' : 'edit-comment';
    table.rowOf(item.id)?.querySelector(`[data-action="${editButton}"]`)?.focus();
    return outcome;
  }

  function markDownloaded(file) {
    show({ kind: 'file', item: { ...file, last_downloaded_at: new Date().toISOString() } });
  }

  open(options.folderId ?? null);
  return { ready, open };
}
