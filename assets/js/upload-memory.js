// What this browser remembers of its unfinished uploads, for resuming them after a reload.
// The server lists the uploads themselves (GET /api/uploads: name, size, how far, where
// to); it cannot know the file's last-modified time, which tells the same file chosen
// again from another of the same name and size, nor, for an admin, whose files an upload
// goes into. That much is kept here, per signed-in user, keyed by the upload's id, and
// forgotten as soon as the upload is finished or discarded.

const key = (userId) => `mycloud.uploads.${userId}`;

/** `{[uploadId]: {modified, owner}}` for `userId` (empty when storage is unavailable). */
export function recall(userId) {
  try {
    const records = JSON.parse(localStorage.getItem(key(userId)) ?? '{}');
    return records && typeof records === 'object' ? records : {};
  } catch {
    return {};
  }
}

/** Keeps `record` (`{modified, owner}`: lastModified, and the owner for an admin's upload). */
export function remember(userId, uploadId, record) {
  update(userId, (records) => {
    records[uploadId] = record;
  });
}

export function forget(userId, uploadId) {
  update(userId, (records) => {
    delete records[uploadId];
  });
}

/** Forgets every record but those of `uploadIds` (the ones the server still has). */
export function keepOnly(userId, uploadIds) {
  const live = new Set(uploadIds);
  update(userId, (records) => {
    for (const id of Object.keys(records)) if (!live.has(id)) delete records[id];
  });
}

function update(userId, change) {
  if (!userId) return;
  const records = recall(userId);
  change(records);
  try {
    if (Object.keys(records).length) localStorage.setItem(key(userId), JSON.stringify(records));
    else localStorage.removeItem(key(userId));
  } catch {
    // Without storage a reload still lists the upload; the file is matched by name and size.
  }
}

/** The id in an upload's path (`/api/uploads/{id}`). */
export const uploadId = (url) => url.slice(url.lastIndexOf('/') + 1);
