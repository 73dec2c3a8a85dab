// Every HTTP call the app makes. Each one carries `Authorization: Token …` when there is
// a session, and a 401 on a call that carried a token ends the session (the handler set
// by app.js forgets the token and shows the login page). The calls of a visitor at a
// share or file request link are the exception: they never carry the token (see "Links,
// as a visitor" below).

import { currentToken } from './session.js';

/** An error answer from the API (`status` 0: the server could not be reached). */
class ApiError extends Error {
  constructor(status, error = {}, retryAfter = null) {
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code ?? (status === 0 ? 'network' : 'unknown');
    // Every failing field with its message: `fields` when the server names several,
    // else the one `field`. The server prefixes a single field's message with its name.
    this.fields = error.fields ?? (error.field ? { [error.field]: stripFieldName(error) } : {});
    this.retryAfter = retryAfter;
    // With `quota_exceeded`: the account's quota in bytes.
    this.quotaBytes = error.quota_bytes ?? null;
  }
}

function stripFieldName({ field, message = '' }) {
  const prefix = `${field}: `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

let sessionEnded = () => {};

/** Sets what happens when the server no longer accepts the token. */
export function onSessionEnd(handler) {
  sessionEnded = handler;
}

function authHeaders() {
  const token = currentToken();
  return token ? { Authorization: `Token ${token}` } : {};
}

/** The ApiError for a failed fetch response; a 401 to a call with a token ends the session. */
function failure(response, sentToken) {
  if (response.status === 401 && sentToken) sessionEnded();
  return errorFrom(response.status, () => response.json(), response.headers.get('Retry-After'));
}

async function errorFrom(status, readBody, retryAfter) {
  let error = {};
  try {
    error = (await readBody())?.error ?? {};
  } catch {
    // Not JSON (a proxy's error page): the status alone has to do.
  }
  return new ApiError(status, error, retryAfter === null ? null : Number(retryAfter));
}

/**
 * Calls the API and resolves with the parsed JSON (null for 204), or rejects with an
 * ApiError. An abort (page left) rejects with the browser's AbortError.
 */
async function call(method, path, { json, body, signal, anonymous = false } = {}) {
  const headers = anonymous ? {} : authHeaders();
  const init = { method, headers, signal };
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0);
  }
  if (response.ok) return response.status === 204 ? null : response.json();
  throw await failure(response, Boolean(headers.Authorization));
}

const fileUrl = (id, rest = '') => `/api/files/${encodeURIComponent(id)}${rest}`;
const userUrl = (id, rest = '') => `/api/admin/users/${encodeURIComponent(id)}${rest}`;

// Accounts and the session
export const login = (username, password) => call('POST', '/api/auth/login', { json: { username, password } });
export const register = (fields) => call('POST', '/api/auth/register', { json: fields });
export const logout = () => call('POST', '/api/auth/logout');
export const getMe = (signal) => call('GET', '/api/me', { signal }).then((r) => r.user);
export const updateMe = (changes) => call('PATCH', '/api/me', { json: changes }).then((r) => r.user);
export const changePassword = (currentPassword, newPassword) =>
  call('POST', '/api/me/password', {
    json: { current_password: currentPassword, new_password: newPassword },
  });
export const putAvatar = (image) => call('PUT', '/api/me/avatar', { body: image }).then((r) => r.user);
export const deleteAvatar = () => call('DELETE', '/api/me/avatar');

/** A user's avatar as a Blob: images cannot send the header, so it is fetched here. */
export async function getAvatar(userId, signal) {
  const headers = authHeaders();
  const response = await fetch(`/api/users/${encodeURIComponent(userId)}/avatar`, { headers, signal });
  if (!response.ok) throw await failure(response, Boolean(headers.Authorization));
  return response.blob();
}

/** `?a=1&b=2` from the entries of `params` that are set (null and '' are left out). */
function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

// Files (`userId`: an admin acting on that user's files)
export const updateFile = (id, changes) => call('PATCH', fileUrl(id), { json: changes }).then((r) => r.file);
export const deleteFile = (id) => call('DELETE', fileUrl(id));
/** A signed content URL valid for a few minutes, usable where no header can be sent. */
export const contentLink = (id) => call('POST', fileUrl(id, '/link')).then((r) => r.url);

/** The first `limit` bytes behind a signed URL (a Range request), as UTF-8 text. */
export async function fetchTextStart(url, limit, signal) {
  let response;
  try {
    response = await fetch(url, { headers: { Range: `bytes=0-${limit - 1}` }, signal });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0);
  }
  if (!response.ok) throw await failure(response, false);
  const bytes = await response.arrayBuffer();
  // `stream: true` holds back a character the range cut in half instead of showing �.
  return new TextDecoder('utf-8').decode(bytes, { stream: true });
}

export const getFile = (id) => call('GET', fileUrl(id)).then((r) => r.file);

// Resumable uploads (tus, DESIGN §13): tus.js speaks the protocol through `tusRequest`.

/** The caller's unfinished uploads: `[{id, url, filename, folder_id, comment, length, offset, …}]`. */
export const listUploads = () => call('GET', '/api/uploads').then((r) => r.uploads);
/** Where uploads are created: the caller's files, or `userId`'s for an admin. */
export const uploadsEndpoint = (userId) => `/api/uploads${query({ user: userId })}`;

/**
 * One request of the tus protocol on `path`, with `headers` and an optional `body` (a
 * Blob). XMLHttpRequest, not fetch, because only it reports upload progress
 * (`onProgress(bytesSent)`); the browser streams the Blob from the disk. Returns
 * `{done, abort}`: `done` resolves with `header(name)` (a reader of the answer's headers)
 * on a 2xx, rejects with an ApiError (status 0: no answer) or, after `abort()`, with an
 * AbortError. A 401 ends the session, as everywhere.
 */
export function tusRequest(method, path, { headers = {}, body = null, onProgress = null } = {}) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    const sentToken = Boolean(currentToken());
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve((name) => xhr.getResponseHeader(name));
        return;
      }
      if (xhr.status === 401 && sentToken) sessionEnded();
      errorFrom(xhr.status, () => JSON.parse(xhr.responseText), xhr.getResponseHeader('Retry-After')).then(reject);
    };
    xhr.onerror = () => reject(new ApiError(0));
    xhr.ontimeout = () => reject(new ApiError(0));
    xhr.onabort = () => reject(new DOMException('upload stopped', 'AbortError'));
  });
  xhr.open(method, path);
  for (const [name, value] of Object.entries({ ...authHeaders(), ...headers })) xhr.setRequestHeader(name, value);
  xhr.send(body);
  return { done, abort: () => xhr.abort() };
}

// Folders (`id` null: the account's root; `userId`: an admin acting on that user's tree)
const folderUrl = (id, rest = '') => `/api/folders/${id ? encodeURIComponent(id) : 'root'}${rest}`;

export const getFolder = (id, signal) => call('GET', folderUrl(id), { signal });
export const createFolder = (name, parentId, userId) =>
  call('POST', `/api/folders${query({ user: userId })}`, { json: { name, parent_id: parentId } }).then((r) => r.folder);
/** `changes`: `{name}` to rename, `{parent_id}` to move (null: to the root). */
export const updateFolder = (id, changes) => call('PATCH', folderUrl(id), { json: changes }).then((r) => r.folder);
export const deleteFolder = (id) => call('DELETE', folderUrl(id));

/**
 * One page of a folder: `{folder, path, folders, files, next_cursor}`. Pass `cursor` back
 * unchanged, with the same `sort` and `order`, for the next page.
 */
export const folderContents = (id, { userId, cursor, sort, order, limit, signal } = {}) =>
  call('GET', folderUrl(id, `/contents${query({ user: userId, limit, cursor, sort, order })}`), { signal });

/** A signed URL of the folder's subtree as a zip, for an <a download>. */
export const folderZipLink = (id, userId) => call('POST', folderUrl(id, `/link${query({ user: userId })}`)).then((r) => r.url);

/** Folders and files whose name or comment holds `q`: `{folders, files, next_cursor}`, each with its `path`. */
export const search = (q, { userId, cursor, limit, signal } = {}) =>
  call('GET', `/api/search${query({ q, user: userId, limit, cursor })}`, { signal });

// The trash (`kind`: 'file' or 'folder', as in its items; `userId`: an admin acting on
// that user's trash)
const trashUrl = (kind, id, rest = '') => `/api/trash/${kind === 'folder' ? 'folders' : 'files'}/${encodeURIComponent(id)}${rest}`;

/** One page of the trash, newest first: `{items, next_cursor}`. */
export const listTrash = ({ userId, cursor, limit, signal } = {}) =>
  call('GET', `/api/trash${query({ user: userId, limit, cursor })}`, { signal });
/** Puts an item back: resolves with `{file}` or `{folder}`, where it now is. */
export const restoreFromTrash = (kind, id, userId) => call('POST', trashUrl(kind, id, `/restore${query({ user: userId })}`));
export const purgeFromTrash = (kind, id, userId) => call('DELETE', trashUrl(kind, id, query({ user: userId })));
export const emptyTrash = (userId) => call('DELETE', `/api/trash${query({ user: userId })}`);

// Shares and file requests, the owner's side (`kind`: 'file' or 'folder')
const shareUrl = (kind, id) => `/api/${kind === 'folder' ? 'folders' : 'files'}/${encodeURIComponent(id)}/share`;
const shared = (r) => r.file ?? r.folder;

/**
 * Shares an entry with `rules` (`{expires_at?, password?, max_downloads?}`); sharing again
 * keeps the link. Resolves with the file or folder, its `share` filled in.
 */
export const shareEntry = (kind, id, rules = {}) => call('POST', shareUrl(kind, id), { json: rules }).then(shared);
/** Changes the rules named in `changes` (null removes one); 404 when not shared. */
export const updateShare = (kind, id, changes) => call('PATCH', shareUrl(kind, id), { json: changes }).then(shared);
/** Revokes the link for good: sharing again makes a new one. */
export const unshareEntry = (kind, id) => call('DELETE', shareUrl(kind, id));
/** The caller's shares, newest first (expired and used-up ones too): `[{kind, id, name, parent_id, size?, share}]`. */
export const listShares = (signal) => call('GET', '/api/shares', { signal }).then((r) => r.shares);

/** A file request on folder `folderId`: `fields` = `{label?, expires_at?, max_files?, max_bytes?, password?}`. */
export const createRequest = (folderId, fields) =>
  call('POST', folderUrl(folderId, '/requests'), { json: fields }).then((r) => r.request);
export const listRequests = (signal) => call('GET', '/api/requests', { signal }).then((r) => r.requests);
export const deleteRequest = (id) => call('DELETE', `/api/requests/${encodeURIComponent(id)}`);

/** The QR code of `text` as an SVG Blob, drawn by the server (nothing leaves it). */
export async function qrCode(text, signal) {
  const headers = authHeaders();
  let response;
  try {
    response = await fetch(`/api/qr${query({ text })}`, { headers, signal });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0);
  }
  if (!response.ok) throw await failure(response, Boolean(headers.Authorization));
  return response.blob();
}

// ---------------------------------------------------------------------------------------
// Links, as a visitor (`link`: 's' for a share, 'r' for a file request; `token` from the
// address; `grant` from unlocking a password, or null)
//
// These never send the session's token, even when someone is signed in: the link is the
// only key, and a 401 here means "password needed", which must not end anyone's session.

const linkUrl = (link, token, rest = '') => `/${link}/${encodeURIComponent(token)}${rest}`;

/**
 * What a link shows: a share's `{kind, name, …}` (a folder's page at `path`, from
 * `cursor`) or a file request's `{label, expires_at, files_left, bytes_left}`.
 */
export const linkInfo = (link, token, { grant = null, path = null, cursor = null, signal } = {}) =>
  call('GET', linkUrl(link, token, `/info${query({ path, cursor, grant })}`), { signal, anonymous: true });

/** Trades the link's password for `{url, expires_at}`: the address with `?grant=…`. */
export const unlockLink = (link, token, password) =>
  call('POST', linkUrl(link, token, '/unlock'), { json: { password }, anonymous: true });

/**
 * The address of a share's bytes: the file, a file inside a shared folder (`path`), or a
 * folder as a zip. `inline` asks to show rather than save (it counts as a download).
 */
export const shareDownloadUrl = (token, { path = null, inline = false, grant = null } = {}) =>
  linkUrl('s', token, `/download${query({ path, inline: inline ? '1' : null, grant })}`);

/**
 * Sends one file through a file request as the raw body of `PUT /r/{token}/files`, with
 * the visitor's name in `from`. (Raw rather than multipart: the request's byte limit is
 * checked against the exact length.) Returns `{done, abort}` as `tusRequest` does; `done`
 * resolves with `{name, size}`.
 */
export function dropFile(token, file, { from = '', grant = null, onProgress }) {
  const xhr = new XMLHttpRequest();
  const url = linkUrl('r', token, `/files${query({ name: file.name, from, grant })}`);
  const done = new Promise((resolve, reject) => {
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      if (xhr.status === 201) {
        resolve(JSON.parse(xhr.responseText).received);
        return;
      }
      errorFrom(xhr.status, () => JSON.parse(xhr.responseText), xhr.getResponseHeader('Retry-After')).then(reject);
    };
    xhr.onerror = () => reject(new ApiError(0));
    xhr.onabort = () => reject(new DOMException('upload cancelled', 'AbortError'));
  });
  xhr.open('PUT', url);
  xhr.send(file);
  return { done, abort: () => xhr.abort() };
}

// Administration
export const listUsers = (signal) => call('GET', '/api/admin/users', { signal }).then((r) => r.users);
export const setAdmin = (id, isAdmin) => call('PATCH', userUrl(id), { json: { is_admin: isAdmin } }).then((r) => r.user);
/** `quotaBytes` null lifts the quota. Resolves with the user and its storage. */
export const setQuota = (id, quotaBytes) => call('PATCH', userUrl(id), { json: { quota_bytes: quotaBytes } }).then((r) => r.user);
export const deleteUser = (id) => call('DELETE', userUrl(id));
