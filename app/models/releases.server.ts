/**
 * Releases (DESIGN.md "releases"): numbered, content-hashed, immutable
 * snapshots of the truth export with every case's chain head and count, the frozen split, a
 * Croissant 1.1 card and the STARD flow counts. Also audits plain exports.
 *
 * - Refused while cases are undecided, in adjudication, in review or discordant unless the lead
 *   confirms; the counts are recorded in the release and its card.
 * - Refused when nothing changed since the previous release (same content hash).
 * - Sequestered: the test split's truth goes to separate files only the lead and the people the
 *   lead names may download; every download of any release file is logged (who, when, which
 *   release, which file) and the log is shown to the lead. Once a project has a sequestered
 *   release, later releases are sequestered too, and the plain export withholds those cases'
 *   truth (export.server.ts), so the held-back truth leaves only through logged downloads.
 * - Runs as the `release.build` job from the Releases page; `createRelease` is the same work
 *   now (CLI, tests).
 */
import { createHash } from 'node:crypto';
import { and, desc, eq, isNull, max, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { writeAudit } from '../../db/audit.ts';
import { auditLog, caseWorkflows, cases, patients, projectMembers, projects, projectVersions, releaseGrants, releases, sequesteredCases, users } from '../../db/schema.ts';
import { canonicalJson } from '../../workflows/canonical-json.ts';
import { hasTag, isWorkflowState } from '../../domain/workflow-states.ts';
import { AppError } from '../../domain/errors.ts';
import { buildCroissantCard, type CardField } from '../../formats/croissant.ts';
import { enqueueJob, JobFailed, registerJob, type JobContext } from '../../jobs/runner.ts';
import { CSV_COLUMNS, csvCell, toCsv, toJsonl, toProv, truthRecords, type TruthRecord } from './export.server.ts';
import { definitionOf } from './projects.server.ts';
import { describeAnswer } from '../lib/reader-form.ts';
import { TRUTH_STATE_LABELS, type TruthState } from '../../domain/vocabulary.ts';
import type { ProjectDefinition } from '../../workflows/definition.ts';
import { getAccuracy } from './accuracy.server.ts';

export async function recordExport({
  projectId,
  actorId,
  format,
  records,
  ip,
  db,
}: {
  projectId: string;
  actorId: string | null;
  format: string;
  records: number;
  ip?: string | null;
  db?: Db;
}) {
  await writeAudit(db ?? getDb(), { actorId, action: 'truth.export', projectId, ip: ip ?? null, details: { format, records } });
}

export type ReleaseFile = { name: string; sha256: string; bytes: number; content: string; sequestered?: boolean };

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Cases not yet settled: a release made now would carry them as pending. */
export type Readiness = {
  cases: number;
  undecided: number;
  inAdjudication: number;
  inReview: number;
  discordant: number;
  /** Historical cases decided by their readers whose evidence is still awaited (tag awaiting_evidence). */
  awaitingEvidence: number;
  pending: number;
};

export async function releaseReadiness({ projectId, db }: { projectId: string; db?: Db }): Promise<Readiness> {
  const rows = await (db ?? getDb())
    .select({ state: caseWorkflows.state, n: sql<number>`count(*)::int` })
    .from(cases)
    .innerJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id))
    .where(and(eq(cases.projectId, projectId), isNull(cases.withdrawnAt)))
    .groupBy(caseWorkflows.state);
  const r: Readiness = { cases: 0, undecided: 0, inAdjudication: 0, inReview: 0, discordant: 0, awaitingEvidence: 0, pending: 0 };
  for (const { state, n } of rows) {
    r.cases += n;
    if (!isWorkflowState(state)) continue;
    if (state === 'discordant') r.discordant += n;
    else if (hasTag(state, 'awaiting_evidence')) r.awaitingEvidence += n;
    else if (hasTag(state, 'in_adjudication')) r.inAdjudication += n;
    else if (hasTag(state, 'in_review')) r.inReview += n;
    else if (!hasTag(state, 'decided') && !hasTag(state, 'terminal')) r.undecided += n;
  }
  r.pending = r.undecided + r.inAdjudication + r.inReview + r.discordant + r.awaitingEvidence;
  return r;
}

export function readinessText(r: Readiness): string {
  const parts = [
    r.undecided ? `${r.undecided} undecided` : '',
    r.inAdjudication ? `${r.inAdjudication} awaiting adjudication` : '',
    r.inReview ? `${r.inReview} awaiting a lead's review` : '',
    r.discordant ? `${r.discordant} discordant with evidence` : '',
    r.awaitingEvidence ? `${r.awaitingEvidence} awaiting historical evidence` : '',
  ].filter(Boolean);
  return `${parts.join(', ')} (of ${r.cases} cases)`;
}

const FIELD_TYPE: Partial<Record<(typeof CSV_COLUMNS)[number], string>> = {
  project_version: 'sc:Integer',
  truth_version: 'sc:Integer',
  policy_version: 'sc:Integer',
  event_seq: 'sc:Integer',
  event_count: 'sc:Integer',
  study_date: 'sc:Date',
  decided_at: 'sc:DateTime',
};
const FIELD_TEXT: Partial<Record<(typeof CSV_COLUMNS)[number], string>> = {
  case_id: "The importer's case id (accession).",
  case_uuid: "Truthline's case id.",
  patient_id: 'Pseudonymous patient id.',
  split: 'train, validation, test or unassigned (per patient, frozen in the release).',
  finding: 'Finding key; empty = the case.',
  truth_state: 'pending, verified, unverified, lost_to_follow_up, discordant or excluded.',
  truth_value: 'The truth as JSON.',
  method: 'How the truth was decided: consensus, adjudication, majority, evidence:…',
  derived_from_reads: '";"-separated ids of the reads the truth derives from.',
  reader_ids: '";"-separated opaque ids of their readers.',
  derived_from_evidence: '";"-separated ids of the evidence the truth derives from.',
  chain_head: "The case's hash-chain head (verify with `truthline verify`).",
};
const TEST_CASE_COLUMNS = ['case_id', 'case_uuid', 'patient_id', 'split', 'study_date', 'project_version'] as const;

function caseListCsv(records: TruthRecord[]): string {
  const seen = new Set<string>();
  const lines = [TEST_CASE_COLUMNS.join(',')];
  for (const r of records) {
    if (seen.has(r.case_uuid)) continue;
    seen.add(r.case_uuid);
    lines.push(TEST_CASE_COLUMNS.map((c) => csvCell(r[c])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

export class ReleaseRefused extends AppError {
  constructor(message: string) {
    super('refused', message);
  }
}

/**
 * Creates the next release (see the file comment). The content hash is SHA-256 of the canonical
 * JSON of (truth files' hashes, chain heads, split, sequestered); the Croissant card and STARD
 * counts describe it and are not part of it. Rows are inserted, never updated; the number is
 * unique per project (a concurrent release fails and can be retried).
 */
export async function createRelease({
  projectId,
  actorId,
  ip,
  db,
  confirmPending = false,
  sequester = false,
  at,
}: {
  projectId: string;
  actorId: string | null;
  ip?: string | null;
  db?: Db;
  /** The lead confirmed releasing while cases are still pending. */
  confirmPending?: boolean;
  /** Hold back the test split's truth. */
  sequester?: boolean;
  at?: Date;
}) {
  const d = db ?? getDb();
  const readiness = await releaseReadiness({ projectId, db: d });
  if (readiness.pending > 0 && !confirmPending) throw new ReleaseRefused(`${readinessText(readiness)} are not settled: confirm to release them as pending, or settle them first`);
  const stard = await stardCounts(d, projectId);
  const createdAt = at ?? new Date();
  return d.transaction(async (tx) => {
    const t = tx as unknown as Db;
    const records = await truthRecords({ projectId, db: t });
    const [p] = await tx
      .select({
        id: projects.id,
        slug: projects.slug,
        name: projects.name,
        description: projects.description,
        licence: projects.licence,
        owner: users.name,
        ownerEmail: users.email,
      })
      .from(projects)
      .innerJoin(users, eq(users.id, projects.ownerId))
      .where(eq(projects.id, projectId));
    const heads = await tx
      .select({ caseId: cases.id, head: caseWorkflows.headHash, count: caseWorkflows.eventCount })
      .from(cases)
      .innerJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id))
      .where(and(eq(cases.projectId, projectId), isNull(cases.withdrawnAt)))
      .orderBy(cases.id);
    const split = await tx
      .selectDistinct({ patient: patients.pseudonym, split: patients.split })
      .from(patients)
      .innerJoin(cases, eq(cases.patientId, patients.id))
      .where(and(eq(patients.projectId, projectId), isNull(cases.withdrawnAt)))
      .orderBy(patients.pseudonym);
    const [prev] = await tx
      .select({ number: releases.number, contentHash: releases.contentHash, sequestered: releases.sequestered })
      .from(releases)
      .where(eq(releases.projectId, projectId))
      .orderBy(desc(releases.number))
      .limit(1);
    const [{ anySequestered }] = await tx
      .select({ anySequestered: sql<boolean>`exists (select 1 from ${releases} where ${releases.projectId} = ${projectId} and ${releases.sequestered})` })
      .from(sql`(select 1) as one`);
    const sequestered = sequester || Boolean(anySequestered);
    const earlier = new Set(
      sequestered ? (await tx.selectDistinct({ id: sequesteredCases.caseId }).from(sequesteredCases).where(eq(sequesteredCases.projectId, projectId))).map((r) => r.id) : [],
    );
    const held = sequestered ? records.filter((r) => r.split === 'test' || earlier.has(r.case_uuid)) : [];
    const open = sequestered ? records.filter((r) => !(r.split === 'test' || earlier.has(r.case_uuid))) : records;
    const file = (name: string, content: string, encodingFormat: string, description: string, seq = false) => ({
      name,
      content,
      sha256: sha256(content),
      bytes: Buffer.byteLength(content),
      encodingFormat,
      description,
      sequestered: seq,
    });
    const truthFiles = [
      file('truth.csv', toCsv(open), 'text/csv', 'One row per truth subject (case or finding) with its current truth and provenance.'),
      file('truth.jsonl', toJsonl(open), 'application/jsonl', 'The same records with the reads and evidence they derive from inlined.'),
      file('truth.prov.json', `${JSON.stringify(toProv(open, p), null, 1)}\n`, 'application/json', 'W3C PROV-JSON of the truth labels, reads, evidence and decisions.'),
      ...(sequestered
        ? [
            file('test-cases.csv', caseListCsv(held), 'text/csv', 'The held-back cases (test split) without their truth.'),
            file('test-truth.csv', toCsv(held), 'text/csv', "The test split's truth: held back (sequestered).", true),
            file('test-truth.jsonl', toJsonl(held), 'application/jsonl', "The test split's truth with reads and evidence: held back (sequestered).", true),
          ]
        : []),
    ];
    const chainHeads = Object.fromEntries(heads.map((h) => [h.caseId, { head: h.head, count: h.count }]));
    const frozenSplit = Object.fromEntries(split.map((s) => [s.patient, s.split]));
    const contentHash = sha256(canonicalJson({ files: truthFiles.map((f) => ({ name: f.name, sha256: f.sha256 })), chainHeads, split: frozenSplit, sequestered }));
    if (prev && prev.contentHash === contentHash) throw new ReleaseRefused(`nothing changed since release ${prev.number}`);
    const [{ last }] = await tx
      .select({ last: max(releases.number) })
      .from(releases)
      .where(eq(releases.projectId, projectId));
    const number = (last ?? 0) + 1;
    const stardFile = file('stard.json', `${JSON.stringify(stard, null, 1)}\n`, 'application/json', 'STARD 2015 participant flow counts per definition version.');
    const card = buildCroissantCard({
      project: { id: p.id, slug: p.slug, name: p.name, description: p.description, licence: p.licence, owner: p.owner || p.ownerEmail },
      release: { number, contentHash, createdAt: createdAt.toISOString(), sequestered },
      ...(await caseFacts(t, projectId)),
      distribution: distribution(records, sequestered ? new Set(held.map((r) => r.case_uuid)) : new Set(), (await currentDefinition(t, projectId))?.def ?? null),
      referenceStandard: await referenceText(t, projectId, records),
      labels: await labelDefinitions(t, projectId),
      stard,
      pending: { ...readiness, confirmedByLead: readiness.pending > 0 ? 1 : 0 },
      files: [...truthFiles, stardFile],
      recordSets: [
        {
          id: 'truth',
          file: 'truth.csv',
          description: 'Truth per case or finding with provenance.',
          fields: CSV_COLUMNS.map((c): CardField => ({ name: c, description: FIELD_TEXT[c] ?? c.replaceAll('_', ' '), dataType: FIELD_TYPE[c] ?? 'sc:Text' })),
        },
      ],
    });
    const cardFile = file('croissant.json', `${JSON.stringify(card, null, 1)}\n`, 'application/ld+json', 'MLCommons Croissant 1.1 card of this release.');
    const files: ReleaseFile[] = [...truthFiles, stardFile, cardFile].map(({ name, content, sha256: h, bytes, sequestered: s }) => ({
      name,
      content,
      sha256: h,
      bytes,
      sequestered: s,
    }));
    const [row] = await tx
      .insert(releases)
      .values({
        projectId,
        number,
        contentHash,
        chainHeads,
        split: frozenSplit,
        files,
        createdBy: actorId,
        createdAt,
        sequestered,
        counts: { pending: readiness, confirmedPending: readiness.pending > 0, stard },
      })
      .returning();
    const heldIds = [...new Set(held.map((r) => r.case_uuid))];
    for (let i = 0; i < heldIds.length; i += 5000) await tx.insert(sequesteredCases).values(heldIds.slice(i, i + 5000).map((caseId) => ({ caseId, releaseId: row.id, projectId })));
    await writeAudit(tx, {
      actorId,
      action: 'release.create',
      projectId,
      ip: ip ?? null,
      details: { number, contentHash, cases: heads.length, records: records.length, sequestered, heldBack: heldIds.length, pending: readiness.pending },
    });
    return { ...row, files, card };
  });
}

/** STARD flow counts of every definition version with cases; reader names replaced by "reader N". */
async function stardCounts(d: Db, projectId: string): Promise<Record<string, unknown>> {
  const vs = await d.selectDistinct({ v: cases.projectVersion }).from(cases).where(eq(cases.projectId, projectId)).orderBy(cases.projectVersion);
  const out: Record<string, unknown> = {};
  for (const { v } of vs) {
    const acc = await getAccuracy({ projectId, version: v, db: d });
    if (!acc) continue;
    out[`version ${v}`] = { ...acc.stard, indexTest: acc.stard.indexTest.map((x, i) => ({ ...x, reader: `reader ${i + 1}` })) };
  }
  return out;
}

async function caseFacts(d: Db, projectId: string): Promise<{ modalities: string[]; bodyParts: string[] }> {
  const rows = await d
    .selectDistinct({ m: cases.modality, b: cases.bodyPart })
    .from(cases)
    .where(and(eq(cases.projectId, projectId), isNull(cases.withdrawnAt)));
  const uniq = (xs: string[]) => [...new Set(xs.filter(Boolean))].sort();
  return { modalities: uniq(rows.map((r) => r.m)), bodyParts: uniq(rows.map((r) => r.b)) };
}

/** Cases per split; records per class per split, except for held-back cases (their class would leak their truth). */
function distribution(records: TruthRecord[], heldBack: Set<string>, def: ProjectDefinition | null) {
  const bySplit: Record<string, number> = {};
  const byClass: Record<string, Record<string, number>> = {};
  const seen = new Set<string>();
  const held = new Set<string>();
  for (const r of records) {
    if (!seen.has(r.case_uuid)) {
      seen.add(r.case_uuid);
      bySplit[r.split] = (bySplit[r.split] ?? 0) + 1;
    }
    if (heldBack.has(r.case_uuid)) {
      held.add(r.split);
      continue;
    }
    const cls = classLabel(def, r);
    byClass[cls] ??= {};
    byClass[cls][r.split] = (byClass[cls][r.split] ?? 0) + 1;
  }
  return { bySplit, byClass, heldBack: [...held].sort() };
}

/**
 * A class in the definition's words ("Left breast: BI-RADS assessment: 4 — Suspicious (verified)"),
 * as the card and the Releases page show it: the form's labels for the question and the answer,
 * the reference standard's for its outcome, and the truth state in words.
 */
export function classLabel(def: ProjectDefinition | null, r: Pick<TruthRecord, 'finding' | 'truth_state' | 'truth_value'>): string {
  const state = TRUTH_STATE_LABELS[r.truth_state as TruthState] ?? r.truth_state.replaceAll('_', ' ');
  const finding = r.finding ? `${def?.readerForm.findings.find((f) => f.key === r.finding)?.label ?? r.finding}: ` : '';
  if (r.truth_state === 'pending') return `${finding}pending`;
  const v = r.truth_value;
  if (v === null || v === undefined) return `${finding}${state}`;
  const outcome = def?.referenceStandard.outcome;
  const answer = (key: string | null, x: unknown): string => {
    const field = key === null ? undefined : def?.readerForm.fields.find((f) => f.key === key);
    if (field) return `${field.label}: ${describeAnswer(field, x)}`;
    if (typeof x === 'boolean' && outcome && (key === null || key === outcome.key)) return `${outcome.label}: ${x ? outcome.positiveLabel : outcome.negativeLabel}`;
    const words = Array.isArray(x) ? x.map(String).join(', ') : typeof x === 'object' && x !== null ? canonicalJson(x) : String(x);
    return key === null ? words : `${key}: ${words}`;
  };
  const body =
    typeof v === 'object' && !Array.isArray(v)
      ? Object.entries(v as Record<string, unknown>)
          .map(([k, x]) => answer(k, x))
          .join('; ')
      : answer(null, v);
  return `${finding}${body || '—'} (${state})`;
}

async function currentDefinition(d: Db, projectId: string) {
  const [v] = await d.select().from(projectVersions).where(eq(projectVersions.projectId, projectId)).orderBy(desc(projectVersions.version)).limit(1);
  return v ? { version: v.version, def: definitionOf(v) } : null;
}

async function referenceText(d: Db, projectId: string, records: TruthRecord[]) {
  const cur = await currentDefinition(d, projectId);
  const status: Record<string, number> = {};
  for (const r of records) status[r.truth_state] = (status[r.truth_state] ?? 0) + 1;
  if (!cur) return { description: 'No definition yet.', status };
  const rs = cur.def.referenceStandard;
  const how =
    rs.source === 'evidence'
      ? `from evidence (pathology, surgery, follow-up, reports) through the project's mapping of ${cur.def.mapping.rules.length} result-code rule(s); the readers are the test`
      : `from the reader panel's consensus on "${rs.panelField ?? rs.outcome.key}" under the truth policy (agreement rules, adjudication)`;
  return {
    description: `Reference standard (definition version ${cur.version}): ${rs.outcome.label} (${rs.outcome.positiveLabel} / ${rs.outcome.negativeLabel}) per ${rs.level}, established ${how}. Every decision is a hash-chained workflow event; truth_state says whether each label is verified, unverified, lost to follow-up, discordant, excluded or pending.`,
    status,
  };
}

async function labelDefinitions(d: Db, projectId: string) {
  const cur = await currentDefinition(d, projectId);
  if (!cur) return [];
  const rs = cur.def.referenceStandard;
  return {
    outcome: { key: rs.outcome.key, label: rs.outcome.label, positive: rs.outcome.positiveLabel, negative: rs.outcome.negativeLabel, level: rs.level },
    readerForm: cur.def.readerForm.fields.map((f) => {
      const x = f as Record<string, unknown>;
      return {
        key: f.key,
        label: f.label,
        kind: f.kind,
        ...(Array.isArray(x.options) ? { options: x.options } : {}),
        ...(x.help ? { help: x.help } : {}),
      };
    }),
  };
}

export type ReleaseSummary = {
  id: string;
  number: number;
  contentHash: string;
  createdAt: string;
  sequestered: boolean;
  pending: number;
  files: { name: string; sha256: string; bytes: number; sequestered: boolean }[];
};

export async function listReleases({ projectId, db, limit = 100 }: { projectId: string; db?: Db; limit?: number }): Promise<ReleaseSummary[]> {
  const rows = await (db ?? getDb())
    .select({
      id: releases.id,
      number: releases.number,
      contentHash: releases.contentHash,
      createdAt: releases.createdAt,
      sequestered: releases.sequestered,
      counts: releases.counts,
      files: sql<
        ReleaseFile[]
      >`(select jsonb_agg(jsonb_build_object('name', f->>'name', 'sha256', f->>'sha256', 'bytes', (f->>'bytes')::int, 'sequestered', coalesce((f->>'sequestered')::boolean, false))) from jsonb_array_elements(${releases.files}) f)`,
    })
    .from(releases)
    .where(eq(releases.projectId, projectId))
    .orderBy(desc(releases.number))
    .limit(limit);
  return rows.map((r) => ({
    id: r.id,
    number: r.number,
    contentHash: r.contentHash,
    createdAt: r.createdAt.toISOString(),
    sequestered: r.sequestered,
    pending: Number((r.counts as { pending?: { pending?: number } })?.pending?.pending ?? 0),
    files: (r.files ?? []).map((f) => ({ name: f.name, sha256: f.sha256, bytes: f.bytes, sequestered: Boolean(f.sequestered) })),
  }));
}

async function releaseRow(d: Db, projectId: string, number: number) {
  if (!Number.isInteger(number) || number < 1 || number > 1e9) return null;
  const [r] = await d
    .select()
    .from(releases)
    .where(and(eq(releases.projectId, projectId), eq(releases.number, number)));
  return r ?? null;
}

/** Whether a person may download a release's held-back files: the project's leads and the people named for it. */
async function mayDownloadHeld(d: Db, releaseId: string, projectId: string, userId: string): Promise<boolean> {
  const [lead] = await d
    .select({ u: projectMembers.userId })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId), eq(projectMembers.role, 'lead')));
  if (lead) return true;
  const [g] = await d
    .select({ u: releaseGrants.userId })
    .from(releaseGrants)
    .where(and(eq(releaseGrants.releaseId, releaseId), eq(releaseGrants.userId, userId)));
  return Boolean(g);
}

/**
 * One file of a release for a download, logged (who, when, which release and file) in the same
 * step. Leads may download every file; a person the lead named, every file of that release;
 * anyone else nothing (AppError forbidden). Unknown release or file: not_found.
 */
export async function downloadReleaseFile({
  projectId,
  number,
  name,
  userId,
  ip,
  db,
}: {
  projectId: string;
  number: number;
  name: string;
  userId: string;
  ip?: string | null;
  db?: Db;
}) {
  const d = db ?? getDb();
  const r = await releaseRow(d, projectId, number);
  if (!r) throw new AppError('not_found', `There is no release ${String(number).slice(0, 12)} in this project.`);
  const f = (r.files as ReleaseFile[]).find((x) => x.name === name);
  if (!f) throw new AppError('not_found', `Release ${number} has no file "${name.slice(0, 80)}".`);
  if (!(await mayDownloadHeld(d, r.id, projectId, userId))) throw new AppError('forbidden', `Only the project's leads and the people they named may download release ${number}.`);
  await writeAudit(d, {
    actorId: userId,
    action: 'release.download',
    projectId,
    ip: ip ?? null,
    target: r.id,
    details: { release: number, file: name, sequestered: Boolean(f.sequestered) },
  });
  const type = name.endsWith('.csv')
    ? 'text/csv; charset=utf-8'
    : name.endsWith('.jsonl')
      ? 'application/x-ndjson; charset=utf-8'
      : name.endsWith('croissant.json')
        ? 'application/ld+json; charset=utf-8'
        : 'application/json; charset=utf-8';
  return { content: f.content, contentType: type, fileName: name };
}

/** Names a project member who may download a sequestered release's held-back truth. */
export async function grantReleaseAccess({
  projectId,
  number,
  userId,
  actorId,
  ip,
  db,
}: {
  projectId: string;
  number: number;
  userId: string;
  actorId: string;
  ip?: string | null;
  db?: Db;
}) {
  const d = db ?? getDb();
  const r = await releaseRow(d, projectId, number);
  if (!r) throw new AppError('not_found', `There is no release ${number} in this project.`);
  const [m] = await d
    .select({ u: projectMembers.userId })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
  if (!m) throw new AppError('invalid', 'Name a member of this project.', { field: 'userId' });
  await d.transaction(async (tx) => {
    await tx.insert(releaseGrants).values({ releaseId: r.id, userId, grantedBy: actorId }).onConflictDoNothing();
    await writeAudit(tx, { actorId, action: 'release.grant', projectId, ip: ip ?? null, target: r.id, details: { release: number, user: userId } });
  });
}

export async function revokeReleaseAccess({
  projectId,
  number,
  userId,
  actorId,
  ip,
  db,
}: {
  projectId: string;
  number: number;
  userId: string;
  actorId: string;
  ip?: string | null;
  db?: Db;
}) {
  const d = db ?? getDb();
  const r = await releaseRow(d, projectId, number);
  if (!r) throw new AppError('not_found', `There is no release ${number} in this project.`);
  await d.transaction(async (tx) => {
    await tx.delete(releaseGrants).where(and(eq(releaseGrants.releaseId, r.id), eq(releaseGrants.userId, userId)));
    await writeAudit(tx, { actorId, action: 'release.revoke', projectId, ip: ip ?? null, target: r.id, details: { release: number, user: userId } });
  });
}

/** A release's detail for the lead: grants, the download log (latest 200), the pending counts and the card. */
export async function releaseDetail({ projectId, number, db }: { projectId: string; number: number; db?: Db }) {
  const d = db ?? getDb();
  const r = await releaseRow(d, projectId, number);
  if (!r) return null;
  const grants = await d
    .select({ userId: releaseGrants.userId, email: users.email, name: users.name, at: releaseGrants.createdAt })
    .from(releaseGrants)
    .innerJoin(users, eq(users.id, releaseGrants.userId))
    .where(eq(releaseGrants.releaseId, r.id))
    .orderBy(users.email);
  const downloads = await d
    .select({ at: auditLog.at, email: users.email, details: auditLog.details })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.actorId))
    .where(and(eq(auditLog.projectId, projectId), eq(auditLog.action, 'release.download'), eq(auditLog.target, r.id)))
    .orderBy(desc(auditLog.at))
    .limit(200);
  const card = (r.files as ReleaseFile[]).find((f) => f.name === 'croissant.json');
  return {
    number: r.number,
    sequestered: r.sequestered,
    counts: r.counts as { pending?: Readiness; confirmedPending?: boolean; stard?: Record<string, unknown> },
    grants: grants.map((g) => ({ ...g, at: g.at.toISOString() })),
    downloads: downloads.map((x) => ({
      at: x.at.toISOString(),
      who: x.email ?? '(deleted user)',
      file: String((x.details as { file?: string }).file ?? ''),
      sequestered: Boolean((x.details as { sequestered?: boolean }).sequestered),
    })),
    card: card ? (JSON.parse(card.content) as Record<string, unknown>) : null,
  };
}

/** Releases a non-lead member was named for (their download list). */
export async function releasesGrantedTo({ projectId, userId, db }: { projectId: string; userId: string; db?: Db }): Promise<number[]> {
  const rows = await (db ?? getDb())
    .select({ n: releases.number })
    .from(releaseGrants)
    .innerJoin(releases, eq(releases.id, releaseGrants.releaseId))
    .where(and(eq(releases.projectId, projectId), eq(releaseGrants.userId, userId)))
    .orderBy(desc(releases.number));
  return rows.map((r) => r.n);
}

type Subject = { key: string; caseId: string; state: string; value: string; raw: unknown };
function subjects(r: typeof releases.$inferSelect): Map<string, Subject> {
  const out = new Map<string, Subject>();
  for (const f of r.files as ReleaseFile[]) {
    if (f.name !== 'truth.jsonl' && f.name !== 'test-truth.jsonl') continue;
    for (const line of f.content.split('\n')) {
      if (!line) continue;
      const x = JSON.parse(line) as TruthRecord;
      const key = `${x.case_id}${x.finding ? ` / ${x.finding}` : ''}`;
      out.set(key, { key, caseId: x.case_id, state: x.truth_state, value: JSON.stringify(x.truth_value), raw: x.truth_value });
    }
  }
  return out;
}

/** Cases added and removed, and truth changed (state or value), between two releases (first 100 of each). */
export async function diffReleases({ projectId, from, to, db }: { projectId: string; from: number; to: number; db?: Db }) {
  const d = db ?? getDb();
  const [a, b] = [await releaseRow(d, projectId, from), await releaseRow(d, projectId, to)];
  if (!a || !b) return null;
  const sa = subjects(a);
  const sb = subjects(b);
  const casesA = new Set([...sa.values()].map((s) => s.caseId));
  const casesB = new Set([...sb.values()].map((s) => s.caseId));
  const added = [...casesB].filter((c) => !casesA.has(c)).sort();
  const removed = [...casesA].filter((c) => !casesB.has(c)).sort();
  const changed: { subject: string; from: string; to: string }[] = [];
  // Values in the definition's words (the subject column names the case and finding).
  const def = (await currentDefinition(d, projectId))?.def ?? null;
  const words = (x: Subject) => classLabel(def, { finding: null, truth_state: x.state, truth_value: x.raw });
  for (const [k, y] of sb) {
    const x = sa.get(k);
    if (x && (x.state !== y.state || x.value !== y.value)) changed.push({ subject: k, from: words(x), to: words(y) });
  }
  changed.sort((p, q) => p.subject.localeCompare(q.subject));
  return {
    from,
    to,
    added: { count: added.length, first: added.slice(0, 100) },
    removed: { count: removed.length, first: removed.slice(0, 100) },
    changed: { count: changed.length, first: changed.slice(0, 100) },
  };
}

// ── the release job ───────────────────────────────────────────────────────
export type ReleaseJobParams = { projectId: string; actorId: string; ip: string | null; confirmPending: boolean; sequester: boolean };

async function runReleaseJob(ctx: JobContext) {
  const p = ctx.job.params as ReleaseJobParams;
  await ctx.progress({ done: 0, total: 2, phase: 'collecting truth, chain heads and STARD counts' });
  try {
    const r = await createRelease({ projectId: p.projectId, actorId: p.actorId, ip: p.ip, db: ctx.db, confirmPending: p.confirmPending, sequester: p.sequester });
    return { number: r.number, contentHash: r.contentHash, sequestered: r.sequestered, files: r.files.map((f) => f.name) };
  } catch (e) {
    if (e instanceof ReleaseRefused) throw new JobFailed(`Release refused: ${e.message}`, { refused: e.message });
    throw e;
  }
}
registerJob('release.build', runReleaseJob);

export async function startRelease({ projectId, actorId, ip = null, confirmPending, sequester, db }: ReleaseJobParams & { db?: Db }) {
  return enqueueJob({ kind: 'release.build', projectId, createdBy: actorId, params: { projectId, actorId, ip, confirmPending, sequester } satisfies ReleaseJobParams, db });
}
