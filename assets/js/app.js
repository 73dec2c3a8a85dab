// Boot, routing and the session: which page a path shows and who may see it, the signed-in
// user (re-read every minute and when the tab comes back), logging in and out.

import * as api from './api.js';
import { forgetAllAvatars } from './avatar.js';
import { h, toast } from './dom.js';
import { markCurrent, renderHeader, setBrandLink } from './header.js';
import { currentLanguage, messageText, onLanguageChange } from './i18n.js';
import { currentToken, forgetToken, loadToken, saveToken } from './session.js';
import { resumeUnfinishedUploads, stopAllUploads } from './upload.js';
import { USER_UPDATED } from './usage.js';
import * as adminPage from './pages/admin.js';
import * as dropPage from './pages/drop.js';
import * as filesPage from './pages/files.js';
import * as loginPage from './pages/login.js';
import * as notFoundPage from './pages/not-found.js';
import * as profilePage from './pages/profile.js';
import * as registerPage from './pages/register.js';
import * as sharedPage from './pages/shared.js';
import * as sharesPage from './pages/shares.js';
import * as trashPage from './pages/trash.js';
import * as userFilesPage from './pages/user-files.js';

// `access`: guest (signed-out visitors; the signed-in go on to their files), user, admin,
// or link: a share or file request link, the same page for anyone, signed in or not.
const ROUTES = [
  { pattern: /^\/login$/, page: loginPage, access: 'guest' },
  { pattern: /^\/register$/, page: registerPage, access: 'guest' },
  { pattern: /^\/s\/([^/]+)$/, page: sharedPage, access: 'link' },
  { pattern: /^\/r\/([^/]+)$/, page: dropPage, access: 'link' },
  { pattern: /^\/files(?:\/([^/]+))?$/, page: filesPage, access: 'user' },
  { pattern: /^\/trash$/, page: trashPage, access: 'user' },
  { pattern: /^\/shares$/, page: sharesPage, access: 'user' },
  { pattern: /^\/profile$/, page: profilePage, access: 'user' },
  { pattern: /^\/admin$/, page: adminPage, access: 'admin' },
  { pattern: /^\/admin\/users\/([^/]+)\/trash$/, page: trashPage, access: 'admin' },
  { pattern: /^\/admin\/users\/([^/]+)(?:\/files\/([^/]+))?$/, page: userFilesPage, access: 'admin' },
];
const NOT_FOUND = { page: notFoundPage, access: 'anyone' };

const ME_REFRESH_MS = 60_000;
// Focus and visibilitychange fire together when a tab comes back: one request is enough.
const ME_REFRESH_MIN_GAP_MS = 5_000;

let me = null;
let page = null; // the AbortController of the page on screen; aborted when it is left
let shown = null; // { page, handle }: the page module on screen and what its mount returned
let title = null;
let lastMeRefresh = 0;

function routeFor(path) {
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    try {
      // An optional part that is absent (the root folder) is null.
      return { ...route, params: match.slice(1).map((p) => (p === undefined ? null : decodeURIComponent(p))) };
    } catch {
      break; // a malformed %-escape names nothing
    }
  }
  return { ...NOT_FOUND, params: [] };
}

/**
 * Where to go after logging in: the `next` query parameter when it is a path on this
 * site (never another origin: `//evil.example` and `/\evil.example` are refused).
 */
function nextPath() {
  const next = new URLSearchParams(location.search).get('next');
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/files';
  const url = new URL(next, location.origin);
  if (url.origin !== location.origin || ['/login', '/register'].includes(url.pathname)) return '/files';
  return url.pathname + url.search + url.hash;
}

function navigate(path, { replace = false } = {}) {
  history[replace ? 'replaceState' : 'pushState'](null, '', path);
  render({ moveFocus: true });
}

function render({ moveFocus }) {
  if (location.pathname === '/') history.replaceState(null, '', '/files');
  const path = location.pathname;
  const route = routeFor(path);
  if ((route.access === 'user' || route.access === 'admin') && !me) {
    navigate(`/login?next=${encodeURIComponent(path + location.search)}`, { replace: true });
    return;
  }
  if (route.access === 'guest' && me) {
    navigate(nextPath(), { replace: true });
    return;
  }
  if (route.access === 'admin' && !me.is_admin) {
    navigate('/files', { replace: true });
    return;
  }

  // A visitor at a link has nowhere else in the app to go: the name is not a link then.
  setBrandLink(!(route.access === 'link' && !me));
  // A viewer or question left open belongs to the place being left (Back was pressed).
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
  // A page that can show the new address itself (another folder of the same file
  // manager) does so in place: the upload comment, the search box and the focus stay.
  if (shown?.page === route.page && shown.handle?.update?.(route.params)) {
    markCurrent(path);
    return;
  }

  page?.abort();
  page = new AbortController();
  // A fresh <main> per page: a slow answer for the page just left cannot touch this one.
  const main = h('main', { class: 'page', id: 'main', tabindex: '-1' });
  document.querySelector('main').replaceWith(main);
  markCurrent(path);
  window.scrollTo(0, 0);
  const handle = route.page.mount(main, {
    signal: page.signal,
    params: route.params,
    me: () => me,
    navigate,
    nextPath,
    setTitle,
    startSession,
    useUser,
    refreshMe,
  });
  shown = { page: route.page, handle };
  // After a click on a link, start reading at the new page (unless it focused a field).
  if (moveFocus && !main.contains(document.activeElement)) main.focus({ preventScroll: true });
}

function setTitle(message) {
  title = message;
  document.title = `${messageText(message)} — ${messageText(['app.name'])}`;
}

// ---------------------------------------------------------------------------------------
// The session

/** Keeps `token` and loads the user it belongs to; the caller navigates on. */
async function startSession(token) {
  await saveToken(token);
  useUser(await api.getMe());
  if (me) resumeUnfinishedUploads(me.id);
}

/**
 * Applies a fresh copy of the signed-in user (fields missing from it, like `storage`
 * after a PATCH, are kept). Admin pages go at once when the admin flag has gone.
 */
function useUser(user) {
  if (!currentToken()) return; // an answer that arrived after logging out
  me = me && me.id === user.id ? { ...me, ...user } : user;
  renderHeader(me, { onLogout: logout });
  document.dispatchEvent(new CustomEvent(USER_UPDATED, { detail: me }));
  if (!me.is_admin && location.pathname.startsWith('/admin')) {
    toast(['session.admin_revoked']);
    navigate('/files', { replace: true });
  }
}

async function refreshMe() {
  if (!currentToken()) return;
  lastMeRefresh = Date.now();
  try {
    useUser(await api.getMe());
  } catch {
    // A 401 has ended the session already; a network hiccup keeps what we know.
  }
}

function refreshMeIfStale() {
  if (document.visibilityState === 'visible' && Date.now() - lastMeRefresh > ME_REFRESH_MIN_GAP_MS) refreshMe();
}

/** Forgets the session here; `keepPage`: the page on screen needs none and stays. */
function signOutLocally({ keepPage = false } = {}) {
  if (!keepPage) {
    page?.abort();
    shown = null;
  }
  stopAllUploads();
  me = null;
  forgetAllAvatars();
  renderHeader(null, { onLogout: logout });
  return forgetToken();
}

/** The server refused the token (expired, logged out elsewhere): back to the login page. */
function sessionEnded() {
  if (!currentToken()) return; // several calls can fail at once; act on the first
  const here = location.pathname + location.search;
  if (routeFor(location.pathname).access === 'link') {
    // A link's page works without a session: it stays, and only the header changes.
    signOutLocally({ keepPage: true });
    setBrandLink(false);
    return;
  }
  signOutLocally();
  toast(['session.expired']);
  navigate(`/login?next=${encodeURIComponent(here)}`, { replace: true });
}

async function logout() {
  try {
    await api.logout();
  } catch {
    // Even if the server cannot be told, this browser forgets the token below.
  }
  await signOutLocally();
  navigate('/login');
}

// ---------------------------------------------------------------------------------------
// Boot

function followLinks(event) {
  const a = event.target.closest('a[data-link]');
  if (!a || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || a.target) return;
  event.preventDefault();
  if (a.pathname + a.search !== location.pathname + location.search) navigate(a.pathname + a.search);
}

function showUnreachable() {
  const main = h('main', { class: 'page', id: 'main', tabindex: '-1' },
    h('section', { class: 'card card-narrow message-card' },
      h('h1', { t: 'errors.unreachable_title' }),
      h('p', { t: 'errors.network' }),
      h('button', { type: 'button', class: 'button button-primary', t: 'common.retry', on: { click: () => location.reload() } })));
  document.querySelector('main').replaceWith(main);
  setTitle(['errors.unreachable_title']);
}

async function boot() {
  document.documentElement.lang = currentLanguage();
  onLanguageChange(() => title && setTitle(title));
  api.onSessionEnd(sessionEnded);
  document.addEventListener('click', followLinks);
  window.addEventListener('popstate', () => render({ moveFocus: true }));
  window.addEventListener('focus', refreshMeIfStale);
  document.addEventListener('visibilitychange', refreshMeIfStale);
  setInterval(refreshMe, ME_REFRESH_MS);

  if (await loadToken()) {
    try {
      me = await api.getMe();
      lastMeRefresh = Date.now();
      resumeUnfinishedUploads(me.id);
    } catch (err) {
      // A link's page needs no session: it opens even when the token is refused or the
      // account cannot be read. Elsewhere a 401 has shown the login page already.
      if (routeFor(location.pathname).access !== 'link') {
        if (err.status !== 401) showUnreachable();
        return;
      }
    }
  }
  renderHeader(me, { onLogout: logout });
  render({ moveFocus: false });
}

boot();
