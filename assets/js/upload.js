// Uploads: a queue shown in a tray at the bottom of the screen, each file with a progress
// bar and a cancel button. The tray lives outside the page, so uploads keep going while
// the user moves around the app; whichever file list is showing picks up finished files
// through the UPLOADED event.

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
let tray = null;
let list = null;
let heading = null;

window.addEventListener('beforeunload', (event) => {
  // Leaving the page would cut every upload off: let the browser ask first.
  if (running.size || waiting.length) event.preventDefault();
});

/** Queues `files` for upload with `comment`, into `userId`'s files (admin) or the caller's. */
export function uploadFiles(files, { comment = '', userId = null } = {}) {
  ensureTray();
  for (const file of files) {
    const job = { file, comment, userId, abort: null, view: itemView(file) };
    job.view.button.addEventListener('click', () => cancel(job));
    list.append(job.view.item);
    const problem = rules.fileName(file.name);
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
  tray = h('section', { class: 'upload-tray', 'aria-labelledby': heading.id, hidden: true }, heading, list);
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
  const item = h('li', { class: 'upload-item', data: { uploadItem: '' } },
    h('div', { class: 'upload-line' }, h('span', { class: 'upload-name', text: file.name, title: file.name }), button),
    progress,
    status);
  return { item, status, progress, button };
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
  const request = uploadFile(job.file, { comment: job.comment, userId: job.userId, onProgress: showProgress });
  job.abort = request.abort;
  try {
    finish(job, await request.done);
  } catch (err) {
    if (err.name !== 'AbortError') fail(job, errorMessage(err));
  } finally {
    running.delete(job);
    startNext();
    updateHeading();
  }
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

function fail(job, message) {
  const { item, status, button } = job.view;
  setText(status, message);
  item.classList.add('upload-failed');
  // The error stays until read: the cancel button becomes a dismiss button.
  const dismissLabel = ['upload.dismiss', { name: job.file.name }];
  button.dataset.action = 'dismiss-upload';
  setAttrText(button, 'aria-label', dismissLabel);
  setAttrText(button, 'title', dismissLabel);
}

function cancel(job) {
  const queued = waiting.indexOf(job);
  if (queued >= 0) waiting.splice(queued, 1);
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
}
