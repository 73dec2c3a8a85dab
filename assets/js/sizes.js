// Sizes typed by a person, for the quota field of the Users page: "5 GB", "500 MB",
// "1.5 GiB", "1,5 ГБ", or nothing for no limit.
//
// The app shows sizes in decimal units (i18n.js: 1 kB = 1000 B), so a typed GB is 10⁹
// bytes too: what the admin types is what the pages show afterwards. The binary units
// (KiB, MiB, GiB, TiB: powers of 1024) are there for those who think in them. A bare
// number is refused rather than guessed: "5" could mean bytes, megabytes or gigabytes.

import { currentLanguage, t } from './i18n.js';

// Unit names as typed, lower-cased, in English and in Russian (as the app writes them).
const UNITS = new Map([
  ['b', 1], ['б', 1],
  ['kb', 1e3], ['кб', 1e3],
  ['mb', 1e6], ['мб', 1e6],
  ['gb', 1e9], ['гб', 1e9],
  ['tb', 1e12], ['тб', 1e12],
  ['kib', 2 ** 10], ['киб', 2 ** 10],
  ['mib', 2 ** 20], ['миб', 2 ** 20],
  ['gib', 2 ** 30], ['гиб', 2 ** 30],
  ['tib', 2 ** 40], ['тиб', 2 ** 40],
]);

// Exact to the byte in a JavaScript number (9 PB), far beyond any disk in one account.
const MAX_BYTES = Number.MAX_SAFE_INTEGER;

const SHAPE = /^(\d+(?:[.,]\d+)?)\s*(\p{L}+)?$/u;

/**
 * Reads a quota as typed: `{bytes}` (null: no limit, for an empty field) or `{problem}`,
 * a message saying what is wrong and how it should look.
 */
export function parseQuota(text) {
  const value = text.trim();
  if (value === '') return { bytes: null };
  const match = SHAPE.exec(value);
  if (!match) return { problem: ['quota.rule_shape'] };
  const [, number, unit] = match;
  const amount = Number(number.replace(',', '.'));
  if (!unit) return amount === 0 ? { bytes: 0 } : { problem: ['quota.rule_unit', { n: number }] };
  const factor = UNITS.get(unit.toLowerCase());
  if (!factor) return { problem: ['quota.rule_unknown_unit', { unit }] };
  const bytes = Math.round(amount * factor);
  if (bytes > MAX_BYTES) return { problem: ['quota.rule_too_large'] };
  return { bytes };
}

/** The rule for the quota field (see forms.js): a message when `text` is not a quota. */
export function quotaRule(text) {
  return parseQuota(text).problem ?? null;
}

// For writing a quota back into the field: the largest unit that gives a whole number
// (or, for decimal units, one with at most two decimals), decimal first since they are
// what the app shows, so the field reads back exactly.
const EXACT = [
  [1e12, 'TB', true], [2 ** 40, 'TiB', false],
  [1e9, 'GB', true], [2 ** 30, 'GiB', false],
  [1e6, 'MB', true], [2 ** 20, 'MiB', false],
  [1e3, 'kB', true], [2 ** 10, 'KiB', false],
];

/**
 * `bytes` as text in the current language that `parseQuota` reads back to exactly the
 * same number: "5 GB", "1,5 ГБ", "5 GiB", "1234567 B"; '' for no limit (null).
 */
export function exactSize(bytes) {
  if (bytes === null || bytes === undefined) return '';
  const number = (n) => new Intl.NumberFormat(currentLanguage(), { maximumFractionDigits: 2, useGrouping: false }).format(n);
  for (const [factor, unit, decimal] of EXACT) {
    const step = decimal ? factor / 100 : factor;
    if (bytes >= factor && bytes % step === 0) return t(`size.${unit}`, { n: number(bytes / factor) });
  }
  return t('size.B', { n: String(bytes) });
}
