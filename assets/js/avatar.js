// User pictures. `<img>` cannot send the Authorization header, so each avatar is fetched
// once with it and shown through a blob: URL; the URLs are cached per user and revoked
// when the picture changes or the session ends.

import { getAvatar } from './api.js';
import { h } from './dom.js';

const cache = new Map(); // user id → Promise of a blob: URL, or null when none can be had
// Bumped whenever a picture changes: the URL /api/users/{id}/avatar stays the same, so
// views that show avatars compare this to know when to redraw.
let version = 0;

export function avatarVersion() {
  return version;
}

/** The blob: URL of `user`'s avatar, or null when they have none (or it fails to load). */
export function avatarUrl(user) {
  if (!user.avatar_url) return Promise.resolve(null);
  if (!cache.has(user.id)) {
    cache.set(
      user.id,
      getAvatar(user.id).then(
        (blob) => URL.createObjectURL(blob),
        () => null, // the initials stand in; no need to bother the user about a picture
      ),
    );
  }
  return cache.get(user.id);
}

/** Uses `blob` (just uploaded) as `userId`'s avatar without fetching it back. */
export function setAvatarBlob(userId, blob) {
  forgetAvatar(userId);
  const url = URL.createObjectURL(blob);
  cache.set(userId, Promise.resolve(url));
  return url;
}

export function forgetAvatar(userId) {
  version += 1;
  const old = cache.get(userId);
  cache.delete(userId);
  old?.then((url) => url && URL.revokeObjectURL(url));
}

export function forgetAllAvatars() {
  for (const userId of [...cache.keys()]) forgetAvatar(userId);
}

/** Up to two initials from the full name, else the username's first letter. */
export function initials(user) {
  const words = (user.full_name || '').trim().split(/\s+/).filter(Boolean);
  const letters = words.length ? words.slice(0, 2).map((w) => [...w][0]) : [[...user.username][0]];
  return letters.join('').toUpperCase();
}

/**
 * A round badge with the user's initials, replaced by their picture once it has loaded.
 * Its size is fixed by CSS, so the swap moves nothing.
 */
export function avatarBadge(user, { large = false } = {}) {
  const hue = [...user.id].reduce((sum, ch) => sum + ch.charCodeAt(0), 0) % 6;
  const badge = h(
    'span',
    { class: `avatar avatar-hue-${hue}${large ? ' avatar-large' : ''}`, 'aria-hidden': 'true' },
    h('span', { class: 'avatar-initials', text: initials(user) }),
  );
  avatarUrl(user).then((url) => {
    if (!url) return;
    const img = h('img', { class: 'avatar-image', alt: '' });
    img.addEventListener('load', () => badge.classList.add('avatar-loaded'), { once: true });
    img.src = url;
    badge.append(img);
  });
  return badge;
}
