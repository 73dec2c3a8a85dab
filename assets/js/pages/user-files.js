// An admin managing one user's files: the same folder view, acting through `?user=`, at
// /admin/users/{id} (their root) and /admin/users/{id}/files/{folder id}.

import * as api from '../api.js';
import { avatarBadge } from '../avatar.js';
import { h, replaceChildren } from '../dom.js';
import { mountFileBrowser } from '../file-browser.js';
import { setText } from '../i18n.js';
import { icon } from '../icons.js';
import { createUsage } from '../usage.js';
import * as notFound from './not-found.js';

const SUMMARY_DELAY_MS = 1000;

export function mount(main, ctx) {
  const { params: [userId, folderId], signal, setTitle, navigate } = ctx;
  setTitle(['user_files.title_loading']);
  // The name arrives with the user list; a placeholder of the same height holds its place.
  const title = h('h1', {}, h('span', { class: 'skeleton skeleton-title' }));
  const avatarSlot = h('span', { class: 'page-head-avatar' });
  const usage = createUsage({ count: true });
  const base = `/admin/users/${encodeURIComponent(userId)}`;
  const trashLink = h('a', { class: 'button', href: `${base}/trash`, data: { action: 'open-trash', link: '' } },
    icon('trash'), h('span', { t: 'user_files.trash' }));
  const head = h('div', { class: 'page-head' },
    h('a', { class: 'back-link', href: '/admin', data: { link: '' }, t: 'user_files.back' }),
    h('div', { class: 'page-head-user' }, avatarSlot, h('div', {}, title, usage.element)),
    h('div', { class: 'page-head-actions' }, trashLink));
  main.append(head);

  const folderHref = (id) => (id ? `${base}/files/${encodeURIComponent(id)}` : base);
  let name = null;
  let folderName = null;
  const showTitle = () => {
    if (name) setTitle(folderName ?? ['user_files.title', { name }]);
  };
  const readOwner = () => api.listUsers(signal).then((users) => users.find((u) => u.id === userId));
  const showSummary = (user) => usage.show(user.storage);
  let timer = null;
  signal.addEventListener('abort', () => clearTimeout(timer));

  // Stopped on its own when the user turns out not to exist (no drops into nowhere).
  const stop = new AbortController();
  const browser = mountFileBrowser(main, {
    ownerId: userId,
    userId,
    folderId,
    signal: AbortSignal.any([signal, stop.signal]),
    head,
    rootLabel: ['user_files.root'],
    folderHref,
    navigate,
    onFolder: (folder) => {
      folderName = folder?.name ?? null;
      showTitle();
    },
    onChange: () => {
      clearTimeout(timer);
      timer = setTimeout(() => readOwner().then((user) => user && showSummary(user), () => {}), SUMMARY_DELAY_MS);
    },
  });
  Promise.all([readOwner(), browser.ready]).then(
    ([user]) => {
      if (!user) {
        stop.abort();
        notFound.mount(main, ctx);
        return;
      }
      name = user.username;
      setText(title, ['user_files.title', { name: user.full_name ? `${user.full_name} (${user.username})` : user.username }]);
      showTitle();
      showSummary(user);
      replaceChildren(avatarSlot, avatarBadge(user, { large: true }));
      main.dataset.page = 'user-files';
    },
    () => {
      if (signal.aborted) return;
      // The user list failed while the files loaded: the page works, only unnamed.
      setText(title, ['user_files.title', { name: userId }]);
      main.dataset.page = 'user-files';
    },
  );
  return {
    update([id, folder]) {
      if (id !== userId) return false; // another user: a page of its own
      browser.open(folder);
      return true;
    },
  };
}
