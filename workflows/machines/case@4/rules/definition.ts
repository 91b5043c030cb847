/**
 * What a project version defines (DESIGN.md "Domain model"): the reader form (the test),
 * the reference standard (what is true), the mapping from evidence to it, and the truth policy.
 * One zod schema each: the lead's editor, the seed, the API and the workflows all parse with these.
 */
import { z } from 'zod';
import { DEFAULT_EVIDENCE_PRECEDENCE, SKIP_OUTCOMES, WINDOW_CLOSE_STATES, type EvidenceKind } from '../../../../domain/vocabulary.ts';
import { evidenceKindSchema } from '../../../../domain/vocabulary-schemas.server.ts';
import { hangingProtocolSchema } from '../../../../imaging/hanging-protocol.ts';
import { MARK_KINDS, type Lesion, type LesionAnswer } from './marks.ts';
import { itemKey } from './form-items.ts';

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

/**
 * A marks item: readers locate what they report. Answered with a list of lesions, each
 * a mark drawn with one of `tools` and answered with `fields` (per lesion: type, BI-RADS, …).
 * `required`: at least one mark; otherwise marks are allowed and none is the answer "no lesion".
 */
export const markItemSchema = z.object({
  key,
  label: z.string().min(1),
  help: z.string().optional(),
  scope: z.enum(['case', 'finding']).default('case'),
  required: z.boolean().default(false),
  tools: z.array(z.enum(MARK_KINDS)).min(1),
  fields: z.array(fieldSchema).default([]),
});
export type MarkItem = z.infer<typeof markItemSchema>;

export const readerFormSchema = z.object({
  /** Findings the per-finding fields are asked for (e.g. left and right breast). */
  findings: z.array(findingDefSchema).default([]),
  fields: z.array(fieldSchema).min(1),
  confidence: z.boolean().default(false),
  comment: z.boolean().default(true),
  /** How the case's images hang in the viewer (part of what readers see, so versioned with the form). */
  hangingProtocol: hangingProtocolSchema.optional(),
  /** Marks items (case@4): lesions located on the images, matched by location across readers. */
  marks: z.array(markItemSchema).optional(),
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

/**
 * How marks of different readers are matched on one image (optimal one-to-one): points within a
 * radius (mm when both marks know their pixel spacing and `radiusMm` is set, pixels otherwise),
 * boxes, ellipses and outlines by IoU ≥ `iou`; a point matches a region it lies in.
 */
export const markMatchRuleSchema = z.object({
  radiusPx: z.number().positive().default(20),
  radiusMm: z.number().positive().optional(),
  iou: z.number().gt(0).max(1).default(0.5),
});
export type MarkMatchRule = z.infer<typeof markMatchRuleSchema>;

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
  /** Location matching per marks item key; items without one use the defaults (case@4). */
  markRules: z.record(z.string(), markMatchRuleSchema).optional(),
});
export type TruthPolicy = z.infer<typeof truthPolicySchema>;

/** A study arm (modality): e.g. unaided, or aided by an AI model (its results shown to the reader). */
export const studyArmSchema = z.object({ key, label: z.string().min(1), aided: z.boolean().default(false) });

/**
 * The reader-study design (docs/decisions/study-0001-design.md). Each (case, arm) is its
 * own reading unit with its own workflow, so agreement, adjudication and statistics stay per arm
 * and the case machine is unchanged.
 */
export const studySchema = z
  .object({
    /** fully_crossed: every reader reads every case in every arm; split_plot: reader group g reads case block g. */
    design: z.enum(['fully_crossed', 'split_plot']).default('fully_crossed'),
    arms: z.array(studyArmSchema).min(1).max(4),
    /** counterbalanced: reader i starts with arm i mod arms (rotated); fixed: everyone in the listed order. */
    armOrder: z.enum(['counterbalanced', 'fixed']).default('counterbalanced'),
    /** Split-plot: number of reader groups (= case blocks). */
    groups: z.number().int().min(1).max(20).default(1),
    /** Days between a reader's sessions (so two reads of one case in different arms are at least this far apart). */
    washoutDays: z.number().int().min(0).max(365).default(28),
    /** Each reader's own seeded random order (default) or the import order for everyone. */
    order: z.enum(['random', 'fixed']).default('random'),
    /** Share of cases re-read blind by every reader of them, after a washout, for intra-reader agreement. */
    rereadShare: z.number().min(0).max(0.5).default(0),
    /** Calibration cases (known truth, never in statistics): optional qualification before study cases. */
    qualification: z.object({ item: z.string().min(1), minKappa: z.number().min(-1).max(1), minCases: z.number().int().min(1) }).optional(),
    /** What a skip does: deferred (offered again after the session's other cases) or excluded for that reader. */
    skipRules: z
      .object({ image_quality: z.enum(SKIP_OUTCOMES), missing_series: z.enum(SKIP_OUTCOMES), conflict_of_interest: z.enum(SKIP_OUTCOMES) })
      .default({ image_quality: 'deferred', missing_series: 'deferred', conflict_of_interest: 'excluded' }),
    /** A deferred case skipped this many times is excluded for that reader. */
    maxDeferrals: z.number().int().min(1).max(10).default(2),
  })
  .superRefine((s, ctx) => {
    const keys = new Set<string>();
    s.arms.forEach((a, i) => {
      if (keys.has(a.key)) ctx.addIssue({ code: 'custom', path: ['arms', i, 'key'], message: `arm ${a.key} appears twice` });
      keys.add(a.key);
    });
    if (s.design === 'split_plot' && s.groups < 2) ctx.addIssue({ code: 'custom', path: ['groups'], message: 'a split-plot design needs at least 2 reader groups' });
  });
export type StudyDesign = z.infer<typeof studySchema>;

export const projectDefinitionSchema = z.object({
  readerForm: readerFormSchema,
  referenceStandard: referenceStandardSchema,
  mapping: mappingSchema,
  truthPolicy: truthPolicySchema,
  /** Present when the project is a reader study. */
  study: studySchema.optional(),
});
export type ProjectDefinition = z.infer<typeof projectDefinitionSchema>;

// Moved to form-items.ts (zod-free, for the browser); re-exported so existing imports keep working.
export { formItems, itemKey } from './form-items.ts';

/** Every marks item of the form, per finding for finding-scoped ones ("left/lesions"). */
export function markItems(form: ReaderForm): { key: string; item: MarkItem; finding?: FindingDef }[] {
  const out: { key: string; item: MarkItem; finding?: FindingDef }[] = [];
  for (const item of form.marks ?? []) {
    if (item.scope === 'finding') for (const f of form.findings) out.push({ key: itemKey(item.key, f.key), item, finding: f });
    else out.push({ key: item.key, item });
  }
  return out;
}

export function markRuleFor(policy: TruthPolicy, item: MarkItem): MarkMatchRule {
  return policy.markRules?.[item.key] ?? markMatchRuleSchema.parse({});
}

/**
 * An answer: binary → boolean, nominal/ordinal → option value, multi_label → values, numeric →
 * number; a marks item → its lesions (workflows/marks.ts).
 */
export type Answer = LesionAnswer | Lesion[];
/** A read's values: item key → answer. A cannot-assess read has values = null. */
export type ReadValues = Record<string, Answer>;
