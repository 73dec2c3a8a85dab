// The signed-in user's own account: picture, full name and email, password.

import * as api from '../api.js';
import { forgetAvatar, initials, setAvatarBlob, avatarUrl } from '../avatar.js';
import { h, toast } from '../dom.js';
import { errorMessage } from '../errors.js';
import { clearErrors, field, form, formErrorSlot, liveRules, showApiError, submitButton, whileBusy } from '../forms.js';
import { setText } from '../i18n.js';
import * as rules from '../rules.js';
import { createUsage, followMyUsage } from '../usage.js';

// What the server takes (src/api/me.rs): checked here first to answer at once.
const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'];
const AVATAR_MAX_BYTES = 2 * 1024 * 1024;

export function mount(main, ctx) {
  const { me, setTitle, refreshMe, signal } = ctx;
  setTitle(['profile.title']);
  const user = me();
  const summary = h('p', { class: 'page-summary', text: `@${user.username}` });
  // Storage against the quota, brought up to date now (it changes with every upload).
  const usage = createUsage({ count: true });
  followMyUsage(usage, me, signal);
  refreshMe();
  main.append(
    h('div', { class: 'page-head' }, h('div', {}, h('h1', { t: 'profile.title' }), summary, usage.element)),
    h('div', { class: 'profile-grid' },
      avatarSection(user, ctx),
      h('div', { class: 'profile-forms' }, detailsSection(user, ctx), passwordSection(user))),
  );
  main.dataset.page = 'profile';
}

function avatarSection(user, { me, useUser, signal }) {
  const image = h('img', { class: 'avatar-preview-image', alt: '', data: { avatar: '' }, hidden: true });
  const placeholder = h('span', { class: 'avatar-preview-initials', 'aria-hidden': 'true', text: initials(user) });
  const error = h('p', { class: 'field-error', data: { errorFor: 'avatar' }, 'aria-live': 'polite' });
  const input = h('input', { id: 'avatar-input', class: 'visually-hidden', type: 'file', name: 'avatar', accept: 'image/*' });
  const remove = h('button', { type: 'button', class: 'button', data: { action: 'remove-avatar' }, t: 'profile.avatar_remove' });
  const actions = h('div', { class: 'avatar-actions' },
    input,
    // The label is the visible control: keyboard focus lands on the input inside it.
    h('label', { for: input.id, class: 'button button-primary file-label', t: 'profile.avatar_choose' }));

  const show = (url) => {
    image.hidden = !url;
    placeholder.hidden = Boolean(url);
    if (url) image.src = url;
    else image.removeAttribute('src');
    if (url) actions.append(remove);
    else remove.remove();
  };
  avatarUrl(user).then((url) => !signal.aborted && show(url));

  input.addEventListener('change', async () => {
    const picture = input.files[0];
    input.value = '';
    setText(error, '');
    if (!picture) return;
    // An unknown type ('') goes to the server, which judges by the bytes.
    if (picture.type && !AVATAR_TYPES.includes(picture.type)) {
      setText(error, ['profile.avatar_type']);
      return;
    }
    if (picture.size > AVATAR_MAX_BYTES) {
      setText(error, ['profile.avatar_too_large', { max: { bytes: AVATAR_MAX_BYTES } }]);
      return;
    }
    const previous = image.hidden ? null : image.src;
    show(URL.createObjectURL(picture)); // at once, so the choice is visible while it uploads
    try {
      const updated = await api.putAvatar(picture);
      URL.revokeObjectURL(image.src);
      show(setAvatarBlob(updated.id, picture));
      useUser(updated);
      toast(['profile.avatar_saved']);
    } catch (err) {
      URL.revokeObjectURL(image.src);
      show(previous);
      setText(error, errorMessage(err));
    }
  });

  remove.addEventListener('click', async () => {
    setText(error, '');
    try {
      await api.deleteAvatar();
      forgetAvatar(user.id);
      show(null);
      useUser({ ...me(), avatar_url: null });
      input.focus();
      toast(['profile.avatar_removed']);
    } catch (err) {
      setText(error, errorMessage(err));
    }
  });

  return h('section', { class: 'card avatar-card', 'aria-labelledby': 'avatar-heading' },
    h('h2', { id: 'avatar-heading', t: 'profile.avatar_heading' }),
    h('div', { class: 'avatar-preview' }, image, placeholder),
    actions,
    h('p', { class: 'field-hint', t: ['profile.avatar_hint', { max: { bytes: AVATAR_MAX_BYTES } }] }),
    error);
}

function detailsSection(user, { useUser }) {
  const details = form('profile', { onSubmit: submit },
    h('p', { class: 'readonly-field' }, h('span', { class: 'readonly-label', t: 'fields.username' }), h('span', { text: user.username })),
    field('profile', { name: 'full_name', label: 'fields.full_name', autocomplete: 'name', value: user.full_name, maxlength: '150' }),
    field('profile', { name: 'email', label: 'fields.email', type: 'email', autocomplete: 'email', value: user.email ?? '', spellcheck: 'false' }),
    formErrorSlot(),
    submitButton('profile.save'));
  const checks = liveRules(details, { full_name: rules.fullName, email: rules.email });

  async function submit() {
    clearErrors(details);
    if (!checks.validateAll()) return;
    await whileBusy(details, async () => {
      try {
        const updated = await api.updateMe({
          full_name: details.elements.full_name.value.trim(),
          email: details.elements.email.value.trim(),
        });
        useUser(updated);
        toast(['profile.saved']);
      } catch (err) {
        showApiError(details, err);
      }
    });
  }

  return h('section', { class: 'card', 'aria-labelledby': 'details-heading' },
    h('h2', { id: 'details-heading', t: 'profile.details_heading' }), details);
}

function passwordSection(user) {
  const passwords = form('password', { onSubmit: submit },
    // For password managers: which account this new password belongs to.
    h('input', { type: 'text', name: 'username', autocomplete: 'username', value: user.username, hidden: true, readonly: true }),
    field('password', { name: 'current_password', label: 'fields.current_password', type: 'password', autocomplete: 'current-password' }),
    field('password', { name: 'new_password', label: 'fields.new_password', type: 'password', autocomplete: 'new-password', hint: 'register.password_hint' }),
    formErrorSlot(),
    submitButton('profile.change_password'));
  const checks = liveRules(passwords, {
    current_password: (value) => (value ? null : ['rules.required']),
    new_password: rules.password,
  });

  async function submit() {
    clearErrors(passwords);
    if (!checks.validateAll()) return;
    await whileBusy(passwords, async () => {
      try {
        await api.changePassword(passwords.elements.current_password.value, passwords.elements.new_password.value);
        passwords.elements.current_password.value = '';
        passwords.elements.new_password.value = '';
        clearErrors(passwords);
        toast(['profile.password_changed']);
      } catch (err) {
        showApiError(passwords, err);
      }
    });
  }

  return h('section', { class: 'card', 'aria-labelledby': 'password-heading' },
    h('h2', { id: 'password-heading', t: 'profile.password_heading' }), passwords);
}
