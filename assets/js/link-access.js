// What the visitor's pages of share links (/s/) and file requests (/r/) have in common:
// the grant that an unlocked password leaves in the address, the password form that
// trades a password for one, and the cards that say why a link does not open. Nothing
// here needs an account, and nothing sends the session's token (see api.js).

import * as api from './api.js';
import { h } from './dom.js';
import { errorMessage } from './errors.js';
import { clearErrors, form, formErrorSlot, showFieldError, whileBusy } from './forms.js';
import { setText } from './i18n.js';
import { icon } from './icons.js';

/** The grant in the address (`?grant=…`), once the link's password has been given. */
export function currentGrant() {
  return new URLSearchParams(location.search).get('grant');
}

/**
 * This page's address with `params` in its query (null values left out), the grant kept
 * last: `/s/TOKEN?path=Photos%2F2024&grant=…`.
 */
export function addressWith(params, grant = currentGrant()) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries({ ...params, grant })) {
    if (value !== null && value !== undefined && value !== '') search.set(name, value);
  }
  const text = search.toString();
  return `${location.pathname}${text ? `?${text}` : ''}`;
}

/**
 * Why a link's page cannot show it, from the error of its `info`: `password`, `not-found`,
 * `expired`, `exhausted` (a share's downloads used up), `full` (a request's limits
 * reached), `throttled` (429), or `error` (anything else: the network, the server).
 */
export function linkState(err) {
  if (err.status === 401) return 'password';
  if (err.status === 404) return 'not-found';
  if (err.status === 429) return 'throttled';
  if (err.code === 'share_expired' || err.code === 'request_expired') return 'expired';
  if (err.code === 'share_exhausted') return 'exhausted';
  if (err.code === 'request_full') return 'full';
  return 'error';
}

/**
 * A card saying why the link does not open (`state` from `linkState`; `link`: 's' or 'r'
 * picks the wording). A wait (429) or a failure offers to try again with `retry`.
 */
export function stateCard(link, state, err, { retry }) {
  const kind = link === 's' ? 'shared' : 'drop';
  const passing = state === 'throttled' || state === 'error'; // may open if tried again
  const key = passing ? 'error' : state.replace('-', '_'); // not-found → shared.not_found_title
  const text = h('p', { class: 'link-card-text' });
  setText(text, passing ? errorMessage(err) : [`${kind}.${key}_text`]);
  const again = passing
    && h('button', { type: 'button', class: 'button', data: { action: 'retry' }, t: 'common.retry', on: { click: retry } });
  return h('section', { class: 'card link-card', data: { linkProblem: state } },
    h('span', { class: 'link-card-icon' }, icon(state === 'not-found' || state === 'error' ? 'alert' : 'clock')),
    h('h1', { tabindex: '-1', t: `${kind}.${key}_title` }),
    text,
    again);
}

/**
 * The password form of a protected link (`link` 's' or 'r', `token`): `<form
 * data-form="unlock">` with a labelled `<input name="password">`. A right password puts
 * the grant into the address (replacing this history entry: the page is the same) and
 * calls `onUnlocked(grant)`; a wrong one, or a wait imposed after too many, says so.
 */
export function unlockCard(link, token, { onUnlocked }) {
  const kind = link === 's' ? 'shared' : 'drop';
  const input = h('input', {
    id: 'unlock-password',
    name: 'password',
    type: 'password',
    // The link's password, not the visitor's own: a password manager should not offer one.
    autocomplete: 'off',
    required: true,
    'aria-describedby': 'unlock-password-error',
  });
  const formEl = form('unlock', { onSubmit: submit },
    h('div', { class: 'field' },
      h('label', { for: input.id, t: 'links.password' }),
      input,
      h('p', { class: 'field-error', id: 'unlock-password-error', data: { errorFor: 'password' }, 'aria-live': 'polite' })),
    formErrorSlot(),
    h('button', { type: 'submit', class: 'button button-primary' }, icon('lock'), h('span', { t: 'links.unlock' })));
  const card = h('section', { class: 'card link-card', data: { linkProblem: 'password' } },
    h('span', { class: 'link-card-icon' }, icon('lock')),
    h('h1', { t: `${kind}.password_title` }),
    h('p', { class: 'link-card-text', t: `${kind}.password_text` }),
    formEl);

  async function submit() {
    clearErrors(formEl);
    if (!input.value) {
      showFieldError(formEl, 'password', ['rules.required']);
      input.focus();
      return;
    }
    let answer;
    try {
      answer = await whileBusy(formEl, () => api.unlockLink(link, token, input.value));
    } catch (err) {
      if (err.code === 'wrong_password') {
        showFieldError(formEl, 'password', ['links.wrong_password']);
        input.select();
      } else {
        setText(formEl.querySelector('[data-form-error]'), errorMessage(err)); // a wait, the network
      }
      input.focus();
      return;
    }
    // The grant rides in the address: a reload, or a link opened in a new tab, still opens.
    const grant = new URL(answer.url, location.origin).searchParams.get('grant');
    history.replaceState(null, '', addressWith(Object.fromEntries(new URLSearchParams(location.search)), grant));
    onUnlocked(grant);
  }

  return { element: card, focus: () => input.focus() };
}
