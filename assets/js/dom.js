// Tiny element helpers, toasts and the confirm dialog.
//
// Everything that comes from users (file names, comments, full names) reaches the page
// as text nodes or attribute values, never as markup: there is no innerHTML here.

import { setAttrText, setText } from './i18n.js';

/**
 * Creates an element. Props:
 *   class, text (plain text), t (a message: key or [key, params], kept translated),
 *   tAttrs ({attribute: message}), data ({name: value} for data-*), on ({event: fn}),
 *   value, and any other attribute (true → present, false/null/undefined → absent).
 * Children are nodes, strings (as text), or arrays of them; null and false are skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    switch (name) {
      case 'class':
        el.className = value;
        break;
      case 'text':
        el.textContent = value;
        break;
      case 't':
        setText(el, Array.isArray(value) ? value : [value]);
        break;
      case 'tAttrs':
        for (const [attr, message] of Object.entries(value)) {
          setAttrText(el, attr, Array.isArray(message) ? message : [message]);
        }
        break;
      case 'data':
        for (const [key, v] of Object.entries(value)) {
          if (v !== null && v !== undefined) el.dataset[key] = v;
        }
        break;
      case 'on':
        for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
        break;
      case 'value':
        el.value = value;
        break;
      default:
        el.setAttribute(name, value === true ? '' : value);
    }
  }
  el.append(...flatten(children));
  return el;
}

function flatten(children) {
  return children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false);
}

/** Replaces the children of `el`. */
export function replaceChildren(el, ...children) {
  el.replaceChildren(...flatten(children));
}

// ---------------------------------------------------------------------------------------
// Toasts

let toastRegion = null;
const MAX_TOASTS = 3;

/**
 * Shows a short message at the bottom of the screen (a message: [key, params] or text).
 * `action` adds one control to it: `{name, label, run}` a button that runs `run()` and
 * closes the message (e.g. Undo), or `{name, label, href}` a link within the app. The
 * control carries `data-action=NAME`. A message with a control stays longer, and stays
 * while the pointer or the focus is on it.
 */
export function toast(message, { error = false, action = null } = {}) {
  if (!toastRegion || !toastRegion.isConnected) {
    // A polite live region that exists before the message, so screen readers announce it.
    toastRegion = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toastRegion);
  }
  const item = h('div', { class: error ? 'toast toast-error' : 'toast', data: { toast: '' } });
  const text = h('span', { class: 'toast-text' });
  setText(text, message);
  item.append(text);
  if (action) item.append(toastAction(action, () => item.remove()));
  item.classList.toggle('toast-with-action', Boolean(action));
  toastRegion.append(item);
  // A burst of actions should not bury the page: the oldest messages give way.
  while (toastRegion.children.length > MAX_TOASTS) toastRegion.firstElementChild.remove();
  // Errors stay longer: they usually need reading, not just noticing; an offer to undo
  // needs time to be taken up.
  const lasts = action ? 10000 : error ? 8000 : 4000;
  let timer = setTimeout(() => item.remove(), lasts);
  const hold = () => clearTimeout(timer);
  const release = () => {
    clearTimeout(timer);
    if (!item.matches(':hover') && !item.contains(document.activeElement)) timer = setTimeout(() => item.remove(), lasts / 2);
  };
  item.addEventListener('pointerenter', hold);
  item.addEventListener('focusin', hold);
  item.addEventListener('pointerleave', release);
  item.addEventListener('focusout', () => setTimeout(release));
}

function toastAction({ name, label, run, href }, close) {
  if (href !== undefined) {
    const link = h('a', { class: 'toast-action', href, data: { action: name, link: '' }, t: label });
    link.addEventListener('click', close);
    return link;
  }
  const button = h('button', { type: 'button', class: 'toast-action', data: { action: name }, t: label });
  button.addEventListener('click', () => {
    close();
    run();
  });
  return button;
}

// ---------------------------------------------------------------------------------------
// Dialogs

/**
 * Shows `dialog` as a modal (focus stays inside, Escape closes) and removes it from the
 * page once closed. Resolves with the dialog's returnValue.
 */
export function showDialog(dialog) {
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue);
    });
    dialog.showModal();
  });
}

/**
 * Asks before something destructive. `title`, `message` and `confirmLabel` are messages;
 * the message should name what will be lost. Resolves true only on an explicit confirm.
 */
export function confirmAction({ title, message, confirmLabel }) {
  const cancel = h('button', {
    type: 'button',
    class: 'button',
    t: 'common.cancel',
    data: { action: 'cancel' },
    autofocus: true, // the safe choice gets focus: Enter by reflex loses nothing
  });
  const confirm = h('button', {
    type: 'button',
    class: 'button button-danger',
    t: confirmLabel,
    data: { action: 'confirm' },
  });
  const dialog = h(
    'dialog',
    { class: 'dialog dialog-confirm', data: { dialog: 'confirm' }, 'aria-labelledby': 'confirm-title' },
    h('h2', { id: 'confirm-title', class: 'dialog-title', t: title }),
    h('p', { class: 'dialog-text', t: message }),
    h('div', { class: 'dialog-buttons' }, cancel, confirm),
  );
  cancel.addEventListener('click', () => dialog.close('cancel'));
  confirm.addEventListener('click', () => dialog.close('confirm'));
  return showDialog(dialog).then((result) => result === 'confirm');
}
