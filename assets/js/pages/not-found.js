// Any path the app does not know (or a user that no longer exists).

import { h } from '../dom.js';

export function mount(main, { me, setTitle }) {
  setTitle(['not_found.title']);
  main.replaceChildren(
    h('section', { class: 'card card-narrow message-card' },
      h('h1', { t: 'not_found.title' }),
      h('p', { t: 'not_found.text' }),
      h('a', { class: 'button button-primary', href: me() ? '/files' : '/login', data: { link: '' }, t: 'not_found.home' })),
  );
  main.dataset.page = 'not-found';
}
