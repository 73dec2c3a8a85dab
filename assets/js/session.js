// The session token, kept in IndexedDB (DESIGN.md §4). Not a cookie, so the browser never
// attaches it to a request on its own and there is nothing to forge cross-site; api.js
// puts it in the Authorization header itself. A copy in memory serves the many reads.

const DB_NAME = 'mycloud';
const STORE = 'session';
const TOKEN_KEY = 'token';

let token = null;

function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Runs one request on the store and resolves once its transaction has committed. */
async function withStore(mode, makeRequest) {
  const db = await openDatabase();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = makeRequest(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** Reads the stored token (null when there is none or IndexedDB is unavailable). */
export async function loadToken() {
  try {
    token = (await withStore('readonly', (store) => store.get(TOKEN_KEY))) ?? null;
  } catch {
    token = null;
  }
  return token;
}

export function currentToken() {
  return token;
}

/** Keeps `value` for this tab at once and for later visits once IndexedDB has it. */
export async function saveToken(value) {
  token = value;
  try {
    await withStore('readwrite', (store) => store.put(value, TOKEN_KEY));
  } catch {
    // Without IndexedDB the session lasts as long as this tab.
  }
}

export async function forgetToken() {
  token = null;
  try {
    await withStore('readwrite', (store) => store.delete(TOKEN_KEY));
  } catch {
    // Nothing stored, nothing to forget.
  }
}
