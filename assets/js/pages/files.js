// "My files": the signed-in user's own folders and files, at /files (the root) and
// /files/{folder id}.

import { h } from '../dom.js';
import { mountFileBrowser } from '../file-browser.js';
import { createUsage, followMyUsage } from '../usage.js';

// After a burst of uploads or deletes, the account's totals are read once.
const SUMMARY_DELAY_MS = 1000;

const folderHref = (id) => (id ? `/files/${encodeURIComponent(id)}` : '/files');

export function mount(main, { me, params: [folderId], signal, setTitle, navigate, refreshMe }) {
  setTitle(['files.title']);
  // The files, their size and the trash against the quota; it follows every fresh /api/me.
  const usage = createUsage({ count: true });
  const head = h('div', { class: 'page-head' }, h('div', {}, h('h1', { t: 'files.title' }), usage.element));
  main.append(head);
  followMyUsage(usage, me, signal);
  let timer = null;
  signal.addEventListener('abort', () => clearTimeout(timer));

  const browser = mountFileBrowser(main, {
    ownerId: me().id,
    folderId,
    signal,
    head,
    rootLabel: ['files.title'],
    folderHref,
    navigate,
    onFolder: (folder) => setTitle(folder ? folder.name : ['files.title']),
    onChange: () => {
      clearTimeout(timer);
      timer = setTimeout(refreshMe, SUMMARY_DELAY_MS);
    },
  });
  browser.ready.then(
    () => {
      main.dataset.page = 'files';
    },
    () => {}, // left before the list arrived: nothing to finish
  );
  // Another folder of the same page: shown in place.
  return {
    update([id]) {
      browser.open(id);
      return true;
    },
  };
}
