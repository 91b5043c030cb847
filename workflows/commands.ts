/**
 * What callers (UI, API, seed) send to a case: `CaseCommand`. The runtime turns a command into
 * the machine event that is recorded in the chain (adding ids, time and actor) plus the parts
 * that are stored only in the reads row — free text such as comments and cannot-assess reasons,
 * confidence and time spent — so that identifying text can be purged without breaking the chain.
 */
import { z } from 'zod';
import type { ReadValues } from './definition.ts';

const text = z.string().trim().min(1).max(4000);
const values = z.record(z.string(), z.unknown()).nullable();
const readExtras = {
  cannotAssessReason: text.optional(),
  comment: z.string().max(4000).optional(),
  confidence: z.number().int().min(0).max(100).optional(),
  timeSpentMs: z.number().int().min(0).optional(),
};

export const caseCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('read.submit'), values, ...readExtras }),
  z.object({ type: z.literal('read.amend'), supersedesReadId: z.string().min(1), values, reason: text, ...readExtras }),
  z.object({
    type: z.literal('adjudication.decide'),
    pickReadId: z.string().min(1).optional(),
    values: z.record(z.string(), z.unknown()).optional(),
    rationale: text,
    comment: z.string().max(4000).optional(),
  }),
  z.object({ type: z.literal('adjudication.requestRead'), rationale: text }),
  z.object({ type: z.literal('exclusion.resolve'), exclude: z.boolean(), reason: text }),
  z.object({ type: z.literal('case.reopen'), reason: text }),
]);

type ReadExtras = { cannotAssessReason?: string; comment?: string; confidence?: number; timeSpentMs?: number };
export type CaseCommand =
  | ({ type: 'read.submit'; values: ReadValues | null } & ReadExtras)
  | ({ type: 'read.amend'; supersedesReadId: string; values: ReadValues | null; reason: string } & ReadExtras)
  | { type: 'adjudication.decide'; pickReadId?: string; values?: ReadValues; rationale: string; comment?: string }
  | { type: 'adjudication.requestRead'; rationale: string }
  | { type: 'exclusion.resolve'; exclude: boolean; reason: string }
  | { type: 'case.reopen'; reason: string };

/** The project role an actor needs for each command. */
export const REQUIRED_ROLE: Record<CaseCommand['type'], 'reader' | 'adjudicator' | 'lead'> = {
  'read.submit': 'reader',
  'read.amend': 'reader',
  'adjudication.decide': 'adjudicator',
  'adjudication.requestRead': 'adjudicator',
  'exclusion.resolve': 'lead',
  'case.reopen': 'lead',
};
