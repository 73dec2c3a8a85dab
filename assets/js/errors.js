// What to tell the user about a failed API call: in their language when the error code
// is one we know, else the server's own message (always readable English).

import { hasKey } from './i18n.js';

/** A message (see i18n.js) for `err`, an ApiError or anything thrown. */
export function errorMessage(err) {
  if (err?.code === 'too_many_requests') {
    return ['errors.too_many_requests', { count: err.retryAfter ?? 60 }];
  }
  const [field] = Object.keys(err?.fields ?? {});
  if (field) return fieldErrorMessage(err, field);
  const key = `errors.${err?.code}`;
  if (err?.code && hasKey(key)) return [key];
  return err?.message || ['errors.unknown'];
}

/** The message for one failing field of `err`, for showing next to that field. */
export function fieldErrorMessage(err, field) {
  const byField = `errors.${err.code}_${field}`; // e.g. errors.taken_email
  if (hasKey(byField)) return [byField];
  return err.fields[field];
}
