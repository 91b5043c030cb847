/** The frozen case@2 version: its machine and the refusal rule `step` checks before it. */
import { caseMachine } from './machine.ts';
import { whyNot } from './helpers.ts';

export const VERSION = 'case@2';
export const caseV2 = { version: VERSION, machine: caseMachine, whyNot } as const;
