/** Typed failures of the workflow runtime: the API maps `code` to an HTTP status, `message` is for people. */
export type WorkflowErrorCode =
  | 'not_found' // 404: no such case / workflow / read
  | 'forbidden' // 403: the actor lacks the project role the event needs
  | 'invalid' // 400/422: the event is malformed (values do not fit the reader form, missing reason…)
  | 'refused' // 409: the case's state or context does not accept the event now
  | 'conflict'; // 409: the client request id was used for something else

export class WorkflowError extends Error {
  readonly code: WorkflowErrorCode;
  constructor(code: WorkflowErrorCode, message: string) {
    super(message);
    this.name = 'WorkflowError';
    this.code = code;
  }
}

/** The case does not accept this event in its state/context; nothing was changed. */
export class EventRefused extends WorkflowError {
  readonly state: string;
  constructor(state: string, reason: string) {
    super('refused', reason);
    this.name = 'EventRefused';
    this.state = state;
  }
}
