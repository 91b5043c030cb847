import { json } from '@remix-run/node';
import type { FieldErrors } from './forms.ts';

/** Failed validation: 400 with the field errors (and the intent, when a route has several forms). */
export function validationFailed(errors: FieldErrors, extra: Record<string, unknown> = {}) {
  return json({ ok: false as const, errors, ...extra }, { status: 400 });
}

export function notFound(message = 'There is nothing at this address, or it is not visible to you.'): never {
  throw new Response(message, { status: 404 });
}
