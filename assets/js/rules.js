// The server's input rules (src/validate.rs), checked while the user types so mistakes
// show at once and in their language. Each rule returns a message ([key, params]) or
// null when the value is fine. The server checks again; its word is final.

const byteLength = (s) => new TextEncoder().encode(s).length;
const charCount = (s) => [...s].length;
const CONTROL = /\p{Cc}/u;

// Like the server, the account fields are checked with surrounding spaces trimmed.

export function username(value) {
  const name = value.trim();
  if (name === '') return ['rules.required'];
  if (!/^[A-Za-z]/.test(name)) return ['rules.username_start'];
  if (!/^[A-Za-z0-9]+$/.test(name)) return ['rules.username_chars'];
  if (name.length < 4 || name.length > 20) return ['rules.username_length', { count: name.length }];
  return null;
}

export function fullName(value) {
  if (CONTROL.test(value)) return ['rules.no_control'];
  const length = charCount(value.trim());
  if (length === 0) return ['rules.required'];
  if (length > 150) return ['rules.full_name_length', { count: length }];
  return null;
}

export function email(value) {
  const address = value.trim();
  if (address === '') return ['rules.required'];
  if (byteLength(address) > 254) return ['rules.email_too_long'];
  if (/[\s\p{Cc}]/u.test(address)) return ['rules.email_spaces'];
  const at = address.indexOf('@');
  if (at < 0 || address.indexOf('@', at + 1) >= 0) return ['rules.email_at'];
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local === '') return ['rules.email_local'];
  if (byteLength(local) > 64) return ['rules.email_local_long'];
  if (!domain.includes('.')) return ['rules.email_domain'];
  const labels = domain.split('.');
  if (labels.some((label) => label === '')) return ['rules.email_dots'];
  if (labels.some((label) => byteLength(label) > 63)) return ['rules.email_label_long'];
  return null;
}

/** Lists everything missing at once, so the user fixes the password in one go. */
export function password(value) {
  const length = charCount(value);
  if (length > 1024) return ['rules.password_too_long'];
  const missing = [];
  if (length < 8) missing.push(['rules.password_needs_length']);
  if (!/\p{Uppercase}/u.test(value)) missing.push(['rules.password_needs_upper']);
  if (!/[0-9]/.test(value)) missing.push(['rules.password_needs_digit']);
  if (!/[^\p{Alphabetic}\p{N}]/u.test(value)) missing.push(['rules.password_needs_symbol']);
  return missing.length ? ['rules.password_needs', { missing: { list: missing } }] : null;
}

export function fileName(value) {
  if (value === '') return ['rules.required'];
  if (byteLength(value) > 255) return ['rules.file_name_long', { count: byteLength(value) }];
  if (/[/\\]/.test(value)) return ['rules.file_name_slash'];
  if (CONTROL.test(value)) return ['rules.no_control'];
  if (value === '.' || value === '..') return ['rules.file_name_dots'];
  if (value.trim() === '') return ['rules.file_name_blank'];
  return null;
}

export function comment(value) {
  if (/[^\P{Cc}\n\r\t]/u.test(value)) return ['rules.comment_control'];
  const length = charCount(value);
  if (length > 1000) return ['rules.comment_long', { count: length }];
  return null;
}

// Share links and file requests (src/api/shares.rs, src/api/requests.rs)

/** A link's password: empty means none, so only its length can be wrong. */
export function linkPassword(value) {
  return charCount(value) > 1024 ? ['rules.password_too_long'] : null;
}

/** A limit (downloads, files): a whole number, 1 or more; empty means no limit. */
export function limit(value) {
  const text = value.trim();
  if (text === '') return null;
  const n = Number(text);
  return /^\d+$/.test(text) && n >= 1 && Number.isSafeInteger(n) ? null : ['rules.limit'];
}

/** One line of text of at most `max` characters: a request's label, a sender's name. */
export function shortText(value, max) {
  if (CONTROL.test(value)) return ['rules.no_control'];
  const count = charCount(value);
  return count > max ? ['rules.text_long', { max, count }] : null;
}
