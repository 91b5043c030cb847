/**
 * The one error type of models and the workflow runtime. `code` says what kind of failure it is
 * (pages map it in app/lib/errors.server.ts, the API in app/api/http.server.ts); `message` is
 * for people and is shown as it is; `field` names the form field at fault, when there is one.
 */
export const ERROR_CODES = [
  /** No such thing, or not visible to this person (reported alike). */
  'not_found',
  /** The person lacks the role the action needs. */
  'forbidden',
  /** The input is malformed or breaks a rule (values outside the form, missing reason, taken address…). */
  'invalid',
  /** The thing's state does not accept this action now; nothing was changed. */
  'refused',
  /** The request clashes with an earlier one (a client request id used for something else). */
  'conflict',
  /** A dependency the action needs is not there (a missing workflow command, a locked database). */
  'unavailable',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly field: string | null;
  constructor(code: ErrorCode, message: string, options: { field?: string | null; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.field = options.field ?? null;
  }
}

/** The case does not accept this event in its state or context; nothing was changed. */
export class EventRefused extends AppError {
  readonly state: string;
  constructor(state: string, reason: string) {
    super('refused', reason);
    this.name = 'EventRefused';
    this.state = state;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
