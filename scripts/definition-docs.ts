/**
 * Writes docs/definition-format.md from the zod schemas of the project definition
 * (workflows/definition.ts): every property with its type, whether it is required, its default
 * and limits as the schemas state them, and what it means in words kept below. A property
 * without words here fails test/definition-docs.test.ts, which also regenerates the file and
 * compares, so the document cannot drift from the schemas.
 *   npx tsx scripts/definition-docs.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { projectDefinitionSchema } from '../workflows/definition.ts';

type Node = {
  type?: string;
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node | false;
  prefixItems?: Node[];
  additionalProperties?: Node | boolean;
  propertyNames?: Node;
  oneOf?: Node[];
  anyOf?: Node[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  maxItems?: number;
};

/** What each property means, by its path ("[]": any row of a list, "{}": any entry of a map). */
export const MEANING: Record<string, string> = {
  readerForm: 'The reader form: what every reader answers for each case (the test).',
  'readerForm.findings': 'What per-finding questions are asked for (e.g. left and right breast). Empty: every question is asked once per case.',
  'readerForm.findings[].key': 'The finding’s key, as it appears in exports and manifests.',
  'readerForm.findings[].label': 'The finding’s name, shown to readers.',
  'readerForm.fields': 'The questions, in the order readers meet them.',
  'readerForm.fields[].key': 'The question’s key: the column name in exports; rules and mappings refer to the question by it. Unique within the form.',
  'readerForm.fields[].label': 'The question as readers see it.',
  'readerForm.fields[].help': 'Help text shown under the question.',
  'readerForm.fields[].scope': '`case`: answered once per case; `finding`: once per finding of `readerForm.findings`.',
  'readerForm.fields[].required': 'Whether a read can be submitted without an answer.',
  'readerForm.fields[].kind':
    'The answer kind: `binary` yes/no; `ordinal` an ordered scale (distance between answers is the distance between positions); `nominal` one of unordered categories; `multi_label` any number of categories; `numeric` a number.',
  'readerForm.fields[].trueLabel': 'What “yes” reads as (e.g. Present).',
  'readerForm.fields[].falseLabel': 'What “no” reads as (e.g. Absent).',
  'readerForm.fields[].options': 'The answers. For an ordinal scale, lowest first.',
  'readerForm.fields[].options[].value': 'The answer as stored and exported (e.g. "4"). Mappings and agreement rules name answers by this value.',
  'readerForm.fields[].options[].label': 'The answer as readers see it (e.g. "4 — Suspicious").',
  'readerForm.fields[].options[].description': 'A longer explanation shown with the answer.',
  'readerForm.fields[].outsideScale': 'Answers outside the scale (BI-RADS 0: incomplete): never within distance of any other answer.',
  'readerForm.fields[].unit': 'The unit shown beside the number (e.g. mm).',
  'readerForm.fields[].min': 'The smallest number accepted.',
  'readerForm.fields[].max': 'The largest number accepted.',
  'readerForm.fields[].step': 'The step between accepted numbers (e.g. 0.5).',
  'readerForm.confidence': 'Whether readers also give their confidence (0–100), for ROC analysis.',
  'readerForm.comment': 'Whether readers may add a free-text comment.',
  'readerForm.hangingProtocol': 'How the case’s images hang in the viewer. Absent: one image after another. Part of what readers see, so versioned with the form.',
  'readerForm.hangingProtocol.name': 'The layout’s name.',
  'readerForm.hangingProtocol.rows': 'Rows of the viewport grid.',
  'readerForm.hangingProtocol.columns': 'Columns of the viewport grid.',
  'readerForm.hangingProtocol.viewports': 'The viewports, row by row; no more than rows × columns.',
  'readerForm.hangingProtocol.viewports[].label': 'The viewport’s caption (e.g. R CC).',
  'readerForm.hangingProtocol.viewports[].match': 'DICOM attributes an image must carry to hang here (e.g. ImageLaterality R, ViewPosition CC). Empty: any image.',
  'readerForm.hangingProtocol.viewports[].stack': 'A stack holds every matching image (a CT series); otherwise the first match.',
  'readerForm.hangingProtocol.viewports[].align': 'Which edge the image is pushed to: mammograms hang back to back.',
  'readerForm.marks': 'Marks items: readers locate what they report on the images, each lesion a mark answered with its own questions.',
  'readerForm.marks[].key': 'The marks item’s key (exports, location rules).',
  'readerForm.marks[].label': 'The instruction readers see (e.g. Mark each lesion).',
  'readerForm.marks[].help': 'Help text shown with the instruction.',
  'readerForm.marks[].scope': '`case` or once per `finding`.',
  'readerForm.marks[].required': 'At least one mark is required; otherwise no mark is the answer “no lesion”.',
  'readerForm.marks[].tools': 'The drawing tools readers may use.',
  'readerForm.marks[].fields': 'Questions answered per lesion; the same shape as `readerForm.fields[]`.',
  referenceStandard: 'The reference standard: what is true for a case, which the readers are measured against.',
  'referenceStandard.level': 'Truth per `case`, or per `finding` (the reader form’s findings).',
  'referenceStandard.outcome': 'The target condition.',
  'referenceStandard.outcome.key': 'Its key in exports.',
  'referenceStandard.outcome.label': 'Its name (e.g. Malignancy).',
  'referenceStandard.outcome.positiveLabel': 'What positive reads as.',
  'referenceStandard.outcome.negativeLabel': 'What negative reads as.',
  'referenceStandard.source': '`panel`: the reader panel’s consensus is the truth; `evidence`: truth comes from evidence through the mapping, and the readers are the test.',
  'referenceStandard.panelField': 'For a panel: the reader-form question whose consensus answer is the truth. Must be a question of the form.',
  mapping: 'The evidence mapping: which results of which evidence decide the truth.',
  'mapping.rules': 'One rule per group of result codes.',
  'mapping.rules[].kind': 'The kind of evidence the codes come from.',
  'mapping.rules[].resultCodes': 'The result codes (as in the evidence file) this rule maps. A code is mapped once per kind of evidence.',
  'mapping.rules[].value': '`true`: the codes make the case (or finding) positive; `false`: negative.',
  'mapping.rules[].requiresWindow': 'The result counts only when dated inside the follow-up window.',
  'mapping.precedence': 'When several results verify, which kind of evidence wins: earlier in the list wins.',
  'mapping.expectation':
    'Optional: what the readers’ consensus leads one to expect, for radiologic–pathologic concordance. When the first verifying evidence contradicts it (BI-RADS 5 with a benign biopsy), a discordance review opens instead of truth.',
  'mapping.expectation.field': 'The question whose consensus answer sets the expectation. Must be a question of the form with a list of answers.',
  'mapping.expectation.positive': 'Answer values that expect a positive result. Must be answers of that question.',
  'mapping.expectation.negative': 'Answer values that expect a negative result. Must be answers of that question, and not also in `positive`.',
  truthPolicy: 'The truth policy: how reads become truth.',
  'truthPolicy.readersPerCase': 'Independent reads per case.',
  'truthPolicy.rules': 'Agreement rule per question key; questions without one use `defaultRule`. Keys must be questions of the form.',
  'truthPolicy.rules{}.type':
    '`unanimous`: all agree; `m_of_k`: at least m of k agree; `ordinal_distance`: all answers within d positions on the scale; `numeric_tolerance`: numbers within a tolerance.',
  'truthPolicy.rules{}.m': 'm_of_k: how many must agree (more than half of k).',
  'truthPolicy.rules{}.k': 'm_of_k: of how many reads (equal to readersPerCase).',
  'truthPolicy.rules{}.d': 'ordinal_distance: the largest distance, in scale positions, that still agrees.',
  'truthPolicy.rules{}.thresholds': 'ordinal_distance: pairs of neighbouring answers whose split always goes to adjudication (BI-RADS 3|4). Both must be on the scale.',
  'truthPolicy.rules{}.absolute': 'numeric_tolerance: the largest absolute difference that still agrees.',
  'truthPolicy.rules{}.relative': 'numeric_tolerance: the largest relative difference (0.1 = 10 %) that still agrees.',
  'truthPolicy.defaultRule': 'The agreement rule of questions without their own; the same shape as a `rules` entry.',
  'truthPolicy.onDisagreement': '`adjudicate`: an adjudicator decides; `extra_reader`: one more reader, then the majority (“2+1”).',
  'truthPolicy.adjudication': 'Who adjudicates.',
  'truthPolicy.adjudication.mode': '`single` adjudicator or a `panel`.',
  'truthPolicy.adjudication.panelSize': 'The panel’s size (at least 2 for a panel).',
  'truthPolicy.cannotAssessLimit': '“Cannot assess” reads of one case before the lead is asked to confirm its exclusion.',
  'truthPolicy.followUpWindow': 'Optional: when verifying evidence must be dated, in days after the study.',
  'truthPolicy.followUpWindow.startDays': 'The day the window opens. Not after `endDays`.',
  'truthPolicy.followUpWindow.endDays': 'The day the window closes.',
  'truthPolicy.followUpWindow.onClose': 'What a case without verifying evidence becomes when the window closes.',
  'truthPolicy.followUpWindow.graceDays':
    'Optional: for historical cases (imported after their window already closed), the days after the import the case waits for evidence before the window closes; without it, they wait until the lead marks the evidence complete.',
  'truthPolicy.blinding': 'What readers may see.',
  'truthPolicy.blinding.revealAfterFinish': 'After finishing a case, may a reader see the other reads and the truth?',
  'truthPolicy.blinding.maskReaderIdentities': 'Readers are shown to each other (and adjudicators) by pseudonym.',
  'truthPolicy.informedTruthing': 'The adjudicator sees the evidence while deciding.',
  'truthPolicy.assignmentExpiryHours': 'An unfinished assignment returns to the pool after this many hours.',
  'truthPolicy.caseOrder': 'The order readers meet cases: each reader’s own seeded `random` order (also when absent) or import order (`fixed`) for everyone.',
  'truthPolicy.markRules': 'How marks of different readers are matched, per marks item key; items without one use the defaults. Keys must be marks items of the form.',
  'truthPolicy.markRules{}.radiusPx': 'Points within this many pixels match.',
  'truthPolicy.markRules{}.radiusMm': 'Points within this many millimetres match, when both images know their pixel spacing.',
  'truthPolicy.markRules{}.iou': 'Regions match when their intersection over union is at least this.',
  study: 'Present when the project is a reader study (edited on the Study page).',
  'study.design': '`fully_crossed`: every reader reads every case in every arm; `split_plot`: reader group g reads case block g.',
  'study.arms': 'The arms (modalities), e.g. unaided and AI-aided.',
  'study.arms[].key': 'The arm’s key.',
  'study.arms[].label': 'The arm’s name.',
  'study.arms[].aided': 'Readers see the AI model’s results in this arm.',
  'study.armOrder': '`counterbalanced`: reader i starts with arm i mod arms; `fixed`: everyone in the listed order.',
  'study.groups': 'Split-plot: the number of reader groups (= case blocks), at least 2.',
  'study.washoutDays': 'Days between a reader’s sessions of different arms.',
  'study.order': 'Each reader’s own seeded `random` order or the import order (`fixed`).',
  'study.rereadShare': 'Share of cases re-read blind after a washout, for intra-reader agreement.',
  'study.rereadArms': '`first`: re-reads come back in the first arm only; `every`: each re-read case comes back once in every arm (intra-reader κ per arm).',
  'study.qualification': 'Optional calibration cases (known truth, never in statistics) before the study cases.',
  'study.qualification.item': 'The question scored.',
  'study.qualification.minKappa': 'The agreement with the known truth a reader needs.',
  'study.qualification.minCases': 'Calibration cases a reader reads at least.',
  'study.skipRules': 'What a skip does, per reason: `deferred` (offered again later) or `excluded` for that reader.',
  'study.skipRules.image_quality': 'Skipped for image quality.',
  'study.skipRules.missing_series': 'Skipped for a missing series.',
  'study.skipRules.conflict_of_interest': 'Skipped for a conflict of interest.',
  'study.maxDeferrals': 'A case deferred this many times is excluded for that reader.',
};

/** Paths that share another path's meaning (the same schema reused). */
function meaningKey(p: string): string {
  return p
    .replace(/^readerForm\.marks\[\]\.fields\[\]/, 'readerForm.fields[]')
    .replace(/\.outsideScale\[\]/, '.options[]')
    .replace(/^truthPolicy\.defaultRule\./, 'truthPolicy.rules{}.');
}

const SAFE_MAX = Number.MAX_SAFE_INTEGER;
const code = (v: unknown) => `\`${JSON.stringify(v)}\``;

function typeOf(n: Node): string {
  if (n.oneOf || n.anyOf) return 'one of the shapes below';
  if (n.const !== undefined) return code(n.const);
  if (n.enum) return `one of ${n.enum.map(code).join(', ')}`;
  if (n.type === 'array') {
    if (n.prefixItems) return `pair of ${n.prefixItems.map(typeOf).join(' and ')}`;
    const item = n.items && typeof n.items === 'object' ? n.items : {};
    return `list of ${item.type === 'object' || item.oneOf ? 'objects (below)' : typeOf(item)}`;
  }
  if (n.type === 'object') {
    if (n.additionalProperties && typeof n.additionalProperties === 'object') {
      const v = n.additionalProperties;
      const keys = n.propertyNames?.enum ? `key (${n.propertyNames.enum.map((k) => `\`${k}\``).join(', ')})` : 'key';
      return `map of ${keys} → ${v.type === 'object' || v.oneOf ? 'object (below)' : typeOf(v)}`;
    }
    return 'object (below)';
  }
  if (n.type === 'string') return n.pattern === '^[a-z][a-z0-9_]{0,39}$' ? 'key' : 'text';
  if (n.type === 'integer') return 'whole number';
  if (n.type === 'number') return 'number';
  if (n.type === 'boolean') return '`true` or `false`';
  return 'any';
}

function limits(n: Node): string {
  const out: string[] = [];
  if (n.pattern === '^[a-z][a-z0-9_]{0,39}$') out.push('lowercase letters, digits and _, starting with a letter; at most 40');
  else if (n.pattern) out.push(`matches \`${n.pattern}\``);
  if (n.minLength === 1) out.push('not empty');
  else if (n.minLength) out.push(`at least ${n.minLength} characters`);
  if (n.maxLength) out.push(`at most ${n.maxLength} characters`);
  if (n.minimum !== undefined) out.push(`≥ ${n.minimum}`);
  if (n.exclusiveMinimum !== undefined) out.push(`> ${n.exclusiveMinimum}`);
  if (n.maximum !== undefined && n.maximum < SAFE_MAX) out.push(`≤ ${n.maximum}`);
  if (n.minItems && !n.prefixItems) out.push(`at least ${n.minItems} ${n.minItems === 1 ? 'entry' : 'entries'}`);
  if (n.maxItems && !n.prefixItems) out.push(`at most ${n.maxItems}`);
  return out.join('; ');
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

type Section = { title: string; path: string; node: Node; note?: string };

/** The object (or the shapes of a union) a property leads to, as sections of their own. */
function childSections(p: string, n: Node): Section[] {
  const target =
    n.type === 'array' && n.items && typeof n.items === 'object'
      ? { node: n.items, path: `${p}[]` }
      : n.additionalProperties && typeof n.additionalProperties === 'object'
        ? { node: n.additionalProperties, path: `${p}{}` }
        : { node: n, path: p };
  const shapes = target.node.oneOf ?? target.node.anyOf;
  if (shapes) {
    return shapes.map((s) => {
      const discriminator = Object.entries(s.properties ?? {}).find(([, v]) => v.const !== undefined);
      return {
        title: `\`${target.path}\` with ${discriminator ? `\`${discriminator[0]}: ${JSON.stringify(discriminator[1].const)}\`` : 'this shape'}`,
        path: target.path,
        node: s,
      };
    });
  }
  if (target.node.type === 'object' && target.node.properties) return [{ title: `\`${target.path}\``, path: target.path, node: target.node }];
  return [];
}

export function missingMeanings(): string[] {
  const missing: string[] = [];
  const walk = (sections: Section[]) => {
    for (const s of sections)
      for (const [k, v] of Object.entries(s.node.properties ?? {})) {
        const p = `${s.path}.${k}`;
        if (!MEANING[meaningKey(p)]) missing.push(p);
        walk(childSections(p, v));
      }
  };
  const root = rootSchema();
  for (const [k, v] of Object.entries(root.properties ?? {})) {
    if (!MEANING[k]) missing.push(k);
    walk(childSections(k, v));
  }
  return [...new Set(missing)];
}

function rootSchema(): Node {
  return z.toJSONSchema(projectDefinitionSchema, { io: 'input', unrepresentable: 'any' }) as Node;
}

function table(s: Section): string[] {
  const required = new Set(s.node.required ?? []);
  const lines = ['| Property | Type | Required | Default | Limits | Meaning |', '|---|---|---|---|---|---|'];
  for (const [k, v] of Object.entries(s.node.properties ?? {})) {
    const p = s.path ? `${s.path}.${k}` : k;
    const req = required.has(k) && v.default === undefined ? 'yes' : 'no';
    const def = v.default === undefined ? '' : code(v.default);
    lines.push(`| \`${k}\` | ${cell(typeOf(v))} | ${req} | ${cell(def)} | ${cell(limits(v))} | ${cell(MEANING[meaningKey(p)] ?? '')} |`);
  }
  return lines;
}

const CHECKS = [
  'Keys are unique: questions, marks items, findings, and the answer values of one scale.',
  'A question asked per finding needs findings; a reference standard per finding needs findings.',
  'A panel reference standard names a question of the form (`referenceStandard.panelField`).',
  'The expected answers (`mapping.expectation`) name a question of the form that has a list of answers, and every expected value is one of its answers; no value is expected both positive and negative.',
  'A result code is mapped once per kind of evidence.',
  'A number question’s smallest allowed value is not above its largest.',
  'The follow-up window does not start after it ends (`startDays` ≤ `endDays`).',
  'Agreement rules (`truthPolicy.rules`) and location rules (`truthPolicy.markRules`) name questions and marks items of the form; an ordinal-distance rule applies to an ordered scale and its thresholds are on the scale; a numeric tolerance applies to a number; m of k has m > k/2 and k = readers per case; a panel has at least 2 adjudicators.',
];

/** The whole document. */
export function definitionFormatMarkdown(): string {
  const root = rootSchema();
  const out: string[] = [
    '# The project definition',
    '',
    '<!-- Generated by scripts/definition-docs.ts from the zod schemas in workflows/definition.ts. Do not edit: run `npx tsx scripts/definition-docs.ts`. -->',
    '',
    'A project version defines the reader form (the test), the reference standard (what is true), the evidence mapping (how evidence becomes truth) and the truth policy (how reads become truth); a reader study adds its design. The lead edits it on the project’s **Definition editor** page (`/projects/<slug>/setup`), in the structured editor or, under **Advanced (JSON)**, as the JSON described here; the API and the seed use the same format. Saving creates a new version: cases stay on the version they started on.',
    '',
    '“Required: no” with a default means the default applies when the property is left out.',
    '',
    '## Checks across parts',
    '',
    'Beyond the shapes below, a definition is refused (each problem named by its path) unless:',
    '',
    ...CHECKS.map((c) => `- ${c}`),
    '',
    '## The definition',
    '',
    ...table({ title: 'definition', path: '', node: root }),
  ];
  const queue: Section[] = [];
  for (const [k, v] of Object.entries(root.properties ?? {})) queue.push(...childSections(k, v));
  const seen = new Set<string>();
  while (queue.length) {
    const s = queue.shift()!;
    if (seen.has(s.title)) continue;
    seen.add(s.title);
    // Reused shapes are described once (marks items' questions are the form's questions).
    if (meaningKey(s.path) !== s.path && s.path !== 'truthPolicy.defaultRule') {
      if (seen.has(s.path)) continue;
      seen.add(s.path);
      out.push('', `### \`${s.path}\``, '', `The same as \`${meaningKey(s.path)}\` (above).`);
      continue;
    }
    if (s.path === 'truthPolicy.defaultRule') {
      if (seen.has(s.path)) continue;
      seen.add(s.path);
      out.push('', `### \`${s.path}\``, '', 'The same shapes as a `truthPolicy.rules` entry.');
      continue;
    }
    out.push('', `${s.path.includes('.') ? '###' : '##'} ${s.title}`, '', ...table(s));
    const next: Section[] = [];
    for (const [k, v] of Object.entries(s.node.properties ?? {})) next.push(...childSections(`${s.path}.${k}`, v));
    queue.unshift(...next);
  }
  return `${out.join('\n')}\n`;
}

export const DOC_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'definition-format.md');

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const missing = missingMeanings();
  if (missing.length) {
    console.error(`No meaning written for: ${missing.join(', ')} (add them to MEANING in scripts/definition-docs.ts)`);
    process.exit(1);
  }
  fs.writeFileSync(DOC_PATH, definitionFormatMarkdown());
  console.log(`wrote ${path.relative(process.cwd(), DOC_PATH)}`);
}
