// An account's storage against its quota: "1.2 GB of 5 GB used (300 MB in the trash)"
// and a bar that turns to a warning colour past 90 % (none without a quota). Usage is
// what the server counts against the quota: the files, the trash and what unfinished
// uploads hold (their announced lengths, until they finish or expire).
//
// The signed-in user's figures come with /api/me, which app.js reads again every minute,
// when the tab comes back and after uploads, deletes, restores and purges; it announces
// each fresh copy with USER_UPDATED, so every meter of one's own storage follows it.

import { h } from './dom.js';
import { setAttrText, setText } from './i18n.js';

/** Dispatched on `document` with the signed-in user as `detail` whenever it is read again. */
export const USER_UPDATED = 'mycloud:user-updated';

/** Past this share of the quota the bar turns to the warning colour. */
const WARNING_AT = 0.9;

/**
 * The figures of `storage` (`{file_count, total_size, trash_size, quota_bytes,
 * upload_size}`, from
 * /api/me or the admin's user list): `used` bytes, `quota` (null: none), `level`
 * (`none` without a quota, else `ok`, `warning` past 90 %, `full` at or past it).
 */
export function usageOf(storage = {}) {
  const files = storage.total_size ?? 0;
  const trash = storage.trash_size ?? 0;
  const used = files + trash + (storage.upload_size ?? 0);
  const quota = storage.quota_bytes ?? null;
  let level = 'none';
  if (quota !== null) level = used >= quota ? 'full' : used > quota * WARNING_AT ? 'warning' : 'ok';
  return { used, trash, quota, level, count: storage.file_count ?? 0 };
}

/** The sentence for `storage`: "1.2 GB of 5 GB used (300 MB in the trash)". */
export function usageMessage(storage) {
  const { used, trash, quota } = usageOf(storage);
  const params = { used: { bytes: used }, quota: { bytes: quota }, trash: { bytes: trash } };
  const key = `usage.${quota === null ? 'used' : 'used_of'}${trash > 0 ? '_trash' : ''}`;
  return [key, params];
}

/**
 * The bar alone (`[data-usage-bar]`, an ARIA meter), hidden without a quota. Returns
 * `{element, show(storage)}`.
 */
export function createUsageBar() {
  const fill = h('span', { class: 'usage-fill' });
  const element = h('div', { class: 'usage-bar', role: 'meter', 'aria-valuemin': '0', data: { usageBar: '' }, hidden: true }, fill);
  return {
    element,
    show(storage) {
      const { used, quota, level } = usageOf(storage);
      element.hidden = quota === null;
      element.dataset.level = level;
      if (quota === null) return;
      element.setAttribute('aria-valuemax', String(quota));
      element.setAttribute('aria-valuenow', String(Math.min(used, quota)));
      setAttrText(element, 'aria-valuetext', usageMessage(storage));
      // CSSOM, which the page's CSP allows (a style attribute it would not).
      const share = quota > 0 ? used / quota : 1;
      fill.style.width = `${Math.min(100, share * 100)}%`;
    },
  };
}

/**
 * The sentence and the bar (`[data-usage]` with `[data-usage-text]` and `[data-usage-bar]`;
 * `data-level` says `none`, `ok`, `warning` or `full`). With `count`, the sentence starts
 * with the number of files. Returns `{element, show(storage)}`.
 */
export function createUsage({ count = false } = {}) {
  const text = h('p', { class: 'usage-text', data: { usageText: '' } });
  const bar = createUsageBar();
  const element = h('div', { class: 'usage', data: { usage: '' } }, text, bar.element);
  return {
    element,
    show(storage) {
      if (!storage) return;
      const usage = usageMessage(storage);
      setText(text, count ? ['usage.with_files', { count: usageOf(storage).count, usage }] : usage);
      element.dataset.level = usageOf(storage).level;
      bar.show(storage);
    },
  };
}

/**
 * Keeps `usage` showing the signed-in user's storage (`me()`), now and after every fresh
 * copy of the user, until `signal` aborts.
 */
export function followMyUsage(usage, me, signal) {
  usage.show(me()?.storage);
  document.addEventListener(USER_UPDATED, (event) => usage.show(event.detail?.storage), { signal });
}
