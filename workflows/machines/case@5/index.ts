/** The case@5 version: its machine and the refusal rule `step` checks before it. */
import { caseMachine } from './machine.ts';
import { whyNot } from './helpers.ts';
import { MACHINE_VERSION } from './types.ts';

export const caseV5 = { version: MACHINE_VERSION, machine: caseMachine, whyNot } as const;
