// Translation, the language choice, and formatting of numbers, sizes and dates in that
// language.
//
// Localized text is written into the DOM together with what produced it (the key and
// its parameters in data attributes), so switching the language relabels the page in
// place: no re-render, no lost form input, no interrupted upload.

import en from '../i18n/en.js';
import ru from '../i18n/ru.js';

const CATALOGS = { en, ru };

/** The languages offered by the switch, each named in itself. */
export const LANGUAGES = [
  ['en', 'English'],
  ['ru', 'Русский'],
];

// A display preference, not a credential, so localStorage is the right place for it.
const STORAGE_KEY = 'mycloud.lang';

let language = initialLanguage();
let formats = formatsFor(language);
const listeners = new Set();

function initialLanguage() {
  const saved = readSavedLanguage();
  if (saved && Object.hasOwn(CATALOGS, saved)) return saved;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (Object.hasOwn(CATALOGS, base)) return base;
  }
  return 'en';
}

function readSavedLanguage() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: fall back to the browser's languages
  }
}

function formatsFor(lang) {
  return {
    plural: new Intl.PluralRules(lang),
    number: new Intl.NumberFormat(lang),
    date: new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }),
    list: new Intl.ListFormat(lang, { type: 'conjunction' }),
    collator: new Intl.Collator(lang, { numeric: true, sensitivity: 'base' }),
  };
}

export function currentLanguage() {
  return language;
}

/** Switches the language, remembers it, and relabels everything on the page. */
export function setLanguage(lang) {
  if (!Object.hasOwn(CATALOGS, lang) || lang === language) return;
  language = lang;
  formats = formatsFor(lang);
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Not remembered across visits; the switch still works for this page.
  }
  document.documentElement.lang = lang;
  relabel(document);
  for (const listener of listeners) listener(lang);
}

/** Calls `listener(lang)` after every language switch. */
export function onLanguageChange(listener) {
  listeners.add(listener);
}

function lookup(catalog, key) {
  let entry = catalog;
  for (const part of key.split('.')) {
    if (entry === null || typeof entry !== 'object' || !Object.hasOwn(entry, part)) return undefined;
    entry = entry[part];
  }
  return entry;
}

/** Whether a key exists, so callers can fall back to a server message when it does not. */
export function hasKey(key) {
  const entry = lookup(CATALOGS[language], key);
  return typeof entry === 'string' || isPlural(entry);
}

function isPlural(entry) {
  return entry !== null && typeof entry === 'object' && typeof entry.other === 'string';
}

/**
 * The text for `key` in the current language. `{name}` placeholders take `params.name`;
 * an entry with plural forms (`one`, `few`, `many`, `other`) is chosen by `params.count`.
 * A parameter may be `{ bytes }` or `{ date }` to be formatted, or a message (see
 * `setText`) to be translated itself.
 */
export function t(key, params = {}) {
  let entry = lookup(CATALOGS[language], key) ?? lookup(CATALOGS.en, key) ?? key;
  if (isPlural(entry)) entry = entry[formats.plural.select(params.count ?? 0)] ?? entry.other;
  return entry.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.hasOwn(params, name) ? formatParam(params[name]) : whole,
  );
}

function formatParam(value) {
  if (typeof value === 'number') return formats.number.format(value);
  if (Array.isArray(value)) return messageText(value);
  if (value && typeof value === 'object') {
    if ('bytes' in value) return formatSize(value.bytes);
    if ('date' in value) return formatDate(value.date);
    if ('list' in value) return formats.list.format(value.list.map(messageText));
  }
  return String(value);
}

/**
 * A message is either a localized one, `[key, params]`, or text that needs no
 * translation (a server message, a file name) as a plain string.
 */
export function messageText(message) {
  return Array.isArray(message) ? t(message[0], message[1]) : String(message ?? '');
}

/** Shows `message` as the text of `el`, and keeps it translated on a language switch. */
export function setText(el, message) {
  if (Array.isArray(message)) {
    el.dataset.i18n = JSON.stringify(message);
  } else {
    delete el.dataset.i18n;
  }
  el.textContent = messageText(message);
}

/** Sets attribute `name` (e.g. aria-label, title) to a message, kept translated. */
export function setAttrText(el, name, message) {
  const all = el.dataset.i18nAttrs ? JSON.parse(el.dataset.i18nAttrs) : {};
  all[name] = message;
  el.dataset.i18nAttrs = JSON.stringify(all);
  el.setAttribute(name, messageText(message));
}

/** Shows a byte count in human units, kept in the current language's number format. */
export function setSizeText(el, bytes) {
  el.dataset.size = String(bytes);
  el.textContent = formatSize(bytes);
}

/** Shows an RFC 3339 time in the current language (`el` is usually a <time>). */
export function setDateText(el, iso) {
  el.dataset.date = iso;
  if (el instanceof HTMLTimeElement) el.dateTime = iso;
  el.textContent = formatDate(iso);
}

function relabel(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = messageText(JSON.parse(el.dataset.i18n));
  }
  for (const el of root.querySelectorAll('[data-i18n-attrs]')) {
    for (const [name, message] of Object.entries(JSON.parse(el.dataset.i18nAttrs))) {
      el.setAttribute(name, messageText(message));
    }
  }
  for (const el of root.querySelectorAll('[data-size]')) el.textContent = formatSize(Number(el.dataset.size));
  for (const el of root.querySelectorAll('[data-date]')) el.textContent = formatDate(el.dataset.date);
}

// Decimal units (1 kB = 1000 B), as file managers on macOS and GNOME show them.
const SIZE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

function formatSize(bytes) {
  let value = Number(bytes);
  let unit = 0;
  while (value >= 999.5 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit > 0 && value < 10 ? 1 : 0;
  const number = new Intl.NumberFormat(language, { maximumFractionDigits: digits }).format(value);
  return t(`size.${SIZE_UNITS[unit]}`, { n: number });
}

function formatDate(iso) {
  return formats.date.format(new Date(iso));
}

/** Compares two strings the way the current language sorts them (numbers by value). */
export function compareText(a, b) {
  return formats.collator.compare(a, b);
}
