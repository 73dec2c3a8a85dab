// Create an account. The server's rules are checked as the user types; registering does
// not log in, so the same credentials log in right after.

import * as api from '../api.js';
import { h, toast } from '../dom.js';
import { clearErrors, field, form, formErrorSlot, liveRules, showApiError, submitButton, whileBusy } from '../forms.js';
import * as rules from '../rules.js';

export function mount(main, { signal, setTitle, startSession, navigate, nextPath }) {
  setTitle(['register.title']);
  const registerForm = form('register', { onSubmit: submit },
    field('register', {
      name: 'username', label: 'fields.username', hint: 'register.username_hint',
      autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', maxlength: '20',
    }),
    field('register', { name: 'full_name', label: 'fields.full_name', autocomplete: 'name', maxlength: '150' }),
    field('register', { name: 'email', label: 'fields.email', type: 'email', autocomplete: 'email', spellcheck: 'false' }),
    field('register', { name: 'password', label: 'fields.password', hint: 'register.password_hint', type: 'password', autocomplete: 'new-password' }),
    formErrorSlot(),
    submitButton('register.submit'));
  const checks = liveRules(registerForm, {
    username: rules.username,
    full_name: rules.fullName,
    email: rules.email,
    password: rules.password,
  });

  main.append(h('section', { class: 'card card-narrow auth-card' },
    h('h1', { t: 'register.heading' }),
    h('p', { class: 'auth-lead', t: 'register.lead' }),
    registerForm,
    h('p', { class: 'auth-switch' },
      h('span', { t: 'register.have_account' }), ' ',
      h('a', { href: `/login${location.search}`, data: { link: '' }, t: 'register.login_link' }))));
  main.dataset.page = 'register';
  registerForm.elements.username.focus();

  async function submit() {
    clearErrors(registerForm);
    if (!checks.validateAll()) return;
    const value = (name) => registerForm.elements[name].value;
    const account = {
      username: value('username').trim(),
      full_name: value('full_name').trim(),
      email: value('email').trim(),
      password: value('password'),
    };
    await whileBusy(registerForm, async () => {
      try {
        await api.register(account);
      } catch (err) {
        if (!signal.aborted) showApiError(registerForm, err);
        return;
      }
      try {
        const { token } = await api.login(account.username, account.password);
        await startSession(token);
        navigate(nextPath(), { replace: true });
      } catch {
        // The account exists; only the automatic login failed (rate limit, network).
        toast(['register.created_log_in']);
        navigate(`/login${location.search}`, { replace: true });
      }
    });
  }
}
