// A small client of tus 1.0.0 (https://tus.io/protocols/resumable-upload), the protocol of
// /api/uploads (DESIGN §13), through which every upload of the web app goes. An upload is
// created with a POST, where the server checks everything (name, folder, size, quota)
// before a byte is sent; then the file goes in PATCHes from wherever the server says it
// stands. A dropped connection costs only what was in flight (the server even keeps the
// bytes of a PATCH cut off midway), so the client keeps trying by itself, waiting longer
// each time; a refusal (a 4xx) is final and goes to the caller, who knows what to say.

import { tusRequest } from './api.js';

const VERSION = { 'Tus-Resumable': '1.0.0' };

// A PATCH is sized to take about CHUNK_SECONDS at the speed of the last full one: big
// enough that the server's fsync and bookkeeping per PATCH cost nothing on a fast link,
// small enough that the offset the server has confirmed (and the bar after a retry) is
// never far behind.
const MIN_CHUNK = 8 * 2 ** 20;
const MAX_CHUNK = 64 * 2 ** 20;
const CHUNK_SECONDS = 10;

// Waits after a failure; the last one repeats for as long as it takes (the user can pause
// or cancel). The browser coming back online cuts a wait short.
const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 16000, 30000];

// A request that shows no progress for this long is taken for a dead connection (a switch
// of network can leave a socket hanging for minutes), cut, and tried again. The server's
// default --body-idle-timeout is as long: by then it has given up the dead request and
// kept its bytes, so the HEAD that follows learns the true offset.
const STALL_MS = 60_000;

// After an offset mismatch (another tab, or a PATCH the server was still taking in when
// we asked), this many HEADs follow at once before the usual waits apply.
const QUICK_RESYNCS = 3;

/**
 * Sends `file` through tus. With `url` (the path of an upload made earlier) it goes on
 * from where the server stands; without, an upload is created at `endpoint` with
 * `metadata` (strings; null and '' are left out). Callbacks: `onCreated(url)` once the
 * server has made the upload, `onProgress(sent)` as bytes go and whenever the server says
 * where it stands, `onRetry(delayMs, err)` when a failure is waited out.
 *
 * Returns `{done, stop}`. `done` resolves with `{url, fileId}` (the stored file's id), or
 * rejects with the ApiError the server refused with, or with an AbortError after
 * `stop()`, which ends the sending and leaves the upload on the server to be resumed.
 */
export function sendFile(file, { url = null, endpoint, metadata = {}, onCreated, onProgress, onRetry }) {
  let stopped = false;
  let inFlight = null; // the request on the wire: { abort }
  let wake = null; // ends a wait between attempts early
  let chunk = MIN_CHUNK;

  /** One request; a connection silent for STALL_MS is cut and fails as a network error. */
  async function send(method, path, { headers = {}, body = null, progress = null } = {}) {
    let timer = null;
    let stalled = false;
    let request = null;
    const watch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        request.abort();
      }, STALL_MS);
    };
    request = tusRequest(method, path, {
      headers: { ...VERSION, ...headers },
      body,
      onProgress: (loaded) => {
        watch();
        progress?.(loaded);
      },
    });
    inFlight = request;
    watch();
    try {
      return await request.done;
    } catch (err) {
      if (stalled && !stopped) throw protocolError('network', 0);
      throw err;
    } finally {
      clearTimeout(timer);
      inFlight = null;
    }
  }

  async function create() {
    const answer = await send('POST', endpoint, {
      headers: { 'Upload-Length': String(file.size), 'Upload-Metadata': encodeMetadata(metadata) },
    });
    const location = answer('Location');
    if (!location) throw protocolError('unknown');
    // The server names it with its own idea of the host; the path is what counts here.
    return new URL(location, window.location.href).pathname;
  }

  async function head() {
    const answer = await send('HEAD', url);
    // Chosen again after a reload, the file must be the one the upload began with.
    if (numberHeader(answer, 'Upload-Length') !== file.size) throw protocolError('not_same_file');
    return position(answer);
  }

  async function patch(offset) {
    const end = Math.min(offset + chunk, file.size);
    const full = end - offset === chunk;
    const started = performance.now();
    const answer = await send('PATCH', url, {
      headers: { 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
      body: file.slice(offset, end),
      progress: (loaded) => onProgress?.(offset + loaded),
    });
    if (full) {
      // The last, short PATCH says more about latency than about speed: not counted.
      const perSecond = chunk / Math.max((performance.now() - started) / 1000, 0.001);
      chunk = Math.round(Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, perSecond * CHUNK_SECONDS)));
    }
    const next = position(answer);
    // Taken but not kept: something between us and the server is wrong; try again later.
    if (!next.fileId && end > offset && next.offset <= offset) throw protocolError('network', 0);
    return next;
  }

  async function run() {
    let offset = 0;
    let fileId = null;
    let known = false; // whether `offset` is the server's word, or must be asked for
    let failures = 0;
    let resyncs = 0;
    for (;;) {
      try {
        if (!url) {
          url = await create();
          offset = 0;
          known = true;
          onCreated?.(url);
        } else if (!known) {
          ({ offset, fileId } = await head());
          known = true;
          onProgress?.(offset);
        }
        // An empty file too takes one (empty) PATCH: that is what stores it.
        while (!fileId) {
          ({ offset, fileId } = await patch(offset));
          failures = 0;
          resyncs = 0;
          onProgress?.(offset);
        }
        return { url, fileId };
      } catch (err) {
        if (stopped) throw stoppedError();
        known = false;
        if (err.code === 'offset_mismatch' && resyncs++ < QUICK_RESYNCS) continue;
        // A file changed or moved since it was chosen fails to read just like a dropped
        // connection fails to send; retrying that would go on for ever.
        if (err.status === 0 && !(await readable(file))) throw protocolError('file_unreadable');
        if (stopped) throw stoppedError();
        if (!retryable(err)) throw err;
        const delay = err.retryAfter > 0
          ? err.retryAfter * 1000
          : RETRY_DELAYS_MS[Math.min(failures, RETRY_DELAYS_MS.length - 1)];
        failures += 1;
        onRetry?.(delay, err);
        await rest(delay);
        if (stopped) throw stoppedError();
      }
    }
  }

  /** Waits `ms`, or less when the browser comes back online or the upload is stopped. */
  function rest(ms) {
    return new Promise((resolve) => {
      let timer = null;
      const end = () => {
        clearTimeout(timer);
        window.removeEventListener('online', end);
        wake = null;
        resolve();
      };
      timer = setTimeout(end, ms);
      window.addEventListener('online', end);
      wake = end;
    });
  }

  function stop() {
    stopped = true;
    inFlight?.abort();
    wake?.();
  }

  return { done: run(), stop };
}

/** Cancels the upload at `url` for good: the server drops the bytes it holds. */
export function discardUpload(url) {
  return tusRequest('DELETE', url, { headers: VERSION }).done;
}

/**
 * Worth trying again: no answer at all, a server or gateway in trouble, a locked or
 * moved-on upload, a rate limit. Never a refusal of the upload itself (400, 404, 410,
 * 413, 415, 507…): sending again would be refused again.
 */
function retryable(err) {
  if (err.status === 0 || [500, 502, 503, 504, 423].includes(err.status)) return true;
  return err.code === 'offset_mismatch' || err.code === 'too_many_requests';
}

/** Whether `file` can still be read: Chromium refuses a file changed since it was chosen. */
async function readable(file) {
  try {
    await file.slice(0, 1).arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** Where the server stands after an answer: `{offset, fileId}` (fileId once stored). */
function position(answer) {
  return { offset: numberHeader(answer, 'Upload-Offset'), fileId: answer('Mycloud-File-Id') || null };
}

function numberHeader(answer, name) {
  const value = answer(name);
  if (value === null || !/^\d+$/.test(value)) throw protocolError('unknown');
  return Number(value);
}

/** An error shaped like api.js's ApiError, for what the client itself finds wrong. */
function protocolError(code, status = -1) {
  return Object.assign(new Error(code), { code, status, fields: {} });
}

function stoppedError() {
  return new DOMException('upload stopped', 'AbortError');
}

/** `Upload-Metadata`: `key base64(UTF-8 value)` pairs, comma-separated. */
function encodeMetadata(metadata) {
  return Object.entries(metadata)
    .filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([key, value]) => `${key} ${base64(String(value))}`)
    .join(',');
}

function base64(text) {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
