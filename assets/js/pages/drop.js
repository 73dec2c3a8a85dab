// A file request as a visitor sees it, at /r/{token}: no account needed. The visitor may
// sign with a name, chooses or drops files, and each goes up on its own request with its
// own progress bar and, at the end, its own outcome (sent, or why not). Nothing of what
// the folder holds is ever shown or even asked for: the server answers a drop with the
// name and size as sent, and that is all the page knows.

import * as api from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { errorMessage } from '../errors.js';
import { setAttrText, setDateText, setSizeText, setText } from '../i18n.js';
import { icon } from '../icons.js';
import { currentGrant, linkState, stateCard, unlockCard } from '../link-access.js';
import * as rules from '../rules.js';

/** Files sent at once: enough to keep the line busy, few enough to see each one move. */
const PARALLEL = 2;
/** The server's bound on the visitor's name (src/api/requests.rs). */
const MAX_FROM_CHARS = 100;

export function mount(main, { params: [token], signal, setTitle }) {
  setTitle(['drop.title']);
  main.classList.add('page-link');
  main.append(h('section', { class: 'card drop-card', 'aria-busy': 'true' }, h('p', { class: 'muted', t: 'common.loading' })));

  const jobs = []; // every file chosen, in order: {file, from, view, state, abort}
  let left = null; // what the link still takes: {files, bytes} (null: no limit), as far as the page knows
  let closed = null; // why the link takes nothing more ('full', 'expired'), once the server said so
  let limitsText = null;
  let chooser = null;
  let jobsList = null;

  window.addEventListener('beforeunload', (event) => {
    // Leaving would cut the files on their way off.
    if (jobs.some((job) => job.state === 'sending' || job.state === 'waiting')) event.preventDefault();
  }, { signal });
  signal.addEventListener('abort', () => jobs.forEach((job) => job.abort?.()), { once: true });
  load();

  async function load() {
    let info;
    try {
      info = await api.linkInfo('r', token, { grant: currentGrant(), signal });
    } catch (err) {
      if (signal.aborted) return;
      const state = linkState(err);
      if (state === 'password') {
        setTitle(['drop.password_title']);
        const unlock = unlockCard('r', token, { onUnlocked: load });
        showState('password', unlock.element);
        unlock.focus();
      } else {
        showState(state, stateCard('r', state, err, { retry: load }));
      }
      return;
    }
    setTitle(info.label || ['drop.title']);
    left = { files: info.files_left, bytes: info.bytes_left };
    showOpen(info);
  }

  function showState(state, card) {
    replaceChildren(main, card);
    main.dataset.state = state;
    main.dataset.page = 'drop';
  }

  // -------------------------------------------------------------------------------------
  // The open link: who is sending, the files, and how each one went

  function showOpen(info) {
    const from = h('input', {
      id: 'drop-from',
      name: 'from',
      type: 'text',
      autocomplete: 'name',
      maxlength: String(MAX_FROM_CHARS),
      'aria-describedby': 'drop-from-hint drop-from-error',
    });
    const input = h('input', {
      id: 'drop-input',
      class: 'visually-hidden',
      type: 'file',
      name: 'file',
      multiple: true,
      tabindex: '-1', // the button is the control; this input only holds the choice
      data: { dropInput: '' },
    });
    chooser = h('button', { type: 'submit', class: 'button button-primary button-large', data: { action: 'choose-files' } },
      icon('upload'), h('span', { t: 'drop.choose' }));
    const formEl = h('form', { class: 'form drop-form', data: { form: 'drop' }, novalidate: true },
      h('div', { class: 'field' },
        h('label', { for: from.id, t: 'drop.from' }),
        from,
        h('p', { class: 'field-hint', id: 'drop-from-hint', t: 'drop.from_hint' }),
        h('p', { class: 'field-error', id: 'drop-from-error', data: { errorFor: 'from' }, 'aria-live': 'polite' })),
      h('div', { class: 'drop-zone', data: { dropZone: '' } },
        icon('upload'),
        h('p', { class: 'drop-zone-text', t: 'drop.zone' }),
        input,
        chooser));
    // The button opens the file chooser; Enter in the name field does the same.
    formEl.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!fromProblem(formEl, from)) input.click();
    });
    from.addEventListener('input', () => fromProblem(formEl, from));
    input.addEventListener('change', () => {
      if (!fromProblem(formEl, from)) queue([...input.files], from.value.trim());
      input.value = ''; // the same file chosen again is sent again
    });
    limitsText = h('p', { class: 'drop-limits', data: { limits: '' } });
    const list = h('ul', { class: 'drop-list', data: { dropList: '' }, tAttrs: { 'aria-label': 'drop.list_label' } });
    const card = h('section', { class: 'card drop-card', 'aria-labelledby': 'drop-title' },
      h('div', { class: 'shared-head' },
        h('span', { class: 'file-icon shared-icon' }, icon('inbox')),
        h('div', { class: 'shared-title' },
          h('h1', { id: 'drop-title', tabindex: '-1', ...(info.label ? { text: info.label } : { t: 'drop.title' }) }),
          h('p', { class: 'shared-meta', t: 'drop.lead' }))),
      limitsText,
      formEl,
      list);
    showState('open', card);
    showLimits(info.expires_at);
    acceptDrops(formEl, from, list);
    jobsList = list;
  }

  /** What the link still takes, as far as the page knows; closed once it takes nothing. */
  function showLimits(expiresAt = limitsText?.dataset.expires ?? null) {
    if (!limitsText) return;
    if (expiresAt) limitsText.dataset.expires = expiresAt;
    if (left.files === 0 || left.bytes === 0) closed ??= 'full';
    const parts = [];
    if (closed) {
      parts.push(h('strong', { t: closed === 'expired' ? 'drop.now_expired' : 'drop.now_full' }));
    } else {
      if (left.files !== null) parts.push(h('span', { t: ['drop.files_left', { count: left.files }] }));
      if (left.bytes !== null) parts.push(h('span', { t: ['drop.bytes_left', { size: { bytes: left.bytes } }] }));
      if (expiresAt) {
        const until = h('time');
        setDateText(until, expiresAt);
        parts.push(h('span', {}, h('span', { t: 'drop.open_until' }), ' ', until));
      }
      if (!parts.length) parts.push(h('span', { t: 'drop.no_limits' }));
    }
    replaceChildren(limitsText, parts.map((part, i) => [i > 0 && h('span', { 'aria-hidden': 'true', text: ' · ' }), part]));
    if (chooser) chooser.disabled = Boolean(closed);
    main.dataset.closed = closed ?? '';
  }

  // -------------------------------------------------------------------------------------
  // Sending

  function queue(files, from) {
    for (const file of files) {
      const job = { file, from, view: itemView(file), state: 'waiting', abort: null };
      jobs.push(job);
      jobsList.append(job.view.item);
      const problem = rules.fileName(file.name);
      if (problem) fail(job, problem, 'invalid');
    }
    next();
  }

  function next() {
    const sending = jobs.filter((job) => job.state === 'sending');
    for (const job of jobs) {
      if (sending.length >= PARALLEL) return;
      if (job.state !== 'waiting') continue;
      // What the page already knows cannot go is refused here, without sending a byte.
      if (closed) {
        fail(job, [closed === 'expired' ? 'drop.error_expired' : 'drop.error_full'], `request_${closed}`);
        continue;
      }
      const busyBytes = sending.reduce((sum, other) => sum + other.file.size, 0);
      if (left.files !== null && left.files - sending.length <= 0) {
        if (sending.length) return; // one on its way may yet fail and free its place
        fail(job, ['drop.error_full'], 'request_full');
        continue;
      }
      if (left.bytes !== null && job.file.size > left.bytes - busyBytes) {
        if (sending.length && job.file.size <= left.bytes) return; // may fit once the others are in
        fail(job, ['drop.error_too_large', { name: job.file.name, size: { bytes: job.file.size }, left: { bytes: left.bytes } }], 'too_large');
        continue;
      }
      sending.push(job);
      send(job);
    }
  }

  async function send(job) {
    const { status, progress } = job.view;
    job.state = 'sending';
    job.view.item.dataset.result = 'sending';
    const showProgress = (loaded, total) => {
      progress.max = total || 1;
      progress.value = loaded;
      const percent = total ? Math.floor((loaded / total) * 100) : 0;
      setText(status, ['upload.progress', { percent, loaded: { bytes: loaded }, total: { bytes: total } }]);
    };
    showProgress(0, job.file.size);
    const request = api.dropFile(token, job.file, { from: job.from, grant: currentGrant(), onProgress: showProgress });
    job.abort = request.abort;
    try {
      const received = await request.done;
      job.state = 'sent';
      job.view.item.dataset.result = 'sent';
      job.view.item.classList.add('upload-done');
      progress.max = 1;
      progress.value = 1;
      setText(status, ['drop.sent']);
      if (left.files !== null) left.files -= 1;
      if (left.bytes !== null) left.bytes = Math.max(0, left.bytes - received.size);
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (err.code === 'request_full' || err.code === 'request_expired') closed = err.code === 'request_full' ? 'full' : 'expired';
      fail(job, dropError(job.file, err), err.code);
    } finally {
      showLimits();
      next();
    }
  }

  function fail(job, message, code) {
    job.state = 'failed';
    const { item, status } = job.view;
    item.dataset.result = 'failed';
    if (code) item.dataset.dropError = code;
    item.classList.add('upload-failed');
    setText(status, message);
  }

  /** Why a file did not go, in the visitor's language. */
  function dropError(file, err) {
    const params = { name: file.name, size: { bytes: file.size } };
    switch (err.code) {
      case 'request_full':
        return ['drop.error_full'];
      case 'request_expired':
        return ['drop.error_expired'];
      case 'too_large': {
        // The server names what the link still takes, or its own upload limit.
        const more = /at most (\d+) more bytes/.exec(err.message);
        if (more) return ['drop.error_too_large', { ...params, left: { bytes: Number(more[1]) } }];
        const limit = /limited to (\d+) bytes/.exec(err.message);
        if (limit) return ['drop.error_server_limit', { ...params, max: { bytes: Number(limit[1]) } }];
        return ['errors.too_large'];
      }
      case 'quota_exceeded':
        return ['drop.error_no_space', params];
      case 'share_password_required':
        return ['drop.error_password'];
      default:
        return errorMessage(err);
    }
  }

  /** Files dropped anywhere on the page are sent too; folders are not (say so). */
  function acceptDrops(formEl, from, list) {
    const overlay = h('div', { class: 'drop-overlay', hidden: true },
      h('div', { class: 'drop-overlay-inner' }, icon('upload'), h('p', { t: 'drop.drop_here' })));
    main.append(overlay);
    let depth = 0; // dragenter/leave fire for every child crossed: count to know when out
    const carriesFiles = (event) => event.dataTransfer?.types.includes('Files') && !closed;
    document.addEventListener('dragenter', (event) => {
      if (!carriesFiles(event)) return;
      depth += 1;
      overlay.hidden = false;
    }, { signal });
    document.addEventListener('dragover', (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault(); // allows the drop
      event.dataTransfer.dropEffect = 'copy';
    }, { signal });
    document.addEventListener('dragleave', (event) => {
      if (!carriesFiles(event)) return;
      depth -= 1;
      if (depth <= 0) overlay.hidden = true;
    }, { signal });
    document.addEventListener('drop', (event) => {
      if (!event.dataTransfer?.types.includes('Files')) return;
      event.preventDefault(); // else the browser opens the file in place of the page
      depth = 0;
      overlay.hidden = true;
      if (closed || fromProblem(formEl, from)) return;
      const files = [];
      let folders = 0;
      for (const item of event.dataTransfer.items) {
        if (item.kind !== 'file') continue;
        if (item.webkitGetAsEntry?.()?.isDirectory) folders += 1;
        else files.push(item.getAsFile());
      }
      queue(files.filter(Boolean), from.value.trim());
      if (folders) list.append(h('li', { class: 'drop-note', t: ['drop.no_folders', { count: folders }] }));
    }, { signal });
  }
}

/** Checks the name field; shows and returns the problem, or null. */
function fromProblem(formEl, from) {
  const problem = rules.shortText(from.value.trim(), MAX_FROM_CHARS);
  setText(formEl.querySelector('[data-error-for="from"]'), problem ?? '');
  if (problem) from.setAttribute('aria-invalid', 'true');
  else from.removeAttribute('aria-invalid');
  return problem;
}

/** One file's line: name, progress bar, and what became of it. */
function itemView(file) {
  const status = h('span', { class: 'upload-status', data: { dropStatus: '' }, t: 'upload.waiting' });
  const progress = h('progress', { class: 'upload-progress', max: '1', value: '0' });
  setAttrText(progress, 'aria-label', ['upload.progress_label', { name: file.name }]);
  const size = h('span', { class: 'upload-size' });
  setSizeText(size, file.size);
  const item = h('li', { class: 'upload-item drop-item', data: { dropItem: '', result: 'waiting' } },
    h('div', { class: 'upload-line' }, h('span', { class: 'upload-name', text: file.name, title: file.name }), size),
    progress,
    status);
  return { item, status, progress };
}
