// "Move to…": a dialog that walks the folder tree, one folder at a time, so the user
// can pick where an entry goes with the keyboard alone. It is also what drag and drop
// does with a mouse.

import * as api from './api.js';
import { h, replaceChildren, showDialog } from './dom.js';
import { errorMessage } from './errors.js';
import { setText } from './i18n.js';
import { icon } from './icons.js';

// Folders come before files in a listing, so a page of this size nearly always holds
// every subfolder there is; "Show more" fetches the rest.
const PAGE = 1000;

/**
 * Asks where `entry` ({kind, item}) should go, starting in folder `startId` (null: the
 * root). `rootLabel` names the root (a message). Resolves `{id, name}` of the chosen
 * folder (id null and name `rootLabel` for the root), or null when cancelled.
 */
export function chooseFolder({ entry, startId, userId, rootLabel }) {
  const { kind, item } = entry;
  const from = kind === 'folder' ? item.parent_id ?? null : item.folder_id ?? null;
  const title = h('h2', { id: 'move-title', class: 'dialog-title', t: ['move.title', { name: item.name }] });
  const crumbs = h('ol', { class: 'crumbs move-crumbs' });
  const list = h('ul', { class: 'move-list', 'aria-labelledby': 'move-here-label' });
  const status = h('p', { class: 'move-status', role: 'status' });
  const more = h('button', { type: 'button', class: 'button button-small', t: 'files.load_more', hidden: true });
  const cancel = h('button', { type: 'button', class: 'button', t: 'common.cancel', data: { action: 'cancel' } });
  const moveHere = h('button', { type: 'button', class: 'button button-primary', t: 'move.here', data: { action: 'move-here' } });
  const dialog = h('dialog', { class: 'dialog dialog-move', data: { dialog: 'move' }, 'aria-labelledby': title.id },
    title,
    h('nav', { class: 'move-location', tAttrs: { 'aria-label': 'move.location' } }, crumbs),
    h('p', { id: 'move-here-label', class: 'visually-hidden', t: 'move.subfolders' }),
    list, status, more,
    h('div', { class: 'dialog-buttons' }, cancel, moveHere));

  let here = { id: startId, name: null, path: [] };
  let cursor = null;
  let loading = new AbortController();
  let chosen = null;

  /** Shows folder `id`'s subfolders; `focusList`: the keyboard carries on in the list. */
  async function go(id, { focusList = false } = {}) {
    loading.abort();
    loading = new AbortController();
    here = { id, name: null, path: [] };
    cursor = null;
    replaceChildren(list);
    setText(status, ['common.loading']);
    more.hidden = true;
    moveHere.disabled = true;
    await loadPage(loading.signal, { focusList });
  }

  async function loadPage(signal, { focusList = false } = {}) {
    let page;
    try {
      page = await api.folderContents(here.id, { userId, cursor, sort: 'name', order: 'asc', limit: PAGE, signal });
    } catch (err) {
      if (err.name === 'AbortError') return;
      setText(status, errorMessage(err));
      return;
    }
    if (!cursor) {
      here = { id: here.id, name: page.folder?.name ?? null, path: page.path };
      showCrumbs();
    }
    const items = page.folders.map((folder) => folderItem(folder));
    list.append(...items);
    // Folders come first: a page that holds files has shown every folder there is.
    cursor = page.files.length ? null : page.next_cursor;
    more.hidden = !cursor;
    setText(status, list.children.length ? '' : ['move.no_subfolders']);
    // Moving to where it is already does nothing: offer it only elsewhere.
    moveHere.disabled = here.id === from;
    if (focusList) (list.querySelector('button:not(:disabled)') ?? (moveHere.disabled ? cancel : moveHere)).focus();
  }

  function folderItem(folder) {
    // A folder cannot go into itself (nor below it): its own entry is shown, not offered.
    const itself = kind === 'folder' && folder.id === item.id;
    const button = h('button', {
      type: 'button',
      class: 'move-folder',
      disabled: itself,
      data: { moveFolder: folder.id },
      tAttrs: { title: ['move.open', { name: folder.name }] },
    }, icon('folder'), h('span', { class: 'move-folder-name', text: folder.name }), icon('chevron-right'));
    button.addEventListener('click', () => go(folder.id, { focusList: true }));
    return h('li', {}, button);
  }

  function showCrumbs() {
    const trail = [{ id: null, name: null }, ...here.path];
    replaceChildren(crumbs, trail.map((step, i) => {
      const last = i === trail.length - 1;
      const props = {
        type: 'button',
        class: 'crumb',
        data: { moveCrumb: step.id ?? 'root' },
        'aria-current': last ? 'location' : null,
      };
      const button = step.id
        ? h('button', { ...props, text: step.name })
        : h('button', props, icon('home'), h('span', { t: rootLabel }));
      button.addEventListener('click', () => go(step.id, { focusList: true }));
      return h('li', {}, i > 0 && h('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, icon('chevron-right')), button);
    }));
  }

  more.addEventListener('click', () => loadPage(loading.signal, { focusList: false }));
  cancel.addEventListener('click', () => dialog.close('cancel'));
  moveHere.addEventListener('click', () => {
    chosen = { id: here.id, name: here.id ? here.name : rootLabel };
    dialog.close('move');
  });

  const closed = showDialog(dialog).then((result) => {
    loading.abort();
    return result === 'move' ? chosen : null;
  });
  go(startId, { focusList: true });
  cancel.focus(); // until the list is there
  return closed;
}
