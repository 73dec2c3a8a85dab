// A share link as a visitor sees it, at /s/{token}: no account needed. A file shows its
// name, size and type, a preview where that is safe and free, and a download button; a
// folder lists what it holds, opens its subfolders (the path inside the share rides in
// the address: /s/{token}?path=a/b, so back, forward and reload work), downloads each file
// and the folder on screen as a zip. A password asks first; a link that no longer opens
// says why. Nothing names the owner or any id: the page only has what /s/{token}/info says.

import * as api from '../api.js';
import { h, replaceChildren, toast } from '../dom.js';
import { errorMessage } from '../errors.js';
import { setAttrText, setDateText, setSizeText, setText } from '../i18n.js';
import { icon } from '../icons.js';
import { addressWith, currentGrant, linkState, stateCard, unlockCard } from '../link-access.js';
import { previewKind } from '../viewer.js';

// Shown inline only when free (no download limit: a preview counts as a download) and
// harmless: raster images, audio and video. Never HTML, SVG or anything a browser runs.
const PREVIEW_IMAGES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif']);

// After a click on a download, the count the server keeps is read again this much later.
const RECOUNT_MS = 1500;

const currentPath = () => new URLSearchParams(location.search).get('path') ?? '';

/** How the share page may show a file of `contentType`: 'image', 'video', 'audio' or null. */
function previewOf(contentType) {
  const type = (contentType || '').split(';')[0].trim().toLowerCase();
  if (PREVIEW_IMAGES.has(type)) return 'image';
  const kind = previewKind(type); // video and audio only when this browser plays them
  return kind === 'video' || kind === 'audio' ? kind : null;
}

export function mount(main, { params: [token], signal, setTitle }) {
  setTitle(['shared.title']);
  let loading = null; // the AbortController of the listing being read
  let recount = null;

  main.classList.add('page-link');
  main.append(loadingCard());
  show({ focus: false });
  signal.addEventListener('abort', () => clearTimeout(recount), { once: true });

  /** Reads the share (at the path in the address) and shows it, or why it cannot be. */
  async function show({ focus }) {
    loading?.abort();
    loading = new AbortController();
    const path = currentPath();
    const read = AbortSignal.any([signal, loading.signal]);
    let info;
    try {
      info = await api.linkInfo('s', token, { grant: currentGrant(), path: path || null, signal: read });
    } catch (err) {
      if (read.aborted) return;
      showProblem(err, path);
      return;
    }
    setTitle(info.name);
    if (info.downloads_left === 0) {
      // The server still describes a used-up link; nothing on it can be downloaded.
      showState('exhausted', stateCard('s', 'exhausted', null, { retry: () => show({ focus: true }) }));
      return;
    }
    if (info.kind === 'file') showFile(info);
    else showFolder(info, path, read);
    if (focus) main.querySelector('h1')?.focus();
  }

  function showState(state, card, { path = null } = {}) {
    replaceChildren(main, card);
    main.dataset.state = state;
    if (path === null) delete main.dataset.path;
    else main.dataset.path = path;
    main.dataset.page = 'shared';
  }

  function showProblem(err, path) {
    const state = linkState(err);
    setTitle([state === 'password' ? 'shared.password_title' : 'shared.title']);
    if (state === 'password') {
      const unlock = unlockCard('s', token, { onUnlocked: () => show({ focus: true }) });
      showState('password', unlock.element);
      unlock.focus();
      return;
    }
    if (state === 'not-found' && path) {
      // The share opens, only not this far: a folder renamed, moved or deleted since.
      const top = h('a', { class: 'button', href: addressWith({}), data: { link: '', crumbPath: '' }, t: 'shared.back_to_top' });
      showState('not-found', h('section', { class: 'card link-card', data: { linkProblem: 'not-found' } },
        h('span', { class: 'link-card-icon' }, icon('alert')),
        h('h1', { t: 'shared.path_gone_title' }),
        h('p', { class: 'link-card-text', t: 'shared.path_gone_text' }),
        top), { path });
      return;
    }
    showState(state, stateCard('s', state, err, { retry: () => show({ focus: true }) }));
  }

  // -------------------------------------------------------------------------------------
  // A shared file

  function showFile(info) {
    const download = downloadButton(api.shareDownloadUrl(token, { grant: currentGrant() }), info);
    const preview = info.downloads_left === null ? previewOf(info.content_type) : null;
    const card = h('section', { class: 'card shared-card', 'aria-labelledby': 'shared-name' },
      head(info, icon(typeIcon(info.content_type))),
      preview && previewElement(preview, info),
      h('div', { class: 'shared-actions' }, download));
    showState('file', card);
  }

  function previewElement(kind, info) {
    const src = api.shareDownloadUrl(token, { inline: true, grant: currentGrant() });
    let media;
    if (kind === 'image') {
      media = h('img', { class: 'shared-image', alt: info.name, src });
      // A picture the browser cannot decode: the download button is still there.
      media.addEventListener('error', () => media.closest('[data-preview]')?.remove(), { once: true });
    } else {
      media = h(kind, { class: kind === 'video' ? 'shared-video' : 'shared-audio', controls: true, preload: 'metadata', src });
    }
    return h('figure', { class: 'shared-preview', data: { preview: kind } }, media);
  }

  /** The name, what it is, and the link's own rules (until when, how many downloads left). */
  function head(info, symbol, extra = null) {
    const facts = [];
    if (info.kind === 'file') {
      const size = h('span');
      setSizeText(size, info.size);
      facts.push(size, h('span', { text: typeLabel(info.content_type) }));
      const uploaded = h('time');
      setDateText(uploaded, info.uploaded_at);
      facts.push(h('span', {}, h('span', { t: 'shared.uploaded' }), ' ', uploaded));
    } else {
      facts.push(h('span', { t: 'shared.folder' }));
    }
    const rules = [];
    if (info.expires_at) {
      const until = h('time');
      setDateText(until, info.expires_at);
      rules.push(h('span', { class: 'shared-rule', data: { expires: '' } }, icon('clock'), h('span', {}, h('span', { t: 'shared.available_until' }), ' ', until)));
    }
    if (info.downloads_left !== null) {
      rules.push(h('span', { class: 'shared-rule', data: { downloadsLeft: String(info.downloads_left) } },
        icon('download'), h('span', { t: ['shared.downloads_left', { count: info.downloads_left }] })));
    }
    return h('div', { class: 'shared-head' },
      h('span', { class: 'file-icon shared-icon' }, symbol),
      h('div', { class: 'shared-title' },
        h('h1', { id: 'shared-name', tabindex: '-1', text: info.name }),
        h('p', { class: 'shared-meta' }, facts.map((fact, i) => [i > 0 && h('span', { 'aria-hidden': 'true', text: ' · ' }), fact])),
        rules.length > 0 && h('p', { class: 'shared-rules' }, rules)),
      extra);
  }

  /** `a[download]` to the bytes: the response is an attachment, the page stays. */
  function downloadButton(href, info) {
    const size = h('span', { class: 'muted-on-primary' });
    setSizeText(size, info.size);
    const link = h('a', { class: 'button button-primary button-large', href, download: true, data: { action: 'download' } },
      icon('download'), h('span', { t: 'shared.download' }), size);
    link.addEventListener('click', counted);
    return link;
  }

  /** A download with a limit used one: the page reads the count again (quietly). */
  function counted() {
    const left = main.querySelector('[data-downloads-left]');
    if (!left) return;
    clearTimeout(recount);
    recount = setTimeout(() => {
      api.linkInfo('s', token, { grant: currentGrant(), path: currentPath() || null, signal }).then((info) => {
        if (info.downloads_left === 0) {
          show({ focus: false });
          return;
        }
        const now = main.querySelector('[data-downloads-left]');
        if (!now) return;
        now.dataset.downloadsLeft = String(info.downloads_left);
        setText(now.lastElementChild, ['shared.downloads_left', { count: info.downloads_left }]);
      }, () => {});
    }, RECOUNT_MS);
  }

  // -------------------------------------------------------------------------------------
  // A shared folder

  function showFolder(info, path, read) {
    const names = info.path; // the folders from the share down to this one
    const zip = h('a', {
      class: 'button',
      href: api.shareDownloadUrl(token, { path: path || null, grant: currentGrant() }),
      download: true,
      data: { action: 'download-zip' },
    }, icon('download'), h('span', { t: names.length ? 'shared.download_folder_zip' : 'shared.download_all_zip' }));
    zip.addEventListener('click', counted);
    const tbody = h('tbody');
    const table = h('table', { class: 'shared-table', data: { table: 'shared' }, 'aria-labelledby': 'shared-name' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', class: 'col-name', t: 'files.col_name' }),
        h('th', { scope: 'col', class: 'col-size', t: 'files.col_size' }),
        h('th', { scope: 'col', class: 'col-uploaded', t: 'files.col_uploaded' }),
        h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'visually-hidden', t: 'files.col_actions' })))),
      tbody);
    const more = h('button', { type: 'button', class: 'button', data: { action: 'load-more' }, t: 'files.load_more' });
    const listEnd = h('div', { class: 'list-end', data: { listEnd: '' }, hidden: true }, more);
    const listArea = h('div', { class: 'list-area' }, table);
    const card = h('section', { class: 'card shared-card', 'aria-labelledby': 'shared-name' },
      head({ ...info, name: names.at(-1) ?? info.name }, icon('folder')),
      h('div', { class: 'folder-bar' }, crumbs(info.name, names), h('div', { class: 'folder-actions' }, zip)),
      listArea,
      listEnd);
    showState('folder', card, { path });

    let cursor = info.next_cursor;
    let count = 0;
    const append = (page) => {
      for (const folder of page.folders) tbody.append(folderRow(folder, names));
      for (const file of page.files) tbody.append(fileRow(file, names));
      count += page.folders.length + page.files.length;
      cursor = page.next_cursor;
      listEnd.hidden = !cursor;
      if (count === 0) {
        replaceChildren(listArea, h('div', { class: 'empty-state', data: { empty: '' } },
          icon('folder'), h('p', { class: 'empty-title', t: 'shared.empty' })));
      }
    };
    append(info);
    more.addEventListener('click', async () => {
      more.disabled = true;
      try {
        append(await api.linkInfo('s', token, { grant: currentGrant(), path: path || null, cursor, signal: read }));
      } catch (err) {
        if (!read.aborted) toast(errorMessage(err), { error: true }); // "Show more" stays to try again
      } finally {
        more.disabled = false;
      }
    });
  }

  /** The way down from the share's top to the folder on screen; nothing above the share. */
  function crumbs(rootName, names) {
    const trail = [rootName, ...names];
    const list = h('ol', { class: 'crumbs' }, trail.map((name, i) => {
      const current = i === trail.length - 1;
      const path = names.slice(0, i).join('/');
      const link = h('a', {
        class: 'crumb',
        href: addressWith({ path: path || null }),
        'aria-current': current ? 'page' : null,
        data: { link: '', crumbPath: path },
      }, i === 0 && icon('folder'), h('span', { text: name }));
      return h('li', {}, i > 0 && h('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, icon('chevron-right')), link);
    }));
    return h('nav', { class: 'breadcrumbs', data: { breadcrumbs: '' }, tAttrs: { 'aria-label': 'shared.location' } }, list);
  }

  function folderRow(folder, names) {
    const path = [...names, folder.name].join('/');
    return h('tr', { class: 'folder-row', data: { entry: 'folder', name: folder.name } },
      h('td', { class: 'col-name', data: { col: 'name' } },
        h('div', { class: 'cell-name' },
          h('span', { class: 'file-icon folder-icon' }, icon('folder')),
          h('a', { class: 'file-name', href: addressWith({ path }), data: { action: 'open', link: '' }, text: folder.name }))),
      h('td', { class: 'col-size', data: { col: 'size' } }),
      h('td', { class: 'col-uploaded', data: { col: 'uploaded' } }),
      h('td', { class: 'col-actions' }));
  }

  function fileRow(file, names) {
    const href = api.shareDownloadUrl(token, { path: [...names, file.name].join('/'), grant: currentGrant() });
    const size = h('span');
    setSizeText(size, file.size);
    const uploaded = h('time');
    setDateText(uploaded, file.uploaded_at);
    const nameLink = h('a', { class: 'file-name', href, download: true, data: { action: 'download' }, text: file.name });
    const button = h('a', { class: 'button button-icon', href, download: true, tabindex: '-1', 'aria-hidden': 'true' }, icon('download'));
    setAttrText(button, 'title', ['files.download_named', { name: file.name }]);
    nameLink.addEventListener('click', counted);
    button.addEventListener('click', counted);
    return h('tr', { data: { entry: 'file', name: file.name } },
      h('td', { class: 'col-name', data: { col: 'name' } },
        h('div', { class: 'cell-name' }, h('span', { class: 'file-icon' }, icon(typeIcon(file.content_type))), nameLink)),
      h('td', { class: 'col-size', data: { col: 'size' } }, size),
      h('td', { class: 'col-uploaded', data: { col: 'uploaded' } }, uploaded),
      h('td', { class: 'col-actions' }, h('div', { class: 'row-actions' }, button)));
  }

  return {
    /** Another folder of the same share (or the same, unlocked): shown in place. */
    update([other]) {
      if (other !== token) return false;
      show({ focus: true });
      return true;
    },
  };
}

function loadingCard() {
  return h('section', { class: 'card shared-card', 'aria-busy': 'true' },
    h('div', { class: 'shared-head' },
      h('span', { class: 'file-icon shared-icon' }),
      h('div', { class: 'shared-title' }, h('span', { class: 'skeleton skeleton-title' }), h('p', { class: 'shared-meta', t: 'common.loading' }))));
}

const TYPE_ICONS = { image: 'image', video: 'video', audio: 'audio', pdf: 'pdf', text: 'text' };

function typeIcon(contentType) {
  if (/zip|tar|gzip|7z|rar|compressed|x-xz|bzip/.test(contentType)) return 'archive';
  return TYPE_ICONS[previewKind(contentType)] ?? 'file';
}

/** The media type without its parameters: "text/plain", not "text/plain; charset=utf-8". */
function typeLabel(contentType) {
  return (contentType || 'application/octet-stream').split(';')[0].trim();
}
