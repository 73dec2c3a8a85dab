// The header: product name, navigation for the signed-in user (files, shares, trash, and
// the admin link only for admins), their avatar and name, log out, and the language switch.

import { avatarBadge, avatarVersion } from './avatar.js';
import { h, replaceChildren } from './dom.js';
import { LANGUAGES, currentLanguage, setLanguage } from './i18n.js';
import { icon } from './icons.js';

const header = document.querySelector('[data-app-header]');
const navSlot = h('div', { class: 'nav-slot' });
const languageSwitch = h(
  'select',
  { id: 'lang-switch', name: 'lang', class: 'lang-switch', data: { langSwitch: '' } },
  LANGUAGES.map(([code, name]) => h('option', { value: code, lang: code, text: name })),
);
languageSwitch.value = currentLanguage();
languageSwitch.addEventListener('change', () => setLanguage(languageSwitch.value));

const brand = h('a', { class: 'brand', href: '/files', data: { link: '' } },
  h('img', { class: 'brand-logo', src: '/favicon.svg', alt: '', width: '28', height: '28' }),
  h('span', { t: 'app.name' }));

replaceChildren(
  header,
  h('div', { class: 'header-inner' },
    brand,
    navSlot,
    h('div', { class: 'lang' },
      h('label', { for: languageSwitch.id, class: 'visually-hidden', t: 'nav.language' }),
      languageSwitch)),
);

/** What the header shows of a user; it is rebuilt only when this changes. */
const signature = (me) =>
  me ? JSON.stringify([me.id, me.username, me.full_name, me.is_admin, me.avatar_url, avatarVersion()]) : '';
let shown = null;

/** Shows the navigation for `me` (null: signed out). `onLogout` runs on "Log out". */
export function renderHeader(me, { onLogout }) {
  if (signature(me) === shown) return;
  shown = signature(me);
  if (!me) {
    replaceChildren(navSlot);
    return;
  }
  const link = (nav, href, label, symbol) =>
    h('a', { class: 'nav-link', href, data: { nav, link: '' } }, symbol, h('span', { class: 'nav-label', ...label }));
  const logout = h('button', { type: 'button', class: 'nav-link nav-button', data: { nav: 'logout' } },
    icon('logout'), h('span', { class: 'nav-label', t: 'nav.logout' }));
  logout.addEventListener('click', onLogout);
  replaceChildren(navSlot, h('nav', { class: 'main-nav', tAttrs: { 'aria-label': 'nav.label' } },
    link('files', '/files', { t: 'nav.files' }, icon('folder')),
    link('shares', '/shares', { t: 'nav.shares' }, icon('share')),
    link('trash', '/trash', { t: 'nav.trash' }, icon('trash')),
    me.is_admin && link('admin', '/admin', { t: 'nav.admin' }, icon('users')),
    link('profile', '/profile', { text: me.full_name || me.username }, avatarBadge(me)),
    logout));
  markCurrent(location.pathname);
}

/**
 * Whether the product name links to the app. A signed-out visitor at a share or file
 * request link has no account there: the name is then just a name.
 */
export function setBrandLink(enabled) {
  if (enabled) brand.setAttribute('href', '/files');
  else brand.removeAttribute('href');
}

/** Marks the nav link of the section `path` belongs to with aria-current. */
export function markCurrent(path) {
  const section = ['files', 'shares', 'trash', 'admin', 'profile'].find((name) => path === `/${name}` || path.startsWith(`/${name}/`));
  for (const a of navSlot.querySelectorAll('a[data-nav]')) {
    if (a.dataset.nav === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}
