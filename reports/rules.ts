/**
 * A rules file: findings to look for (phrases and/or regular expressions) and, optionally, the
 * project's changes to the shipped trigger lists. Validated with zod; errors name the JSON path.
 *
 * Regular expressions run on RE2 (re2js, pure JavaScript): matching time is linear in the text,
 * so a pattern such as "(a+)+$" cannot hang the process the way it can on a backtracking engine.
 *
 * The older "labels" form (first label in list order with a counting match wins, else "default")
 * is still accepted and runs on the same engine.
 */
import { z } from 'zod';
import { RE2JS } from 're2js';
import { compileTriggers, DIRECTIONS, SHIPPED_TRIGGERS, TRIGGER_KINDS, trieInsert, type CompiledTriggers, type TriggerEntry, type TriggerSet } from './triggers.ts';
import { normalizeHeading, phraseTokens } from './tokens.ts';

export class RulesError extends Error {
  constructor(
    message: string,
    /** JSON path of the offending value, e.g. "findings[0].patterns[1]" ('' = the whole file). */
    readonly path: string,
  ) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'RulesError';
  }
}

const nonEmpty = z.string().trim().min(1, 'must be a non-empty string');
const kind = z.enum(TRIGGER_KINDS, { error: `must be one of ${TRIGGER_KINDS.join(', ')}` });

const TriggerSchema = z.union([
  z.strictObject({ phrase: nonEmpty, kind, direction: z.enum(DIRECTIONS, { error: `must be one of ${DIRECTIONS.join(', ')}` }), window: z.number().int().positive().optional() }),
  z.strictObject({ phrase: nonEmpty, kind: z.enum(['pseudo', 'terminate']), for: z.array(kind).min(1, 'name at least one kind') }),
]);

const FindingSchema = z
  .strictObject({
    finding: nonEmpty,
    phrases: z.array(nonEmpty).optional().default([]),
    patterns: z.array(z.string().min(1, 'must be a non-empty string')).optional().default([]),
  })
  .refine((f) => f.phrases.length + f.patterns.length > 0, { message: 'give at least one phrase or pattern' });

const TriggerChanges = z
  .strictObject({
    add: z.array(TriggerSchema).optional().default([]),
    remove: z.array(nonEmpty).optional().default([]),
    headings: z
      .array(z.strictObject({ heading: nonEmpty, kind: z.enum([...TRIGGER_KINDS, 'none']) }))
      .optional()
      .default([]),
  })
  .optional();

const Common = {
  name: nonEmpty,
  version: z.number().int('must be an integer').positive('must be positive'),
  sections: z.array(nonEmpty).min(1, 'give at least one section or leave "sections" out').optional(),
  triggers: TriggerChanges,
};

export const FindingRulesSchema = z.strictObject({ ...Common, findings: z.array(FindingSchema).min(1, 'needs at least one finding') });

export const LabelRulesSchema = z.strictObject({
  ...Common,
  labels: z
    .array(
      z.strictObject({
        label: nonEmpty,
        patterns: z.array(z.string().min(1, 'must be a non-empty string')).min(1, 'needs at least one pattern'),
        negations: z.boolean().optional().default(false),
      }),
    )
    .min(1, 'needs at least one label'),
  default: z.string(),
});

export type FindingRulesInput = z.input<typeof FindingRulesSchema>;
export type LabelRulesInput = z.input<typeof LabelRulesSchema>;
export type RulesInput = FindingRulesInput | LabelRulesInput;

export interface CompiledFinding {
  finding: string;
  patterns: { source: string; re: RE2JS }[];
}

export interface PhraseNode {
  next: Map<string, PhraseNode>;
  entries: number[] | null;
}

export interface CompiledRules {
  name: string;
  version: number;
  /** "name@version" of the trigger lists in use (recorded with every label). */
  triggersVersion: string;
  findings: CompiledFinding[];
  /** Finding phrases as a token trie; entries are finding indexes. */
  phrases: PhraseNode;
  sections: string[] | null;
  triggers: CompiledTriggers;
  /** Present in the older "labels" form: label per finding index, and the default. */
  labels: { label: string; negations: boolean }[] | null;
  default: string;
}

/** "findings[0].patterns[1]" from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out;
}

function fail(error: z.ZodError): never {
  const issue = error.issues[0];
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_union' && 'errors' in issue && Array.isArray(issue.errors) && issue.errors[0]?.[0]) {
    const first = issue.errors[0][0] as z.core.$ZodIssue;
    throw new RulesError(first.message, formatPath([...issue.path, ...first.path]));
  }
  throw new RulesError(message, formatPath(issue.path));
}

/** Compile a regular expression on RE2 (case-insensitive); RulesError naming the path. */
export function compilePattern(source: string, path: string, owner: string): RE2JS {
  let re: RE2JS;
  try {
    re = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
  } catch (e) {
    throw new RulesError(`invalid regex for ${owner} pattern ${JSON.stringify(source)}: ${(e as Error).message}`, path);
  }
  if (re.matcher('').find()) throw new RulesError(`pattern ${JSON.stringify(source)} of ${owner} matches the empty string`, path);
  return re;
}

/** Validate a parsed rules document and compile every pattern up front. Throws RulesError. */
export function compileRules(doc: unknown, triggerSet: TriggerSet = SHIPPED_TRIGGERS): CompiledRules {
  const isLabels = typeof doc === 'object' && doc !== null && !Array.isArray(doc) && 'labels' in doc && !('findings' in doc);
  const phrases: PhraseNode = { next: new Map(), entries: null };
  if (isLabels) {
    const parsed = LabelRulesSchema.safeParse(doc);
    if (!parsed.success) fail(parsed.error);
    const r = parsed.data;
    return {
      ...common(r, triggerSet),
      findings: r.labels.map((l, i) => ({
        finding: l.label,
        patterns: l.patterns.map((source, j) => ({ source, re: compilePattern(source, `labels[${i}].patterns[${j}]`, `label "${l.label}"`) })),
      })),
      phrases,
      labels: r.labels.map((l) => ({ label: l.label, negations: l.negations })),
      default: r.default,
    };
  }
  const parsed = FindingRulesSchema.safeParse(doc);
  if (!parsed.success) fail(parsed.error);
  const r = parsed.data;
  const seen = new Map<string, number>();
  const findings = r.findings.map((f, i): CompiledFinding => {
    const first = seen.get(f.finding);
    if (first !== undefined) throw new RulesError(`duplicate finding "${f.finding}" (first at findings[${first}])`, `findings[${i}].finding`);
    seen.set(f.finding, i);
    f.phrases.forEach((p, j) => {
      const tokens = phraseTokens(p);
      if (!tokens.some((w) => /[\p{L}\p{N}]/u.test(w))) throw new RulesError(`phrase ${JSON.stringify(p)} has no words`, `findings[${i}].phrases[${j}]`);
      trieInsert(phrases, tokens, i);
    });
    return { finding: f.finding, patterns: f.patterns.map((source, j) => ({ source, re: compilePattern(source, `findings[${i}].patterns[${j}]`, `finding "${f.finding}"`) })) };
  });
  return { ...common(r, triggerSet), findings, phrases, labels: null, default: '' };
}

function common(r: { name: string; version: number; sections?: string[]; triggers?: z.output<typeof TriggerChanges> }, set: TriggerSet) {
  const add = (r.triggers?.add ?? []).map((t): TriggerEntry => ({ ...t, source: `rules:${r.name}` }) as TriggerEntry);
  return {
    name: r.name,
    version: r.version,
    triggersVersion: `${set.name}@${set.version}${r.triggers && (add.length || r.triggers.remove.length || r.triggers.headings.length) ? `+${r.name}@${r.version}` : ''}`,
    sections: r.sections ? r.sections.map(normalizeHeading) : null,
    triggers: compileTriggers(set, { add, remove: r.triggers?.remove, sections: r.triggers?.headings }),
  };
}

/** Parse and compile a rules file's text; a JSON syntax error carries its line (0 = unknown). */
export function parseRulesText(text: string, triggerSet?: TriggerSet): CompiledRules {
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? text.slice(0, Number(pos[1])).split('\n').length : 0;
    throw new RulesError(`invalid JSON${line ? ` (line ${line})` : ''}: ${msg}`, '');
  }
  return compileRules(doc, triggerSet);
}
