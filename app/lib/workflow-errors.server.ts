import { AppError } from '../../domain/errors.ts';
import { NotVisible } from '../models/reading.server.ts';

/** Workflow refusals become a message on the page (nothing changed); anything else is rethrown. */
export function workflowMessage(e: unknown): string | null {
  if (e instanceof AppError) return e.message.charAt(0).toUpperCase() + e.message.slice(1) + '.';
  return null;
}

/** A case the person may not see is reported exactly like one that does not exist. */
export function hideInvisible(e: unknown): never {
  if (e instanceof NotVisible) throw new Response('There is no such case in your queue.', { status: 404 });
  throw e;
}
