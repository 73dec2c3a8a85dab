// Log in, then go on to the page that was asked for.

import * as api from '../api.js';
import { h } from '../dom.js';
import { clearErrors, field, form, formErrorSlot, showApiError, showFieldError, submitButton, whileBusy } from '../forms.js';

export function mount(main, { signal, setTitle, startSession, navigate, nextPath }) {
  setTitle(['login.title']);
  const loginForm = form('login', { onSubmit: submit },
    field('login', { name: 'username', label: 'fields.username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' }),
    field('login', { name: 'password', label: 'fields.password', type: 'password', autocomplete: 'current-password' }),
    formErrorSlot(),
    submitButton('login.submit'));

  main.append(h('section', { class: 'card card-narrow auth-card' },
    h('h1', { t: 'login.heading' }),
    h('p', { class: 'auth-lead', t: 'login.lead' }),
    loginForm,
    h('p', { class: 'auth-switch' },
      h('span', { t: 'login.no_account' }), ' ',
      // The path asked for survives a detour through registration.
      h('a', { href: `/register${location.search}`, data: { link: '' }, t: 'login.register_link' }))));
  main.dataset.page = 'login';
  loginForm.elements.username.focus();

  async function submit() {
    clearErrors(loginForm);
    const username = loginForm.elements.username.value.trim();
    const password = loginForm.elements.password.value;
    if (!username) showFieldError(loginForm, 'username', ['rules.required']);
    if (!password) showFieldError(loginForm, 'password', ['rules.required']);
    if (!username || !password) return;
    await whileBusy(loginForm, async () => {
      try {
        const { token } = await api.login(username, password);
        await startSession(token);
        navigate(nextPath(), { replace: true });
      } catch (err) {
        if (signal.aborted) return;
        showApiError(loginForm, err);
        loginForm.elements.password.select();
      }
    });
  }
}
