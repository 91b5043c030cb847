/**
 * What a project version defines (DESIGN.md "Domain model"): the reader form (the test),
 * the reference standard (what is true), the mapping from evidence to it, and the truth policy.
 * One zod schema each: the lead's editor, the seed, the API and the workflows all parse with these.
 */
import { z } from 'zod';
import { DEFAULT_EVIDENCE_PRECEDENCE, WINDOW_CLOSE_STATES, type EvidenceKind } from '../../../../domain/vocabulary.ts';
import { evidenceKindSchema } from '../../../../domain/vocabulary-schemas.server.ts';
import { hangingProtocolSchema } from '../../../../imaging/hanging-protocol.ts';

const key = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'use lowercase letters, digits and _; start with a letter');

export const optionSchema = z.object({
  value: z.string().min(1),
  label: z.string().min(1),
  description: z.string().optional(),
});

const fieldBase = {
  key,
  label: z.string().min(1),
  help: z.string().optional(),
  /** 'case' fields are answered once; 'finding' fields once per finding (e.g. per breast). */
  scope: z.enum(['case', 'finding']).default('case'),
  required: z.boolean().default(true),
};

export const fieldSchema = z.discriminatedUnion('kind', [
  z.object({ ...fieldBase, kind: z.literal('binary'), trueLabel: z.string().default('Yes'), falseLabel: z.string().default('No') }),
  z.object({ ...fieldBase, kind: z.literal('nominal'), options: z.array(optionSchema).min(2) }),
  z.object({
    ...fieldBase,
    kind: z.literal('ordinal'),
    /** In scale order: distance between answers is the distance between positions here. */
    options: z.array(optionSchema).min(2),
    /** Answers outside the scale (BI-RADS 0 = incomplete): never within distance of anything. */
    outsideScale: z.array(optionSchema).default([]),
  }),
  z.object({ ...fieldBase, kind: z.literal('multi_label'), options: z.array(optionSchema).min(1) }),
  z.object({
    ...fieldBase,
    kind: z.literal('numeric'),
    unit: z.string().default(''),
    min: z.number().optional(),
    max: z.number().optional(),
    step: z.number().positive().optional(),
  }),
]);
export type Field = z.infer<typeof fieldSchema>;

export const findingDefSchema = z.object({ key, label: z.string().min(1) });
export type FindingDef = z.infer<typeof findingDefSchema>;

export const readerFormSchema = z.object({
  /** Findings the per-finding fields are asked for (e.g. left and right breast). */
  findings: z.array(findingDefSchema).default([]),
  fields: z.array(fieldSchema).min(1),
  confidence: z.boolean().default(false),
  comment: z.boolean().default(true),
  /** How the case's images hang in the viewer (part of what readers see, so versioned with the form). */
  hangingProtocol: hangingProtocolSchema.optional(),
});
export type ReaderForm = z.infer<typeof readerFormSchema>;

export const referenceStandardSchema = z.object({
  /** Truth per case, or per finding (the reader form's findings). */
  level: z.enum(['case', 'finding']),
  outcome: z.object({ key, label: z.string().min(1), positiveLabel: z.string().default('Positive'), negativeLabel: z.string().default('Negative') }),
  /**
   * 'panel': the reader panel's consensus is the truth (mapping is the identity, from `panelField`).
   * 'evidence': truth comes from evidence through the mapping; the readers are the test.
   */
  source: z.enum(['panel', 'evidence']),
  /** For 'panel': which reader-form field is the truth. */
  panelField: key.optional(),
});
export type ReferenceStandard = z.infer<typeof referenceStandardSchema>;

export { evidenceKindSchema, type EvidenceKind };

export const mappingRuleSchema = z.object({
  kind: evidenceKindSchema,
  resultCodes: z.array(z.string().min(1)).min(1),
  /** true → positive, false → negative for that case/finding. */
  value: z.boolean(),
  /** Only counts when dated inside the follow-up window. */
  requiresWindow: z.boolean().default(false),
});
export const mappingSchema = z.object({
  rules: z.array(mappingRuleSchema).default([]),
  /** Which evidence wins when several verify: earlier in the list wins. */
  precedence: z.array(evidenceKindSchema).default([...DEFAULT_EVIDENCE_PRECEDENCE]),
  /**
   * Optional: what the readers' consensus leads one to expect, for radiologic–pathologic
   * discordance. When the first verifying evidence of a subject contradicts the expectation of its
   * consensus (BI-RADS 5 with a benign core biopsy), a discordance review opens instead of truth.
   */
  expectation: z.object({ field: key, positive: z.array(z.string().min(1)).default([]), negative: z.array(z.string().min(1)).default([]) }).optional(),
});
export type Mapping = z.infer<typeof mappingSchema>;

export const agreementRuleSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('unanimous') }),
  z.object({ type: z.literal('m_of_k'), m: z.number().int().min(1), k: z.number().int().min(1) }),
  z.object({
    type: z.literal('ordinal_distance'),
    /** Agreement when all answers lie within d positions. */
    d: z.number().int().min(0),
    /** Pairs of adjacent values whose split always goes to adjudication (BI-RADS 3|4). */
    thresholds: z.array(z.tuple([z.string(), z.string()])).default([]),
  }),
  z.object({ type: z.literal('numeric_tolerance'), absolute: z.number().min(0).optional(), relative: z.number().min(0).optional() }),
]);
export type AgreementRule = z.infer<typeof agreementRuleSchema>;

export const truthPolicySchema = z.object({
  readersPerCase: z.number().int().min(1).max(20),
  /** Rule per reader-form field key; fields without one use `defaultRule`. */
  rules: z.record(z.string(), agreementRuleSchema).default({}),
  defaultRule: agreementRuleSchema.default({ type: 'unanimous' }),
  /** On disagreement: an adjudicator decides, or one more reader then majority ("2+1"). */
  onDisagreement: z.enum(['adjudicate', 'extra_reader']).default('adjudicate'),
  adjudication: z.object({ mode: z.enum(['single', 'panel']).default('single'), panelSize: z.number().int().min(1).default(1) }).default({ mode: 'single', panelSize: 1 }),
  /** Cannot-assess reads on one case before the lead is asked to confirm exclusion. */
  cannotAssessLimit: z.number().int().min(1).default(2),
  followUpWindow: z.object({ startDays: z.number().int().min(0), endDays: z.number().int().min(1), onClose: z.enum(WINDOW_CLOSE_STATES).default('unverified') }).optional(),
  blinding: z
    .object({
      /** After finishing a case, may a reader see the other reads and the truth? */
      revealAfterFinish: z.boolean().default(false),
      maskReaderIdentities: z.boolean().default(true),
    })
    .default({ revealAfterFinish: false, maskReaderIdentities: true }),
  /** Informed truthing: the adjudicator sees the evidence. */
  informedTruthing: z.boolean().default(false),
  assignmentExpiryHours: z.number().int().min(1).default(72),
  /** The order readers meet cases: each reader's own seeded random order (absent) or import order for everyone. */
  caseOrder: z.enum(['random', 'fixed']).optional(),
});
export type TruthPolicy = z.infer<typeof truthPolicySchema>;

export const projectDefinitionSchema = z.object({
  readerForm: readerFormSchema,
  referenceStandard: referenceStandardSchema,
  mapping: mappingSchema,
  truthPolicy: truthPolicySchema,
});
export type ProjectDefinition = z.infer<typeof projectDefinitionSchema>;

/** One answerable item: a case field, or a per-finding field for one finding ("left/birads"). */
export function itemKey(field: string, finding?: string): string {
  return finding ? `${finding}/${field}` : field;
}

export function formItems(form: ReaderForm): { key: string; field: Field; finding?: FindingDef }[] {
  const out: { key: string; field: Field; finding?: FindingDef }[] = [];
  for (const field of form.fields) {
    if (field.scope === 'finding') for (const f of form.findings) out.push({ key: itemKey(field.key, f.key), field, finding: f });
    else out.push({ key: field.key, field });
  }
  return out;
}

/** An answer: binary → boolean, nominal/ordinal → option value, multi_label → values, numeric → number. */
export type Answer = boolean | string | string[] | number;
/** A read's values: item key → answer. A cannot-assess read has values = null. */
export type ReadValues = Record<string, Answer>;
