// Uploading a whole folder, from the folder picker (`<input webkitdirectory>`) or a drop:
// the folders are created first, parents before children, then every file is queued for
// upload into its own folder, so the structure on the server is the one on the disk.

import * as api from './api.js';
import { toast } from './dom.js';
import { errorMessage } from './errors.js';
import { uploadFiles } from './upload.js';

/** Dispatched on `document` with the new folder as `detail` when a folder upload creates one. */
export const FOLDER_CREATED = 'mycloud:folder-created';

// Listing a parent to find a folder of the same name takes at most this many per page.
const PAGE = 1000;

/**
 * A tree (`{folders, files}`) from the files of a folder picker: each file's
 * `webkitRelativePath` ("Trip/day 1/a.jpg") names the folders it is in.
 */
export function treeFromPicker(fileList) {
  const files = [...fileList].map((file) => ({
    file,
    dirs: (file.webkitRelativePath || file.name).split('/').slice(0, -1),
  }));
  return { folders: [], files };
}

/**
 * What a drop holds, taken while the drop event runs (its items are gone after it):
 * plain files, and the directory entries to walk with `walkDirectories`.
 */
export function readDrop(dataTransfer) {
  const files = [];
  const directories = [];
  for (const item of dataTransfer.items) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry?.isDirectory) {
      directories.push(entry);
    } else {
      const file = item.getAsFile();
      if (file) files.push(file);
    }
  }
  return { files, directories };
}

/** The tree under dropped directory entries; empty folders are kept. */
export async function walkDirectories(directories) {
  const tree = { folders: [], files: [] };
  const walk = async (directory, dirs) => {
    tree.folders.push(dirs);
    for (const entry of await readAll(directory)) {
      if (entry.isDirectory) await walk(entry, [...dirs, entry.name]);
      else if (entry.isFile) tree.files.push({ file: await fileOf(entry), dirs });
    }
  };
  for (const directory of directories) await walk(directory, [directory.name]);
  return tree;
}

/** Every entry of a directory: `readEntries` hands them out a batch (about 100) at a time. */
async function readAll(directory) {
  const reader = directory.createReader();
  const all = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) return all;
    all.push(...batch);
  }
}

const fileOf = (entry) => new Promise((resolve, reject) => entry.file(resolve, reject));

/**
 * Creates the tree's folders under `parentId` (null: the root) and queues its files
 * for upload with `comment`. A folder that exists already is used as it is, as a file
 * manager merges a copied folder into one of the same name; files whose folder could not
 * be made are listed as failed with the reason.
 */
export async function uploadTree(tree, { parentId, userId, comment }) {
  const ids = new Map([['', parentId]]);
  const failed = new Map(); // path → the message of why it could not be made
  const key = (dirs) => dirs.join('/'); // a name never holds "/", so this is unambiguous
  const paths = new Map();
  for (const dirs of [...tree.folders, ...tree.files.map((f) => f.dirs)]) {
    for (let depth = 1; depth <= dirs.length; depth += 1) paths.set(key(dirs.slice(0, depth)), dirs.slice(0, depth));
  }
  // Parents before their children.
  const ordered = [...paths.values()].sort((a, b) => a.length - b.length);
  for (const dirs of ordered) {
    const parent = key(dirs.slice(0, -1));
    if (failed.has(parent)) {
      failed.set(key(dirs), failed.get(parent));
      continue;
    }
    try {
      ids.set(key(dirs), await ensureFolder(dirs.at(-1), ids.get(parent), userId));
    } catch (err) {
      const reason = errorMessage(err);
      failed.set(key(dirs), reason);
      toast(['upload.folder_failed', { name: dirs.at(-1), reason }], { error: true });
    }
  }
  const groups = new Map();
  for (const { file, dirs } of tree.files) {
    const path = key(dirs);
    if (!groups.has(path)) groups.set(path, []);
    groups.get(path).push(file);
  }
  for (const [path, files] of groups) {
    if (failed.has(path)) uploadFiles(files, { userId, error: failed.get(path) });
    else uploadFiles(files, { comment, userId, folderId: ids.get(path) });
  }
}

/** The id of folder `name` in `parentId`: made now, or the one already there. */
async function ensureFolder(name, parentId, userId) {
  try {
    const folder = await api.createFolder(name, parentId, userId);
    document.dispatchEvent(new CustomEvent(FOLDER_CREATED, { detail: folder }));
    return folder.id;
  } catch (err) {
    if (err.code !== 'name_taken') throw err;
    const existing = await findFolder(name, parentId, userId);
    if (!existing) throw err; // a file has that name
    return existing.id;
  }
}

async function findFolder(name, parentId, userId) {
  let cursor = null;
  do {
    const page = await api.folderContents(parentId, { userId, cursor, sort: 'name', order: 'asc', limit: PAGE });
    const found = page.folders.find((folder) => folder.name === name);
    if (found) return found;
    if (page.files.length) return null; // folders come first: none left to look at
    cursor = page.next_cursor;
  } while (cursor);
  return null;
}
