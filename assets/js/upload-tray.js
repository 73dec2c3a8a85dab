// The upload tray at the bottom of the screen, and each upload's entry in it: the name,
// a pause/resume button and a cancel button, the bar, the status line, and the choices a
// state asks for ("keep both" or "replace" for a taken name, "choose file" for an upload
// left unfinished by a reload). Which state an upload is in, and what a click does, is
// upload.js's business; this module only shows it.

import { h } from './dom.js';
import { setAttrText, setText } from './i18n.js';
import { icon } from './icons.js';

// Per state: the toggle button (pause or resume), what the close button does and says,
// which choices show, and the class that colours the entry.
const STATES = {
  waiting: { toggle: 'pause', close: 'cancel' },
  sending: { toggle: 'pause', close: 'cancel' },
  retrying: { toggle: 'pause', close: 'cancel', look: 'upload-retrying' },
  paused: { toggle: 'resume', close: 'cancel', look: 'upload-paused' },
  'needs-file': { close: 'discard', choose: true, look: 'upload-paused' },
  conflict: { close: 'dismiss', conflict: true, look: 'upload-failed upload-conflict' },
  failed: { close: 'dismiss', look: 'upload-failed' },
  done: { look: 'upload-done' },
};

// [data-action, label key] of the toggle and close buttons.
const TOGGLES = { pause: ['pause-upload', 'upload.pause', 'pause'], resume: ['resume-upload', 'upload.resume', 'play'] };
const CLOSES = {
  cancel: ['cancel-upload', 'upload.cancel'],
  discard: ['cancel-upload', 'upload.discard'],
  dismiss: ['dismiss-upload', 'upload.dismiss'],
};

let tray = null;
let heading = null;
let list = null;
let allChoices = null;
let allButtons = []; // [button, label key] of keep-both-all and replace-all

/** Puts the (hidden) tray in the page once; `onAll('rename'|'replace')` answers every taken name. */
export function ensureTray(onAll) {
  if (tray) return;
  heading = h('h2', { class: 'upload-tray-title', id: 'upload-tray-title' });
  list = h('ul', { class: 'upload-list' });
  // With several names taken (a folder uploaded again), one choice can answer them all.
  const all = (action, how, label) => {
    const button = h('button', { type: 'button', class: 'button button-small', data: { action } });
    button.addEventListener('click', () => onAll(how));
    return [button, label];
  };
  allChoices = h('div', { class: 'upload-choices upload-choices-all', hidden: true });
  allButtons = [all('keep-both-all', 'rename', 'upload.keep_both_all'), all('replace-all', 'replace', 'upload.replace_all')];
  allChoices.append(...allButtons.map(([button]) => button));
  tray = h('section', { class: 'upload-tray', 'aria-labelledby': heading.id, hidden: true }, heading, allChoices, list);
  document.body.append(tray);
}

/** Redraws the title and the answer-all choices; hides the tray when it holds nothing. */
export function updateTray({ active, conflicts }) {
  if (!tray) return;
  tray.hidden = list.children.length === 0;
  setText(heading, active ? ['upload.title_active', { count: active }] : ['upload.title']);
  allChoices.hidden = conflicts < 2;
  for (const [button, label] of allButtons) setText(button, [label, { count: conflicts }]);
}

/**
 * A new entry for the upload of `name`, appended to the tray. `onAction(action, file)`
 * hears the user: pause, resume, cancel, discard, dismiss, keep-both, replace, and
 * `chosen` with the file picked through "choose file".
 */
export function addItem(name, onAction) {
  const status = h('span', { class: 'upload-status' });
  const progress = h('progress', { class: 'upload-progress', max: '1', value: '0' });
  setAttrText(progress, 'aria-label', ['upload.progress_label', { name }]);
  const toggle = h('button', { type: 'button', class: 'button button-icon button-small' });
  const close = h('button', { type: 'button', class: 'button button-icon button-small' }, icon('close'));
  const choice = (action, label) =>
    h('button', { type: 'button', class: 'button button-small', data: { action }, tAttrs: { 'aria-label': [label, { name }] }, t: `${label}_short` });
  const keepBoth = choice('keep-both', 'upload.keep_both');
  const replace = choice('replace', 'upload.replace');
  const choose = choice('choose-file', 'upload.choose_file');
  // The button is the control; this input only holds the choice.
  const input = h('input', { type: 'file', class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true', data: { resumeInput: '' } });
  const choices = h('div', { class: 'upload-choices' }, keepBoth, replace, choose, input);
  const item = h('li', { class: 'upload-item', data: { uploadItem: '' } },
    h('div', { class: 'upload-line' }, h('span', { class: 'upload-name', text: name, title: name }), toggle, close),
    progress,
    status,
    choices);

  let state = null;
  toggle.addEventListener('click', () => onAction(STATES[state].toggle));
  close.addEventListener('click', () => onAction(STATES[state].close));
  keepBoth.addEventListener('click', () => onAction('keep-both'));
  replace.addEventListener('click', () => onAction('replace'));
  choose.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    const [file] = input.files;
    input.value = ''; // so choosing the same file again is seen again
    if (file) onAction('chosen', file);
  });
  list.append(item);

  return {
    item,
    /** Shows `next` (a key of STATES), keeping a keyboard user's focus in the entry. */
    setState(next) {
      const hadFocus = item.contains(document.activeElement);
      state = next;
      const shape = STATES[next];
      item.dataset.uploadState = next;
      item.className = `upload-item ${shape.look ?? ''}`.trim();
      toggle.hidden = !shape.toggle;
      if (shape.toggle) {
        const [action, label, picture] = TOGGLES[shape.toggle];
        setButton(toggle, action, [label, { name }]);
        toggle.replaceChildren(icon(picture));
      }
      close.hidden = !shape.close;
      if (shape.close) setButton(close, CLOSES[shape.close][0], [CLOSES[shape.close][1], { name }]);
      keepBoth.hidden = !shape.conflict;
      replace.hidden = !shape.conflict;
      choose.hidden = !shape.choose;
      choices.hidden = !shape.conflict && !shape.choose;
      if (hadFocus && !visibleFocus(item)) {
        [choose, keepBoth, toggle, close].find((b) => !b.hidden && !b.closest('[hidden]'))?.focus();
      }
    },
    setStatus(message) {
      setText(status, message);
    },
    setProgress(sent, total) {
      progress.max = total || 1;
      progress.value = total ? sent : 0;
    },
    /** `code`: the API's error code for `data-upload-error`, or null when there is none. */
    setError(code) {
      if (code) item.dataset.uploadError = code;
      else delete item.dataset.uploadError;
    },
    /** The tus upload's id, once the server has made it (`data-upload-id`). */
    setUploadId(id) {
      if (id) item.dataset.uploadId = id;
      else delete item.dataset.uploadId;
    },
  };
}

function setButton(button, action, label) {
  button.dataset.action = action;
  setAttrText(button, 'aria-label', label);
  setAttrText(button, 'title', label);
}

function visibleFocus(item) {
  const focused = document.activeElement;
  return item.contains(focused) && !focused.closest('[hidden]') && focused.dataset.resumeInput === undefined;
}
