/**
 * How pages answer the one error type of models and the runtime (domain/errors.ts): a form
 * error with the status its code means, a flash message, or a 404. Anything that is not an
 * AppError is rethrown, so a database failure stays a 500 and is never reported as "not found".
 */
import { json } from '@remix-run/node';
import { AppError, type ErrorCode } from '../../domain/errors.ts';

export const PAGE_STATUS: Record<ErrorCode, number> = {
  not_found: 404,
  forbidden: 403,
  invalid: 400,
  refused: 409,
  conflict: 409,
  unavailable: 503,
};

/** A message as a sentence: capital first letter, closing full stop. */
export function sentence(message: string): string {
  const s = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/** An AppError as the form's errors (on its field, else the whole form), with the intent or other `extra` a page needs. */
export function formError(e: unknown, extra: Record<string, unknown> = {}) {
  if (!(e instanceof AppError)) throw e;
  return json({ ok: false as const, errors: { [e.field ?? '_form']: [sentence(e.message)] }, ...extra }, { status: PAGE_STATUS[e.code] });
}

/** An AppError's message for a flash after a redirect; anything else is rethrown. */
export function errorMessage(e: unknown): string {
  if (!(e instanceof AppError)) throw e;
  return sentence(e.message);
}

/** A `not_found` AppError becomes the 404 page (a case one may not see is reported like one that does not exist); anything else is rethrown. */
export function notFoundAs404(e: unknown): never {
  if (e instanceof AppError && e.code === 'not_found') throw new Response(sentence(e.message), { status: 404 });
  throw e;
}
