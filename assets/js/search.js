// The search box of the folder view and its results: every folder and file whose name or
// comment holds the words typed, each with the path of folders it is in. A folder hit
// opens that folder; a file hit opens the folder the file is in, with the file marked.

import * as api from './api.js';
import { h, replaceChildren } from './dom.js';
import { errorMessage } from './errors.js';
import { setSizeText, setText } from './i18n.js';
import { icon } from './icons.js';

const PAGE = 50;
// Searching as the user types, once they pause: a request per key would be wasted.
const TYPING_PAUSE_MS = 250;

/**
 * Builds the search form and its results. `rootLabel` names the root in paths (a message);
 * `folderHref(id)` is where a folder lives; `onOpenFile(file)` opens the folder of a file
 * hit; `onActive(active)` runs when results start or stop showing (the folder view hides
 * its list meanwhile). Returns `{form, results, clear}`.
 */
export function createSearch({ userId, signal, rootLabel, folderHref, onOpenFile, onActive }) {
  const input = h('input', {
    id: 'search-q',
    type: 'search',
    name: 'q',
    autocomplete: 'off',
    enterkeyhint: 'search',
    tAttrs: { placeholder: 'search.placeholder' },
  });
  const form = h('form', { class: 'search-form', role: 'search', data: { form: 'search' }, novalidate: true },
    h('label', { for: input.id, class: 'visually-hidden', t: 'search.label' }),
    h('span', { class: 'search-icon' }, icon('search')),
    input);
  const heading = h('h2', { id: 'search-heading', class: 'search-heading', 'aria-live': 'polite' });
  const list = h('ul', { class: 'hit-list', 'aria-labelledby': heading.id });
  const more = h('button', { type: 'button', class: 'button', data: { action: 'more-results' }, t: 'search.more' });
  const moreEnd = h('div', { class: 'list-end', hidden: true }, more);
  const results = h('section', { class: 'card search-card', data: { searchResults: '' }, hidden: true },
    heading, list, moreEnd);

  let query = '';
  let cursor = null;
  let request = new AbortController();
  let timer = null;

  function run(q) {
    clearTimeout(timer);
    if (q === query) return;
    query = q;
    request.abort();
    request = new AbortController();
    cursor = null;
    replaceChildren(list);
    moreEnd.hidden = true;
    if (!q.trim()) {
      results.hidden = true;
      onActive(false);
      return;
    }
    results.hidden = false;
    onActive(true);
    setText(heading, ['search.searching', { q }]);
    load(request.signal);
  }

  async function load(requestSignal) {
    let page;
    try {
      page = await api.search(query, { userId, cursor, limit: PAGE, signal: AbortSignal.any([signal, requestSignal]) });
    } catch (err) {
      if (err.name === 'AbortError') return;
      setText(heading, errorMessage(err));
      return;
    }
    list.append(...page.folders.map((folder) => hit('folder', folder)), ...page.files.map((file) => hit('file', file)));
    cursor = page.next_cursor;
    moreEnd.hidden = !cursor;
    const count = list.children.length;
    setText(heading, count
      ? [cursor ? 'search.results_more' : 'search.results', { count, q: query }]
      : ['search.nothing', { q: query }]);
  }

  function hit(kind, item) {
    const where = h('span', { class: 'hit-path', data: { hitPath: '' } },
      h('span', { t: rootLabel }),
      item.path.map((step) => [h('span', { class: 'hit-sep', 'aria-hidden': 'true', text: ' › ' }), h('span', { text: step.name })]));
    let link;
    let details = null;
    if (kind === 'folder') {
      link = h('a', { class: 'hit-name', href: folderHref(item.id), data: { action: 'open', link: '' }, text: item.name });
    } else {
      link = h('a', { class: 'hit-name', href: folderHref(item.folder_id ?? null), data: { action: 'open' }, text: item.name });
      link.addEventListener('click', (event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        onOpenFile(item);
      });
      const size = h('span', { class: 'hit-size' });
      setSizeText(size, item.size);
      details = [size, item.comment && h('span', { class: 'hit-comment', text: item.comment })];
    }
    return h('li', { class: 'hit', data: kind === 'folder' ? { searchHit: '', folderId: item.id } : { searchHit: '', fileId: item.id } },
      h('span', { class: 'file-icon' }, icon(kind === 'folder' ? 'folder' : 'file')),
      h('div', { class: 'hit-main' }, link, h('div', { class: 'hit-details' }, where, details)));
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => run(input.value), TYPING_PAUSE_MS);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    run(input.value);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || !input.value) return;
    event.preventDefault();
    input.value = '';
    run('');
  });
  more.addEventListener('click', () => load(request.signal));
  signal.addEventListener('abort', () => clearTimeout(timer));

  return {
    form,
    results,
    /** Empties the box and hides the results (a hit was opened). */
    clear() {
      input.value = '';
      run('');
    },
  };
}
