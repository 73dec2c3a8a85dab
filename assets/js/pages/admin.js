// Administration: every account with its storage against its quota (the quota edited in
// place, in human units), admin rights, deleting an account, and the way into a user's
// files.

import * as api from '../api.js';
import { avatarBadge } from '../avatar.js';
import { confirmAction, h, replaceChildren, toast } from '../dom.js';
import { errorMessage } from '../errors.js';
import { compareText, setAttrText, setDateText, setSizeText, setText } from '../i18n.js';
import { icon } from '../icons.js';
import { editInPlace } from '../inline-edit.js';
import { exactSize, parseQuota, quotaRule } from '../sizes.js';
import { createUsageBar, usageOf } from '../usage.js';

const COLUMNS = [
  ['username', 'admin.col_username'],
  ['full_name', 'admin.col_full_name'],
  ['email', 'admin.col_email'],
  ['admin', 'admin.col_admin'],
  ['files', 'admin.col_files'],
  ['size', 'admin.col_size'],
  ['quota', 'admin.col_quota'],
  ['last_login', 'admin.col_last_login'],
];

export function mount(main, { me, signal, setTitle, refreshMe }) {
  setTitle(['admin.title']);
  const summary = h('p', { class: 'page-summary' });
  const tbody = h('tbody');
  const table = h('table', { class: 'user-table', data: { table: 'users' } },
    h('thead', {}, h('tr', {},
      COLUMNS.map(([key, label]) => h('th', { scope: 'col', class: `col-${key}`, t: label })),
      h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'visually-hidden', t: 'admin.col_actions' })))),
    tbody);
  const card = h('section', { class: 'card users-card' }, table);
  main.append(h('div', { class: 'page-head' }, h('div', {}, h('h1', { t: 'admin.title' }), summary)), card);

  const users = new Map();
  tbody.replaceChildren(...skeletonRows());
  load();

  async function load() {
    try {
      const list = await api.listUsers(signal);
      list.sort((a, b) => compareText(a.username, b.username));
      for (const user of list) users.set(user.id, user);
      tbody.replaceChildren(...list.map(row));
      showSummary();
    } catch (err) {
      if (signal.aborted) return;
      const message = h('p');
      setText(message, errorMessage(err));
      replaceChildren(card, h('div', { class: 'load-error', role: 'alert' },
        h('p', { class: 'empty-title', t: 'admin.load_failed' }), message));
    }
    main.dataset.page = 'admin';
  }

  function showSummary() {
    const all = [...users.values()];
    setText(summary, ['admin.summary', {
      count: all.length,
      size: { bytes: all.reduce((sum, u) => sum + usageOf(u.storage).used, 0) },
    }]);
  }

  function cell(key, label, ...content) {
    const td = h('td', { class: `col-${key}`, data: { col: key } }, ...content);
    setAttrText(td, 'data-label', [label]);
    return td;
  }

  function row(user) {
    const self = user.id === me().id;
    const [username, fullName, email, admin, files, size, quota, lastLogin] = COLUMNS.map(([key, label]) =>
      (...content) => cell(key, label, ...content));
    let loginText;
    if (user.last_login_at) {
      loginText = h('time');
      setDateText(loginText, user.last_login_at);
    } else {
      loginText = h('span', { class: 'muted', t: 'admin.never_logged_in' });
    }
    const toggle = h('button', {
      type: 'button',
      class: 'switch',
      'aria-pressed': String(user.is_admin),
      data: { action: 'toggle-admin' },
      tAttrs: { 'aria-label': ['admin.toggle_label', { name: user.username }], title: ['admin.toggle_label', { name: user.username }] },
    }, h('span', { class: 'switch-knob' }));
    toggle.addEventListener('click', () => toggleAdmin(user.id, toggle));

    const open = h('a', {
      class: 'button button-small',
      href: `/admin/users/${encodeURIComponent(user.id)}`,
      data: { action: 'open-files', link: '' },
      tAttrs: { 'aria-label': ['admin.open_files_label', { name: user.username }] },
    }, icon('folder'), h('span', { t: 'admin.open_files' }));
    // Deleting yourself would end this session mid-task: another admin has to do it.
    const remove = self ? null : h('button', {
      type: 'button',
      class: 'button button-icon button-danger-quiet',
      data: { action: 'delete-user' },
      tAttrs: { 'aria-label': ['admin.delete_label', { name: user.username }], title: ['admin.delete_label', { name: user.username }] },
    }, icon('trash'));
    remove?.addEventListener('click', () => deleteUser(users.get(user.id)));

    return h('tr', { data: { userId: user.id } },
      username(h('div', { class: 'user-cell' }, avatarBadge(user),
        h('span', { class: 'user-name', text: user.username }),
        self && h('span', { class: 'badge', t: 'admin.you' }))),
      fullName(h('span', { text: user.full_name })),
      email(emailText(user.email ?? '')),
      admin(toggle),
      files(h('span', { text: String(user.file_count) })),
      size(usageCell(user)),
      quota(quotaCell(user)),
      lastLogin(loginText),
      h('td', { class: 'col-actions' }, h('div', { class: 'row-actions' }, open, remove)));
  }

  /** What the account takes (files and trash), the trash's part, and a bar against the quota. */
  function usageCell(user) {
    const { used, trash } = usageOf(user.storage);
    const usedText = h('span', { class: 'usage-used' });
    setSizeText(usedText, used);
    const bar = createUsageBar();
    bar.show(user.storage);
    return h('div', { class: 'usage-cell', data: { level: usageOf(user.storage).level } },
      usedText,
      trash > 0 && h('span', { class: 'usage-trash', t: ['admin.in_trash', { size: { bytes: trash } }] }),
      bar.element);
  }

  /** The quota ("No limit" when there is none) and the button that edits it in place. */
  function quotaCell(user) {
    const bytes = user.storage?.quota_bytes ?? null;
    let shown;
    if (bytes === null) {
      shown = h('span', { class: 'muted', t: 'admin.no_quota' });
    } else {
      shown = h('span', { class: 'quota-value' });
      setSizeText(shown, bytes);
    }
    const edit = h('button', {
      type: 'button',
      class: 'button button-icon button-small',
      data: { action: 'edit-quota' },
      tAttrs: { 'aria-label': ['admin.edit_quota', { name: user.username }], title: ['admin.edit_quota', { name: user.username }] },
    }, icon('edit'));
    const container = h('div', { class: 'cell-edit cell-quota' }, shown, edit);
    edit.addEventListener('click', () => editQuota(user.id, container));
    return container;
  }

  async function editQuota(id, container) {
    const user = users.get(id);
    const outcome = await editInPlace(container, {
      name: 'quota_bytes',
      value: exactSize(user.storage?.quota_bytes ?? null),
      label: ['admin.quota_label', { name: user.username }],
      hint: ['quota.rule'],
      live: true,
      attrs: { autocomplete: 'off', spellcheck: 'false', tAttrs: { placeholder: 'admin.no_quota' } },
      validate: quotaRule,
      save: async (value) => {
        const updated = await api.setQuota(id, parseQuota(value).bytes);
        users.set(id, { ...user, ...updated });
      },
    });
    if (signal.aborted) return;
    const fresh = users.get(id);
    const tr = tbody.querySelector(`tr[data-user-id="${CSS.escape(id)}"]`);
    if (outcome === 'saved' && tr) {
      const redrawn = row(fresh);
      tr.replaceWith(redrawn);
      showSummary();
      toast(['admin.quota_saved', { name: fresh.username }]);
      redrawn.querySelector('[data-action="edit-quota"]')?.focus();
    } else {
      tr?.querySelector('[data-action="edit-quota"]')?.focus();
    }
  }

  async function toggleAdmin(id, toggle) {
    const user = users.get(id);
    const wanted = !user.is_admin;
    const hadFocus = document.activeElement === toggle; // disabling drops focus: give it back
    // Shown at once; put back if the server refuses.
    toggle.setAttribute('aria-pressed', String(wanted));
    toggle.disabled = true;
    try {
      const updated = await api.setAdmin(id, wanted);
      users.set(id, { ...user, ...updated });
      toast([wanted ? 'admin.now_admin' : 'admin.no_longer_admin', { name: user.username }]);
      if (id === me().id) refreshMe(); // gave up one's own rights: the admin pages go
    } catch (err) {
      if (signal.aborted) return;
      toggle.setAttribute('aria-pressed', String(user.is_admin));
      toast(errorMessage(err), { error: true });
    } finally {
      toggle.disabled = false;
      if (hadFocus) toggle.focus();
    }
  }

  async function deleteUser(user) {
    const confirmed = await confirmAction({
      title: ['admin.delete_title'],
      message: ['admin.delete_text', {
        name: user.username,
        full_name: user.full_name,
        count: user.file_count,
        size: { bytes: user.total_size },
      }],
      confirmLabel: 'admin.delete_confirm',
    });
    if (!confirmed) return;
    try {
      await api.deleteUser(user.id);
      tbody.querySelector(`tr[data-user-id="${CSS.escape(user.id)}"]`)?.remove();
      users.delete(user.id);
      showSummary();
      main.focus();
      toast(['admin.deleted', { name: user.username }]);
    } catch (err) {
      if (!signal.aborted) toast(errorMessage(err), { error: true });
    }
  }
}

/** An address that, when the column is narrow, breaks after its @ rather than anywhere. */
function emailText(address) {
  const at = address.indexOf('@');
  if (at < 0) return h('span', { class: 'email', text: address });
  return h('span', { class: 'email' }, address.slice(0, at + 1), h('wbr'), address.slice(at + 1));
}

function skeletonRows() {
  return Array.from({ length: 3 }, () =>
    h('tr', { class: 'skeleton-row', 'aria-hidden': 'true' },
      [...COLUMNS.map(([key]) => key), 'actions'].map((key) => h('td', { class: `col-${key}` }, h('span', { class: 'skeleton' })))));
}
