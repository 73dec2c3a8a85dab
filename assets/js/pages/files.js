// "My files": the signed-in user's own files.

import { h } from '../dom.js';
import { mountFileBrowser } from '../file-browser.js';

export function mount(main, { me, signal, setTitle }) {
  setTitle(['files.title']);
  const summary = h('p', { class: 'page-summary' });
  main.append(h('div', { class: 'page-head' }, h('div', {}, h('h1', { t: 'files.title' }), summary)));
  mountFileBrowser(main, { ownerId: me().id, signal, summary }).then(
    () => {
      main.dataset.page = 'files';
    },
    () => {}, // left before the list arrived: nothing to finish
  );
}
