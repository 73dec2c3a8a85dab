// An admin managing one user's files: the same file manager, acting through `?user=`.

import * as api from '../api.js';
import { avatarBadge } from '../avatar.js';
import { h, replaceChildren } from '../dom.js';
import { mountFileBrowser } from '../file-browser.js';
import { setText } from '../i18n.js';
import * as notFound from './not-found.js';

export function mount(main, ctx) {
  const { params: [userId], signal, setTitle } = ctx;
  setTitle(['user_files.title_loading']);
  // The name arrives with the user list; a placeholder of the same height holds its place.
  const title = h('h1', {}, h('span', { class: 'skeleton skeleton-title' }));
  const avatarSlot = h('span', { class: 'page-head-avatar' });
  const summary = h('p', { class: 'page-summary' });
  main.append(h('div', { class: 'page-head' },
    h('a', { class: 'back-link', href: '/admin', data: { link: '' }, t: 'user_files.back' }),
    h('div', { class: 'page-head-user' }, avatarSlot, h('div', {}, title, summary))));

  const owner = api.listUsers(signal).then((users) => users.find((u) => u.id === userId));
  // Stopped on its own when the user turns out not to exist (no drops into nowhere).
  const browser = new AbortController();
  const files = mountFileBrowser(main, { ownerId: userId, userId, signal: AbortSignal.any([signal, browser.signal]), summary });
  Promise.all([owner, files]).then(
    ([user]) => {
      if (!user) {
        browser.abort();
        notFound.mount(main, ctx);
        return;
      }
      const name = user.full_name ? `${user.full_name} (${user.username})` : user.username;
      setText(title, ['user_files.title', { name }]);
      setTitle(['user_files.title', { name: user.username }]);
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
}
