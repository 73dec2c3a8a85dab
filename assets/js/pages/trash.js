// The trash: what was deleted, where it came from and when it goes for good; each item
// restored or deleted forever, or everything emptied at once. /trash is one's own;
// /admin/users/{id}/trash is an admin's view of that user's, every call with `?user=`.

import * as api from '../api.js';
import { avatarBadge } from '../avatar.js';
import { confirmAction, h, replaceChildren, toast } from '../dom.js';
import { errorMessage } from '../errors.js';
import { setAttrText, setDateText, setSizeText, setText } from '../i18n.js';
import { icon } from '../icons.js';
import { createUsage, followMyUsage } from '../usage.js';
import * as notFound from './not-found.js';

/** Items per page: the trash is read newest first, "Show more" brings the next ones. */
const PAGE = 50;

const COLUMNS = [
  ['name', 'trash.col_name'],
  ['original_path', 'trash.col_from'],
  ['size', 'trash.col_size'],
  ['trashed', 'trash.col_trashed'],
  ['purge', 'trash.col_purge'],
];

const enc = encodeURIComponent;

/** The folders an item was in, from the root down: `/Docs/Work/a.pdf` → ['Docs', 'Work']. */
function parentsOf(item) {
  return item.original_path.split('/').filter(Boolean).slice(0, -1);
}

export function mount(main, ctx) {
  const { params: [userId = null], signal, setTitle, me, refreshMe } = ctx;
  const admin = userId !== null;
  const base = admin ? `/admin/users/${enc(userId)}` : '/files';
  const folderHref = (id) => (id ? (admin ? `${base}/files/${enc(id)}` : `/files/${enc(id)}`) : base);
  const rootLabel = admin ? ['user_files.root'] : ['files.title'];

  setTitle(admin ? ['trash.title_loading'] : ['trash.title']);
  const title = h('h1', { id: 'trash-title' });
  if (admin) title.append(h('span', { class: 'skeleton skeleton-title' }));
  else setText(title, ['trash.title']);
  const avatarSlot = h('span', { class: 'page-head-avatar' });
  const usage = createUsage();
  const emptyButton = h('button', { type: 'button', class: 'button button-danger-outline', data: { action: 'empty-trash' }, disabled: true },
    icon('trash'), h('span', { t: 'trash.empty' }));
  main.append(
    h('div', { class: 'page-head' },
      admin && h('a', { class: 'back-link', href: base, data: { link: '' }, t: 'trash.back_to_files' }),
      h('div', { class: 'page-head-user' }, avatarSlot, h('div', {}, title, usage.element)),
      h('div', { class: 'page-head-actions' }, emptyButton)),
    h('p', { class: 'page-note', t: admin ? 'trash.note_admin' : 'trash.note' }));

  const tbody = h('tbody');
  const table = h('table', { class: 'trash-table', data: { table: 'trash' }, 'aria-labelledby': 'trash-title' },
    h('thead', {}, h('tr', {},
      COLUMNS.map(([key, label]) => h('th', { scope: 'col', class: `col-${key}`, t: label })),
      h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'visually-hidden', t: 'trash.col_actions' })))),
    tbody);
  const listArea = h('div', { class: 'list-area' }, table);
  const moreButton = h('button', { type: 'button', class: 'button', data: { action: 'load-more' }, t: 'files.load_more' });
  const listEnd = h('div', { class: 'list-end', data: { listEnd: '' }, hidden: true }, moreButton);
  main.append(h('section', { class: 'card trash-card', 'aria-labelledby': 'trash-title' }, listArea, listEnd));

  const items = new Map(); // id → item, for the items on screen
  let cursor = null;
  let done = false;
  let loading = false;
  let storage = null; // the account's latest figures, for the "empty the trash" question

  tbody.replaceChildren(...skeletonRows());
  moreButton.addEventListener('click', loadPage);
  emptyButton.addEventListener('click', () => guard(null, emptyAll));

  // The storage figures: one's own follow /api/me; a user's come with the admin's list.
  const showStorage = (figures) => {
    storage = figures ?? storage;
    usage.show(storage);
  };
  const readOwner = () => api.listUsers(signal).then((users) => users.find((u) => u.id === userId));
  if (admin) {
    Promise.all([readOwner(), loadPage()]).then(([user]) => {
      if (!user) {
        notFound.mount(main, ctx);
        return;
      }
      const name = user.full_name ? `${user.full_name} (${user.username})` : user.username;
      setText(title, ['trash.title_of', { name }]);
      setTitle(['trash.title_of', { name: user.username }]);
      replaceChildren(avatarSlot, avatarBadge(user, { large: true }));
      showStorage(user.storage);
      main.dataset.page = 'trash';
    }, () => {
      if (signal.aborted) return;
      setText(title, ['trash.title_of', { name: userId }]);
      main.dataset.page = 'trash';
    });
  } else {
    followMyUsage({ show: showStorage }, me, signal);
    refreshMe(); // what was deleted a moment ago counts now
    loadPage().then(() => {
      main.dataset.page = 'trash';
    });
  }

  /** The account's figures changed (a restore, a purge): read them again. */
  function storageChanged() {
    if (!admin) refreshMe();
    else readOwner().then((user) => user && showStorage(user.storage), () => {});
  }

  // -------------------------------------------------------------------------------------
  // The list

  async function loadPage() {
    if (loading || done) return;
    loading = true;
    moreButton.disabled = true;
    const first = cursor === null && items.size === 0;
    try {
      const page = await api.listTrash({ userId, cursor, limit: PAGE, signal });
      if (first) tbody.replaceChildren();
      for (const item of page.items) {
        if (items.has(item.id)) continue;
        items.set(item.id, item);
        tbody.append(row(item));
      }
      cursor = page.next_cursor;
      done = !cursor;
      showState();
    } catch (err) {
      if (signal.aborted) return;
      if (first) showLoadError(err);
      else toast(errorMessage(err), { error: true }); // "Show more" stays to try again
    } finally {
      loading = false;
      moreButton.disabled = false;
    }
  }

  function showState() {
    listEnd.hidden = done;
    emptyButton.disabled = items.size === 0 && done;
    if (items.size === 0 && done) {
      replaceChildren(listArea, h('div', { class: 'empty-state', data: { empty: '' } },
        icon('trash'),
        h('p', { class: 'empty-title', t: 'trash.empty_title' }),
        h('p', { class: 'empty-text', t: 'trash.empty_text' })));
    } else if (!table.isConnected) {
      replaceChildren(listArea, table);
    }
  }

  function showLoadError(err) {
    const message = h('p');
    setText(message, errorMessage(err));
    const retry = h('button', { type: 'button', class: 'button', t: 'common.retry' });
    retry.addEventListener('click', () => {
      replaceChildren(listArea, table);
      loadPage();
    });
    replaceChildren(listArea, h('div', { class: 'load-error', role: 'alert' },
      h('p', { class: 'empty-title', t: 'trash.load_failed' }), message, retry));
  }

  function cell(key, label, ...content) {
    const td = h('td', { class: `col-${key}`, data: { col: key } }, ...content);
    setAttrText(td, 'data-label', [label]);
    return td;
  }

  function dateText(iso) {
    const time = h('time');
    setDateText(time, iso);
    return time;
  }

  function row(item) {
    const [name, from, size, trashed, purge] = COLUMNS.map(([key, label]) => (...content) => cell(key, label, ...content));
    const folder = item.kind === 'folder';
    const sizeText = h('span');
    setSizeText(sizeText, item.size);
    // Where it was, as the breadcrumbs and search show a place: My files › Docs › Work.
    const place = h('span', { class: 'trash-from', title: item.original_path },
      h('span', { t: rootLabel }),
      parentsOf(item).map((step) => [h('span', { class: 'hit-sep', 'aria-hidden': 'true', text: ' › ' }), h('span', { text: step })]));
    const restore = h('button', {
      type: 'button',
      class: 'button button-small',
      data: { action: 'restore' },
      tAttrs: { 'aria-label': ['trash.restore_label', { name: item.name }] },
    }, icon('restore'), h('span', { t: 'trash.restore' }));
    const purgeButton = h('button', {
      type: 'button',
      class: 'button button-icon button-danger-quiet',
      data: { action: 'purge' },
      tAttrs: { 'aria-label': ['trash.purge_label', { name: item.name }], title: ['trash.purge_label', { name: item.name }] },
    }, icon('trash'));
    restore.addEventListener('click', () => guard(item, () => restoreItem(item)));
    purgeButton.addEventListener('click', () => guard(item, () => purgeItem(item)));

    const fromCell = from(place);
    fromCell.dataset.originalPath = item.original_path;
    return h('tr', { data: { trashId: item.id, kind: item.kind } },
      name(h('div', { class: 'cell-name' },
        h('span', { class: folder ? 'file-icon folder-icon' : 'file-icon' }, icon(folder ? 'folder' : 'file')),
        h('span', { class: 'trash-name', text: item.name, title: item.name }))),
      fromCell,
      size(sizeText),
      trashed(dateText(item.trashed_at)),
      purge(dateText(item.purge_at)),
      h('td', { class: 'col-actions' }, h('div', { class: 'row-actions' }, restore, purgeButton)));
  }

  const rowOf = (id) => tbody.querySelector(`tr[data-trash-id="${CSS.escape(id)}"]`);

  /** Takes an item's row away; keyboard users carry on at the next item, not the top. */
  function removeItem(item) {
    const tr = rowOf(item.id);
    items.delete(item.id);
    const active = document.activeElement;
    const hadFocus = tr?.contains(active) || !active || active === document.body;
    const neighbour = tr?.nextElementSibling ?? tr?.previousElementSibling;
    tr?.remove();
    showState();
    if (hadFocus) (neighbour?.querySelector('[data-action="restore"]') ?? main).focus();
  }

  // -------------------------------------------------------------------------------------
  // Actions

  /** Runs an action; an item that has left the trash meanwhile leaves the list too. */
  async function guard(item, work) {
    try {
      await work();
    } catch (err) {
      if (err.name === 'AbortError' || signal.aborted) return;
      if (item && err.code === 'not_found') {
        removeItem(item);
        toast(['trash.gone', { name: item.name }], { error: true });
        return;
      }
      toast(errorMessage(err), { error: true });
    }
  }

  async function restoreItem(item) {
    const answer = await api.restoreFromTrash(item.kind, item.id, userId);
    const restored = answer.file ?? answer.folder;
    removeItem(item);
    storageChanged();
    // Back in its folder, or in the root when that folder is gone (the server decides).
    const parent = (item.kind === 'folder' ? restored.parent_id : restored.folder_id) ?? null;
    const parents = parentsOf(item);
    let message;
    if (parent !== null) message = ['trash.restored_to', { name: restored.name, place: parents.at(-1) ?? '' }];
    else if (parents.length) message = ['trash.restored_to_root_instead', { name: restored.name, place: rootLabel }];
    else message = ['trash.restored_to', { name: restored.name, place: rootLabel }];
    toast(message, { action: { name: 'open-folder', label: 'trash.open_folder', href: folderHref(parent) } });
  }

  async function purgeItem(item) {
    const confirmed = await confirmAction({
      title: ['trash.purge_title'],
      message: [item.kind === 'folder' ? 'trash.purge_text_folder' : 'trash.purge_text', { name: item.name, size: { bytes: item.size } }],
      confirmLabel: 'trash.purge_confirm',
    });
    if (!confirmed) return;
    await api.purgeFromTrash(item.kind, item.id, userId);
    removeItem(item);
    storageChanged();
    toast(['trash.purged', { name: item.name }]);
  }

  async function emptyAll() {
    const trashSize = storage?.trash_size;
    const confirmed = await confirmAction({
      title: ['trash.empty_question'],
      message: trashSize ? ['trash.empty_text_size', { size: { bytes: trashSize } }] : ['trash.empty_text_all'],
      confirmLabel: 'trash.empty_confirm',
    });
    if (!confirmed) return;
    await api.emptyTrash(userId);
    items.clear();
    tbody.replaceChildren();
    cursor = null;
    done = true;
    showState();
    main.focus();
    storageChanged();
    toast(['trash.emptied']);
  }
}

function skeletonRows() {
  return Array.from({ length: 3 }, () =>
    h('tr', { class: 'skeleton-row', 'aria-hidden': 'true' },
      [...COLUMNS.map(([key]) => key), 'actions'].map((key) => h('td', { class: `col-${key}` }, h('span', { class: 'skeleton' })))));
}
