// Uploads: a queue of files, each sent through tus (tus.js) and shown in the tray
// (upload-tray.js). The user can pause, resume and cancel each one; a dropped connection
// is waited out and the upload goes on by itself; a name already taken in its folder asks
// "keep both or replace". The tray lives outside the page, so uploads keep going while
// the user moves around the app; whichever folder is showing picks up finished files
// through the UPLOADED event.
//
// A reload stops every upload, but the server keeps what it got: at the start of a
// session the unfinished ones (GET /api/uploads) are listed again, each waiting for its
// file. Choosing the file in the tray, or uploading it again into the same folder, goes
// on from where the server stands.

import * as api from './api.js';
import { errorMessage } from './errors.js';
import * as rules from './rules.js';
import { discardUpload, sendFile } from './tus.js';
import * as memory from './upload-memory.js';
import { addItem, ensureTray, updateTray } from './upload-tray.js';

/** Dispatched on `document` with the stored file as `detail` when an upload finishes. */
export const UPLOADED = 'mycloud:uploaded';

// A few at a time keeps every bar moving without starving the rest of the app.
const PARALLEL = 3;
const DONE_LINGER_MS = 2500;

const jobs = new Set(); // every upload in the tray
const waiting = []; // uploads to start, in order
const running = new Set(); // uploads being sent, or waiting out a failure
const conflicts = new Set(); // uploads refused for a name already taken, awaiting a choice
let account = null; // the signed-in user's id, under which upload-memory keeps its records

window.addEventListener('beforeunload', (event) => {
  // Leaving stops every upload (a reload offers to resume them): let the browser ask first.
  if (running.size || waiting.length) event.preventDefault();
});

/**
 * Queues `files` for upload with `comment` into folder `folderId` (null: the root) of
 * `userId`'s files (admin) or the caller's. `error` (a message) lists them as failed
 * at once, for files whose folder could not be made. A file that is the one an
 * unfinished upload into that folder began with resumes that upload instead.
 */
export function uploadFiles(files, { comment = '', userId = null, folderId = null, error = null } = {}) {
  for (const file of files) {
    const problem = error ?? rules.fileName(file.name);
    const unfinished = !problem && findUnfinished(file, userId, folderId);
    if (unfinished) {
      adopt(unfinished, file);
      continue;
    }
    const job = addJob({ file, name: file.name, size: file.size, comment, userId, folderId });
    if (problem) fail(job, problem);
    else queue(job);
  }
}

/**
 * Starts the uploads of signed-in user `userId`: lists those a reload (or another tab or
 * browser) left unfinished, each waiting for its file to be chosen again.
 */
export async function resumeUnfinishedUploads(userId) {
  account = userId;
  let uploads;
  try {
    uploads = await api.listUploads();
  } catch {
    return; // nothing to offer now; a 401 has ended the session already
  }
  if (account !== userId) return; // signed out meanwhile
  const records = memory.recall(userId);
  const present = new Set([...jobs].filter((job) => job.url).map((job) => memory.uploadId(job.url)));
  memory.keepOnly(userId, [...uploads.map((u) => u.id), ...present]);
  for (const upload of uploads) {
    if (present.has(upload.id)) continue;
    const record = records[upload.id];
    const job = addJob({
      name: upload.filename,
      size: upload.length,
      sent: upload.offset,
      comment: upload.comment,
      folderId: upload.folder_id,
      // Unknown (undefined) when this browser did not start it: matched in any account.
      userId: record ? record.owner : undefined,
      url: new URL(upload.url, window.location.href).pathname,
      modified: record?.modified ?? null,
    });
    needsFile(job);
  }
}

/** Stops every upload and empties the tray (the session has ended). The server keeps the
 * unfinished ones, to be offered again at the next sign-in. */
export function stopAllUploads() {
  for (const job of [...jobs]) {
    letGo(job);
    remove(job);
  }
  account = null;
}

/** A new upload in the tray. `userId`: whose files it goes into (null: one's own;
 * undefined: not known, for an unfinished upload this browser did not start). */
function addJob({ file = null, name, size, sent = 0, comment = '', userId, folderId = null, url = null, modified = null }) {
  ensureTray((how) => [...conflicts].forEach((job) => resolve(job, how)));
  const job = { file, name, size, sent, comment, userId, folderId, url, modified, onConflict: null, state: null, transfer: null, ticker: null, restarted: false };
  job.view = addItem(name, (action, chosen) => act(job, action, chosen));
  job.view.setUploadId(url && memory.uploadId(url));
  jobs.add(job);
  return job;
}

function act(job, action, chosen) {
  switch (action) {
    case 'pause':
      return pause(job);
    case 'resume':
      return queue(job, { first: true });
    case 'cancel':
    case 'discard':
    case 'dismiss':
      discard(job);
      return remove(job);
    case 'keep-both':
      return resolve(job, 'rename');
    case 'replace':
      return resolve(job, 'replace');
    case 'chosen':
      return adopt(job, chosen);
    default:
      return undefined;
  }
}

/** Shows `state` (see upload-tray.js) and, when given, a status message. */
function setState(job, state, status = null) {
  job.state = state;
  clearInterval(job.ticker);
  job.ticker = null;
  job.view.setState(state);
  if (status) job.view.setStatus(status);
  updateHeading();
}

/** The bar, and the status line of the states that show how far the upload is. */
function showProgress(job) {
  const { sent, size } = job;
  job.view.setProgress(sent, size);
  const key = { sending: 'upload.progress', paused: 'upload.paused', 'needs-file': 'upload.needs_file' }[job.state];
  if (!key) return;
  const percent = size ? Math.floor((sent / size) * 100) : 0;
  job.view.setStatus([key, { percent, loaded: { bytes: sent }, total: { bytes: size } }]);
}

function queue(job, { first = false } = {}) {
  if (!job.file || waiting.includes(job) || running.has(job)) return;
  setState(job, 'waiting', ['upload.waiting']);
  if (first) waiting.unshift(job);
  else waiting.push(job);
  startNext();
}

function startNext() {
  while (running.size < PARALLEL && waiting.length) run(waiting.shift());
}

function run(job) {
  running.add(job);
  setState(job, 'sending');
  showProgress(job);
  const transfer = sendFile(job.file, {
    url: job.url,
    endpoint: api.uploadsEndpoint(job.userId),
    metadata: {
      filename: job.name,
      comment: job.comment,
      folder_id: job.folderId,
      on_conflict: job.onConflict,
      filetype: job.file.type,
    },
    onCreated: (url) => {
      job.url = url;
      job.view.setUploadId(memory.uploadId(url));
      memory.remember(account, memory.uploadId(url), { modified: job.file.lastModified, owner: job.userId });
    },
    onProgress: (sent) => {
      if (job.transfer !== transfer) return;
      job.sent = sent;
      if (job.state !== 'sending') setState(job, 'sending');
      showProgress(job);
    },
    onRetry: (delay) => {
      if (job.transfer === transfer) retrying(job, delay);
    },
  });
  job.transfer = transfer;
  transfer.done.then(
    ({ fileId }) => settle(job, transfer) && finish(job, fileId),
    (err) => settle(job, transfer) && refused(job, err),
  );
}

/** The end of a transfer that was not stopped on purpose: its place goes to the next. */
function settle(job, transfer) {
  if (job.transfer !== transfer) return false; // paused or cancelled: let go already
  job.transfer = null;
  running.delete(job);
  startNext();
  return true;
}

/** Stops sending `job` now (the server keeps what it has); false when it was not sending. */
function letGo(job) {
  const index = waiting.indexOf(job);
  if (index >= 0) waiting.splice(index, 1);
  const { transfer } = job;
  if (!transfer) return index >= 0;
  job.transfer = null;
  running.delete(job);
  transfer.stop();
  startNext();
  return true;
}

function pause(job) {
  if (!letGo(job)) return;
  setState(job, 'paused');
  showProgress(job);
}

/** "Connection lost, retrying in 4 s", counting down, then "trying again". */
function retrying(job, delay) {
  setState(job, 'retrying');
  const until = Date.now() + delay;
  const tick = () => {
    const seconds = Math.ceil((until - Date.now()) / 1000);
    job.view.setStatus(seconds > 0 ? ['upload.retrying', { count: seconds }] : ['upload.reconnecting']);
  };
  tick();
  job.ticker = setInterval(tick, 1000); // until the next state
}

async function finish(job, fileId) {
  forgetUpload(job);
  job.sent = job.size;
  job.view.setProgress(1, 1);
  setState(job, 'done', ['upload.done']);
  setTimeout(() => remove(job), DONE_LINGER_MS);
  try {
    document.dispatchEvent(new CustomEvent(UPLOADED, { detail: await api.getFile(fileId) }));
  } catch {
    // Stored all the same: the folder shows it the next time it is read.
  }
}

function refused(job, err) {
  if (err.code === 'name_taken') {
    conflict(job);
  } else if (err.code === 'not_same_file') {
    job.file = null;
    needsFile(job, notSameFile(job, job.name));
  } else if ((err.status === 404 || err.status === 410) && job.url && !job.restarted) {
    // Expired (a day without bytes) or gone: with the file at hand, start it over.
    forgetUpload(job);
    job.restarted = true;
    job.sent = 0;
    queue(job, { first: true });
  } else if (err.code === 'quota_exceeded') {
    fail(job, quotaMessage(job, err), err.code);
  } else {
    fail(job, errorMessage(err), err.code);
  }
}

/** "Not enough space": the file, and the quota the error names (`quota_bytes`). */
function quotaMessage(job, err) {
  const params = { name: job.name, size: { bytes: job.size } };
  if (err.quotaBytes === null) return ['upload.quota_exceeded', params];
  return ['upload.quota_exceeded_of', { ...params, quota: { bytes: err.quotaBytes } }];
}

/** Shows why an upload failed; `code` (the API's error code) goes in `data-upload-error`. */
function fail(job, message, code = 'failed') {
  setState(job, 'failed', message);
  job.view.setError(code);
}

/** The name is taken in that folder: ask whether to keep both or replace. */
function conflict(job) {
  setState(job, 'conflict', ['upload.name_taken', { name: job.name }]);
  job.view.setError('name_taken');
  conflicts.add(job);
  updateHeading();
}

/** Sends a refused upload again with the user's answer (`rename` or `replace`). */
function resolve(job, onConflict) {
  if (!conflicts.delete(job)) return;
  job.view.setError(null);
  job.onConflict = onConflict;
  queue(job);
}

/** An unfinished upload without its file (after a reload): it waits to be given it. */
function needsFile(job, message = null) {
  setState(job, 'needs-file');
  showProgress(job);
  if (message) job.view.setStatus(message);
  job.view.setError(message ? 'not_same_file' : null);
}

/** `file` chosen for an upload waiting for its file: it goes on if it is the same one. */
function adopt(job, file) {
  if (job.state !== 'needs-file') return;
  if (!sameFile(job, file)) {
    needsFile(job, notSameFile(job, file.name));
    return;
  }
  job.file = file;
  job.view.setError(null);
  // Kept from now on, so another reload can check this file too (an owner not known
  // stays unknown: undefined is left out of the record).
  memory.remember(account, memory.uploadId(job.url), { modified: file.lastModified, owner: job.userId });
  queue(job, { first: true });
}

const notSameFile = (job, chosen) => ['upload.not_same_file', { chosen, name: job.name, total: { bytes: job.size } }];

function sameFile(job, file) {
  return file.name === job.name && file.size === job.size && (job.modified === null || job.modified === file.lastModified);
}

/** The unfinished upload (waiting for its file) that `file` uploaded into that folder would continue. */
function findUnfinished(file, userId, folderId) {
  return [...jobs].find((job) => job.state === 'needs-file'
    && (job.folderId ?? null) === (folderId ?? null)
    && (job.userId === undefined || job.userId === userId)
    && sameFile(job, file));
}

/** Cancels the upload on the server too, when it was made there: its bytes go. */
function discard(job) {
  letGo(job);
  if (!job.url) return;
  const { url } = job;
  forgetUpload(job);
  discardUpload(url).catch(() => {
    // Unreachable now: it is listed again after a reload, and expires in a day anyway.
  });
}

function forgetUpload(job) {
  if (job.url) memory.forget(account, memory.uploadId(job.url));
  job.url = null;
}

function remove(job) {
  clearInterval(job.ticker);
  letGo(job);
  conflicts.delete(job);
  jobs.delete(job);
  job.view.item.remove();
  updateHeading();
}

function updateHeading() {
  updateTray({ active: running.size + waiting.length, conflicts: conflicts.size });
}
