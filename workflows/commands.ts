/**
 * What callers (UI, API, seed) send to a case: `CaseCommand`. The runtime turns a command into
 * the machine event that is recorded in the chain (adding ids, time and actor) plus the parts
 * that are stored only in the reads row — free text such as comments and cannot-assess reasons,
 * confidence and time spent — so that identifying text can be purged without breaking the chain.
 */
import { z } from 'zod';
import { uuidSchema } from '../domain/vocabulary-schemas.server.ts';
import { evidenceKindSchema, type EvidenceKind, type ReadValues } from './definition.ts';
import { DISCORDANCE_OUTCOMES, type DiscordanceOutcome } from './evidence-mapping.ts';

/** A calendar date, YYYY-MM-DD, that exists. */
export const isoDateSchema = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'use a date like 2024-03-01')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'not a real date');

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
  z.object({
    type: z.literal('evidence.record'),
    /** Finding key of the reader form (e.g. "left"); absent/null = the whole case. */
    finding: z.string().trim().min(1).max(40).nullable().optional(),
    kind: evidenceKindSchema,
    date: isoDateSchema,
    resultCode: z.string().trim().min(1).max(200).optional(),
    /** Free text (report, pathology wording): stored in the evidence row only, never in the chain. */
    text: z.string().max(20000).optional(),
    /** How the value was obtained; default { method: 'manual' }. */
    extraction: z.record(z.string(), z.unknown()).optional(),
    extractionRuleId: uuidSchema.optional(),
  }),
  z.object({
    type: z.literal('discordance.close'),
    /** The finding whose discordance is closed (null = the case); may be left out when only one is open. */
    findingId: z.string().min(1).nullable().optional(),
    outcome: z.enum(DISCORDANCE_OUTCOMES),
    /** With truth_changed only: the new truth (true = positive); default the value of the evidence that opened the review. */
    value: z.boolean().optional(),
    reason: text,
  }),
  z.object({ type: z.literal('case.withdraw'), reason: text }),
  /** A historical case's evidence is complete: its held follow-up window closes now. */
  z.object({ type: z.literal('evidence.complete'), reason: text }),
]);

type ReadExtras = { cannotAssessReason?: string; comment?: string; confidence?: number; timeSpentMs?: number };
export type CaseCommand =
  | ({ type: 'read.submit'; values: ReadValues | null } & ReadExtras)
  | ({ type: 'read.amend'; supersedesReadId: string; values: ReadValues | null; reason: string } & ReadExtras)
  | { type: 'adjudication.decide'; pickReadId?: string; values?: ReadValues; rationale: string; comment?: string }
  | { type: 'adjudication.requestRead'; rationale: string }
  | { type: 'exclusion.resolve'; exclude: boolean; reason: string }
  | { type: 'case.reopen'; reason: string }
  | {
      type: 'evidence.record';
      finding?: string | null;
      kind: EvidenceKind;
      date: string;
      resultCode?: string;
      text?: string;
      extraction?: Record<string, unknown>;
      extractionRuleId?: string;
    }
  | { type: 'discordance.close'; findingId?: string | null; outcome: DiscordanceOutcome; value?: boolean; reason: string }
  | { type: 'case.withdraw'; reason: string }
  | { type: 'evidence.complete'; reason: string };

/** The project role an actor needs for each command. */
export const REQUIRED_ROLE: Record<CaseCommand['type'], 'reader' | 'adjudicator' | 'lead'> = {
  'read.submit': 'reader',
  'read.amend': 'reader',
  'adjudication.decide': 'adjudicator',
  'adjudication.requestRead': 'adjudicator',
  'exclusion.resolve': 'lead',
  'case.reopen': 'lead',
  'evidence.record': 'lead',
  'discordance.close': 'lead',
  'case.withdraw': 'lead',
  'evidence.complete': 'lead',
};

/** Events only the system sends (no actor, no role): the scheduler's `window.close` and `evidence.grace`. */
export type SystemCommand = { type: 'window.close' } | { type: 'evidence.grace' };
export const SYSTEM_EVENT_TYPES = ['window.close', 'evidence.grace'] as const;
