// Uploads: a queue shown in a tray at the bottom of the screen, each file with a progress
// bar and a cancel button; a name already taken in its folder asks "keep both or
// replace". The tray lives outside the page, so uploads keep going while the user moves
// around the app; whichever folder is showing picks up finished files through the
// UPLOADED event.

import { uploadFile } from './api.js';
import { h } from './dom.js';
import { errorMessage } from './errors.js';
import { setAttrText, setText } from './i18n.js';
import { icon } from './icons.js';
import * as rules from './rules.js';

/** Dispatched on `document` with the stored file as `detail` when an upload finishes. */
export const UPLOADED = 'mycloud:uploaded';

// A few at a time keeps every bar moving without starving the rest of the app.
const PARALLEL = 3;
const DONE_LINGER_MS = 2500;

const waiting = [];
const running = new Set();
const conflicts = new Set(); // uploads refused for a name already taken, awaiting a choice
let tray = null;
let list = null;
let heading = null;
let allChoices = null;
let allButtons = []; // [button, label] for keep-both-all and replace-all

window.addEventListener('beforeunload', (event) => {
  // Leaving the page would cut every upload off: let the browser ask first.
  if (running.size || waiting.length) event.preventDefault();
});

/**
 * Queues `files` for upload with `comment` into folder `folderId` (null: the root) of
 * `userId`'s files (admin) or the caller's. `error` (a message) lists them as failed
 * at once, for files whose folder could not be made.
 */
export function uploadFiles(files, { comment = '', userId = null, folderId = null, error = null } = {}) {
  ensureTray();
  for (const file of files) {
    const job = { file, comment, userId, folderId, onConflict: null, abort: null, view: itemView(file) };
    job.view.button.addEventListener('click', () => cancel(job));
    job.view.keepBoth.addEventListener('click', () => resolve(job, 'rename'));
    job.view.replace.addEventListener('click', () => resolve(job, 'replace'));
    list.append(job.view.item);
    const problem = error ?? rules.fileName(file.name);
    if (problem) fail(job, problem);
    else waiting.push(job);
  }
  startNext();
  updateHeading();
}

/** Stops and forgets every upload (the session has ended). */
export function cancelAllUploads() {
  for (const job of [...waiting, ...running]) cancel(job);
}

function ensureTray() {
  if (tray) return;
  heading = h('h2', { class: 'upload-tray-title', id: 'upload-tray-title' });
  list = h('ul', { class: 'upload-list' });
  // With several names taken (a folder uploaded again), one choice can answer them all.
  const all = (how, label) => {
    const button = h('button', { type: 'button', class: 'button button-small', data: { action: `${how}-all` } });
    button.addEventListener('click', () => [...conflicts].forEach((job) => resolve(job, how === 'keep-both' ? 'rename' : 'replace')));
    return [button, label];
  };
  allChoices = h('div', { class: 'upload-choices upload-choices-all', hidden: true });
  allButtons = [all('keep-both', 'upload.keep_both_all'), all('replace', 'upload.replace_all')];
  allChoices.append(...allButtons.map(([button]) => button));
  tray = h('section', { class: 'upload-tray', 'aria-labelledby': heading.id, hidden: true }, heading, allChoices, list);
  document.body.append(tray);
}

/** One upload's row: name, cancel button, progress bar, status line. */
function itemView(file) {
  const status = h('span', { class: 'upload-status', t: 'upload.waiting' });
  const progress = h('progress', { class: 'upload-progress', max: '1', value: '0' });
  setAttrText(progress, 'aria-label', ['upload.progress_label', { name: file.name }]);
  const cancelLabel = ['upload.cancel', { name: file.name }];
  const button = h('button', {
    type: 'button',
    class: 'button button-icon button-small',
    data: { action: 'cancel-upload' },
    tAttrs: { 'aria-label': cancelLabel, title: cancelLabel },
  }, icon('close'));
  // Offered when the name is taken in the folder: upload as "name (1).ext", or over it.
  const choice = (action, label) =>
    h('button', { type: 'button', class: 'button button-small', data: { action }, tAttrs: { 'aria-label': [label, { name: file.name }] }, t: `${label}_short` });
  const keepBoth = choice('keep-both', 'upload.keep_both');
  const replace = choice('replace', 'upload.replace');
  const choices = h('div', { class: 'upload-choices', hidden: true }, keepBoth, replace);
  const item = h('li', { class: 'upload-item', data: { uploadItem: '' } },
    h('div', { class: 'upload-line' }, h('span', { class: 'upload-name', text: file.name, title: file.name }), button),
    progress,
    status,
    choices);
  return { item, status, progress, button, choices, keepBoth, replace };
}

function startNext() {
  while (running.size < PARALLEL && waiting.length) {
    const job = waiting.shift();
    running.add(job);
    run(job);
  }
}

async function run(job) {
  const { status, progress } = job.view;
  const showProgress = (loaded, total) => {
    progress.max = total || 1;
    progress.value = loaded;
    const percent = total ? Math.floor((loaded / total) * 100) : 0;
    setText(status, ['upload.progress', { percent, loaded: { bytes: loaded }, total: { bytes: total } }]);
  };
  showProgress(0, job.file.size);
  const { comment, userId, folderId, onConflict } = job;
  const request = uploadFile(job.file, { comment, userId, folderId, onConflict, onProgress: showProgress });
  job.abort = request.abort;
  try {
    finish(job, await request.done);
  } catch (err) {
    if (err.code === 'name_taken') conflict(job);
    else if (err.code === 'quota_exceeded') fail(job, quotaMessage(job.file, err), err.code);
    else if (err.name !== 'AbortError') fail(job, errorMessage(err), err.code);
  } finally {
    running.delete(job);
    startNext();
    updateHeading();
  }
}

/** "Not enough space": the file, and the quota the error names (`quota_bytes`). */
function quotaMessage(file, err) {
  const params = { name: file.name, size: { bytes: file.size } };
  if (err.quotaBytes === null) return ['upload.quota_exceeded', params];
  return ['upload.quota_exceeded_of', { ...params, quota: { bytes: err.quotaBytes } }];
}

function finish(job, file) {
  const { item, status, progress, button } = job.view;
  progress.max = 1;
  progress.value = 1;
  setText(status, ['upload.done']);
  button.remove();
  item.classList.add('upload-done');
  document.dispatchEvent(new CustomEvent(UPLOADED, { detail: file }));
  setTimeout(() => removeItem(item), DONE_LINGER_MS);
}

/** Shows why an upload failed; `code` (the API's error code) goes in `data-upload-error`. */
function fail(job, message, code = 'failed') {
  const { item, status, button } = job.view;
  setText(status, message);
  item.classList.add('upload-failed');
  item.dataset.uploadError = code;
  // The error stays until read: the cancel button becomes a dismiss button.
  setButton(button, 'dismiss-upload', ['upload.dismiss', { name: job.file.name }]);
}

/** The name is taken in that folder: ask whether to keep both or replace. */
function conflict(job) {
  fail(job, ['upload.name_taken', { name: job.file.name }], 'name_taken');
  job.view.item.classList.add('upload-conflict');
  job.view.choices.hidden = false;
  conflicts.add(job);
}

/** Sends a refused upload again with the user's answer (`rename` or `replace`). */
function resolve(job, onConflict) {
  if (!conflicts.delete(job)) return;
  const { item, choices, button } = job.view;
  choices.hidden = true;
  item.classList.remove('upload-failed', 'upload-conflict');
  delete item.dataset.uploadError;
  setButton(button, 'cancel-upload', ['upload.cancel', { name: job.file.name }]);
  // Keyboard users stay on this upload rather than fall back to the top of the page.
  if (item.contains(document.activeElement)) button.focus();
  job.onConflict = onConflict;
  waiting.push(job);
  startNext();
  updateHeading();
}

function setButton(button, action, label) {
  button.dataset.action = action;
  setAttrText(button, 'aria-label', label);
  setAttrText(button, 'title', label);
}

function cancel(job) {
  const queued = waiting.indexOf(job);
  if (queued >= 0) waiting.splice(queued, 1);
  conflicts.delete(job);
  job.abort?.();
  removeItem(job.view.item);
}

function removeItem(item) {
  item.remove();
  updateHeading();
}

function updateHeading() {
  const active = running.size + waiting.length;
  tray.hidden = list.children.length === 0;
  setText(heading, active ? ['upload.title_active', { count: active }] : ['upload.title']);
  allChoices.hidden = conflicts.size < 2;
  for (const [button, label] of allButtons) setText(button, [label, { count: conflicts.size }]);
}
