// How a share's rules and use read wherever a share is shown (the files table, the share
// dialog, the Shares page): whether the link still opens, its downloads against the
// limit, its expiry, whether it has a password.

import { h } from './dom.js';
import { icon } from './icons.js';

/** 'expired', 'used_up' (its download limit reached) or 'live'. */
export function shareStatus(share) {
  if (share.expires_at && new Date(share.expires_at).getTime() <= Date.now()) return 'expired';
  if (share.max_downloads !== null && share.download_count >= share.max_downloads) return 'used_up';
  return 'live';
}

/** Downloads so far, against the limit when there is one. */
export function downloadsText(share) {
  const count = share.download_count;
  return share.max_downloads === null
    ? ['share.downloads', { count }]
    : ['share.downloads_of', { count, max: share.max_downloads }];
}

/** When the link stops working (or stopped), or that it does not. */
export function expiryText(share) {
  if (!share.expires_at) return ['share.no_expiry'];
  const date = { date: share.expires_at };
  return shareStatus(share) === 'expired' ? ['share.expired_on', { date }] : ['share.expires_on', { date }];
}

/** The rules and use as one line of messages, e.g. "2 of 5 downloads · Expires … · Password". */
export function shareFacts(share) {
  return [
    downloadsText(share),
    expiryText(share),
    [share.has_password ? 'share.with_password' : 'share.no_password'],
  ];
}

/**
 * The public link of a shared entry as the files table shows it: `a[data-share-url]`,
 * with a lock when it needs a password and a word when it no longer opens.
 */
export function shareLinkCell(share) {
  const status = shareStatus(share);
  return h('span', { class: 'share-cell' },
    h('a', { class: 'share-link', href: share.url, target: '_blank', rel: 'noopener noreferrer', data: { shareUrl: '' } },
      icon('share'), h('span', { t: 'files.public_link' })),
    share.has_password && h('span', { class: 'share-flag', tAttrs: { title: 'share.with_password', 'aria-label': 'share.with_password' }, role: 'img' }, icon('lock')),
    share.expires_at && status === 'live' && h('span', {
      class: 'share-flag',
      role: 'img',
      tAttrs: { title: ['share.expires_on', { date: { date: share.expires_at } }], 'aria-label': ['share.expires_on', { date: { date: share.expires_at } }] },
    }, icon('clock')),
    status !== 'live' && h('span', { class: 'share-dead', data: { shareStatus: status }, t: `share.status_${status}` }));
}
