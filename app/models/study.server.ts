/**
 * Reader studies (docs/decisions/study-0001-design.md): setting up the reading units,
 * the lead's summary (design in plain words, readers' progress, qualification, intra-reader κ,
 * per-arm agreement), what a reader sees of the study on a case (blind: nothing here changes with
 * another reader's answer), and skips. The next-case choice is in workflows/assignment.ts.
 */
import { and, asc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { writeAudit } from '../../db/audit.ts';
import { aiResults, assignments, caseWorkflows, cases, importedMarks, projectMembers, reads, studyPlan, studySkips, studyUnits, users } from '../../db/schema.ts';
import { AppError } from '../../domain/errors.ts';
import { SKIP_REASON_LABELS, type SkipReason, type StudyUnitKind } from '../../domain/vocabulary.ts';
import { formItems, type ReadValues, type StudyDesign } from '../../workflows/definition.ts';
import { startCaseWorkflow, toIso } from '../../workflows/runtime.ts';
import { caseBlocks, describeStudy, readerArrangement, rereadKeys } from '../../workflows/study.ts';
import { studyDesignOf, studyProgress, type StudyProgress } from '../../workflows/study-queue.ts';
import { readerQualification, type Qualification } from '../../workflows/study-qualification.ts';
import { answerCategory, pairKappa, type PairKappa } from '../../workflows/study-stats.ts';
import { getCurrentVersion, definitionOf } from './projects.server.ts';
import type { Lesion } from '../../workflows/marks.ts';
import type { MarkSourceKind } from '../../formats/marks-sources.ts';

/** The imported marks an aided arm shows: an AI model's detections, never prior annotations (those are reference-standard locations). */
const AIDED_MARKS: MarkSourceKind = 'model';

/**
 * SQL condition on a case id: the case counts in statistics (not a calibration case nor a blind
 * re-read copy). The agreement and accuracy pages add it to their scope.
 */
export function countsInStatistics(caseId: SQL | unknown): SQL {
  return sql`not exists (select 1 from ${studyUnits} su where su.case_id = ${caseId} and su.kind <> 'study')`;
}

export async function getStudyDesign({ projectId, db }: { projectId: string; db?: Db }): Promise<StudyDesign | null> {
  return studyDesignOf((db ?? getDb()) as unknown as Tx, projectId);
}

function parseTruth(raw: unknown): ReadValues | null {
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) return raw as ReadValues;
  if (typeof raw === 'string' && raw.trim()) {
    try {
      const v = JSON.parse(raw) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as ReadValues;
    } catch {
      // fall through to the error below
    }
    throw new AppError('invalid', `calibration_truth must be a JSON object of answers, e.g. {"pneumothorax": true}; got ${raw.slice(0, 60)}`, { field: 'calibration_truth' });
  }
  return null;
}

/**
 * Makes the study's reading units from the project's imported cases that are not units yet: a
 * case with `calibration_truth` in its metadata is a calibration case; any other is read in the
 * first arm as it is and copied (same patient, images and metadata) for each other arm and, for
 * the re-read share, once more as a blind re-read. Each copy starts its own workflow. All or nothing.
 */
export async function setUpStudyUnits({ projectId, actorId, at, db }: { projectId: string; actorId: string; at?: Date | string; db?: Db }) {
  const d = db ?? getDb();
  const design = await getStudyDesign({ projectId, db: d });
  if (!design) throw new AppError('invalid', 'this project has no study design: add a study section to its definition first');
  const when = toIso(at);
  return d.transaction(async (tx) => {
    // The case set is locked once a reader has a plan (study-0001 §9): a crossed study compares
    // readers and arms on the same cases read under the same conditions; cases joining mid-study
    // would be read only by readers who had not started, or out of their sessions' washout.
    const [started] = await tx
      .select({ at: sql<string | Date | null>`min(${assignments.assignedAt})` })
      .from(assignments)
      .where(and(eq(assignments.projectId, projectId), eq(assignments.role, 'reader')));
    const [anyPlan] = await tx.select({ userId: studyPlan.userId }).from(studyPlan).where(eq(studyPlan.projectId, projectId)).limit(1);
    if (anyPlan)
      throw new AppError(
        'conflict',
        `the study's cases are locked: readers started${started?.at ? ` on ${new Date(started.at).toISOString().slice(0, 10)}` : ''}, and every reader's plan holds the same cases. Read the new cases in a new study project.`,
      );
    const fresh = await tx
      .select()
      .from(cases)
      .where(and(eq(cases.projectId, projectId), isNull(cases.withdrawnAt), sql`not exists (select 1 from ${studyUnits} su where su.case_id = ${cases.id})`))
      .orderBy(asc(cases.createdAt), asc(cases.id));
    const meta = (c: (typeof fresh)[number]) => (c.metadata ?? {}) as Record<string, unknown>;
    const calib = fresh.filter((c) => meta(c).calibration_truth !== undefined);
    const study = fresh.filter((c) => meta(c).calibration_truth === undefined);
    const key = (c: (typeof fresh)[number]) => c.externalId ?? c.id;
    const blocks = caseBlocks(projectId, study.map(key), design.design === 'split_plot' ? design.groups : 1);
    const rereads = rereadKeys(projectId, study.map(key), design.rereadShare);
    let made = 0;
    for (const c of calib) {
      await tx.insert(studyUnits).values({
        caseId: c.id,
        projectId,
        sourceKey: key(c),
        kind: 'calibration',
        arm: null,
        truth: parseTruth(meta(c).calibration_truth),
        explanation: typeof meta(c).calibration_explanation === 'string' ? String(meta(c).calibration_explanation) : null,
      });
      made++;
    }
    const copy = async (c: (typeof fresh)[number], suffix: string) => {
      const [n] = await tx
        .insert(cases)
        .values({
          projectId,
          patientId: c.patientId,
          projectVersion: c.projectVersion,
          externalId: c.externalId ? `${c.externalId}~${suffix}` : null,
          studyInstanceUid: c.studyInstanceUid,
          studyDate: c.studyDate,
          modality: c.modality,
          bodyPart: c.bodyPart,
          metadata: c.metadata,
          images: c.images,
        })
        .returning({ id: cases.id });
      await startCaseWorkflow({ tx: tx as unknown as Tx, caseId: n.id, actorId, at: when });
      return n.id;
    };
    for (const c of study) {
      const block = blocks.get(key(c)) ?? 0;
      await tx.insert(studyUnits).values({ caseId: c.id, projectId, sourceKey: key(c), kind: 'study', arm: design.arms[0].key, block });
      made++;
      for (const arm of design.arms.slice(1)) {
        await tx.insert(studyUnits).values({ caseId: await copy(c, arm.key), projectId, sourceKey: key(c), kind: 'study', arm: arm.key, block });
        made++;
      }
      if (rereads.has(key(c)))
        for (const arm of design.rereadArms === 'every' ? design.arms : design.arms.slice(0, 1)) {
          const suffix = arm.key === design.arms[0].key ? 'reread' : `reread-${arm.key}`;
          await tx.insert(studyUnits).values({ caseId: await copy(c, suffix), projectId, sourceKey: key(c), kind: 'reread', arm: arm.key, block });
          made++;
        }
    }
    await writeAudit(tx, { actorId, action: 'study.setup', projectId, details: { units: made, calibration: calib.length, cases: study.length } });
    return { units: made, calibration: calib.length, cases: study.length };
  });
}

export type ReaderRow = {
  userId: string;
  name: string;
  group: number;
  arms: string[];
  progress: StudyProgress | null;
  qualification: Qualification | null;
  intra: PairKappa | null;
  /** Intra-reader agreement per arm (arms with re-reads only). */
  intraByArm: { arm: string; label: string; k: PairKappa }[];
};

/**
 * Intra-reader agreement on an item: each reader's read of a re-read unit vs their read of the
 * same case in the same arm, per reader pooled over arms (`all`) and per arm (`byArm`).
 */
export async function intraReaderAgreement({
  projectId,
  item,
  version,
  db,
}: {
  projectId: string;
  item: string;
  /** Only units of this definition version that are not withdrawn (the agreement dashboard's scope). */
  version?: number;
  db?: Db;
}): Promise<Map<string, { all: PairKappa; byArm: Map<string, PairKappa> }>> {
  const d = db ?? getDb();
  const inVersion =
    version === undefined ? sql`` : sql`and exists (select 1 from ${cases} c where c.id = su.case_id and c.project_version = ${version} and c.withdrawn_at is null)`;
  // Newest read per (unit, reader): amended reads replace the earlier ones. Only cases that have re-reads.
  const rows = await d.execute(sql`
    select su.source_key, su.kind::text as kind, su.arm, r.author_id, r.values
    from ${studyUnits} su
    join lateral (
      select distinct on (r.author_id) r.author_id, r.values from ${reads} r
      where r.case_id = su.case_id and r.source = 'reader' order by r.author_id, r.created_at desc) r on true
    where su.project_id = ${projectId} and su.kind in ('study', 'reread')
      and exists (select 1 from ${studyUnits} rr where rr.project_id = su.project_id and rr.kind = 'reread' and rr.source_key = su.source_key and rr.arm = su.arm)
      ${inVersion}`);
  const list = ((rows as { rows?: unknown[] }).rows ?? rows) as { source_key: string; kind: StudyUnitKind; arm: string | null; author_id: string; values: unknown }[];
  const first = new Map<string, string>();
  const again = new Map<string, string>();
  const SEP = '\u0000';
  for (const r of list) {
    const cat = answerCategory(r.values, item);
    if (cat === null) continue;
    (r.kind === 'reread' ? again : first).set([r.author_id, r.arm ?? '', r.source_key].join(SEP), cat);
  }
  const pairs = new Map<string, Map<string, [string, string][]>>();
  for (const [k, b] of again) {
    const a = first.get(k);
    if (a === undefined) continue;
    const [reader, arm] = k.split(SEP);
    if (!pairs.has(reader)) pairs.set(reader, new Map());
    const byArm = pairs.get(reader)!;
    byArm.set(arm, [...(byArm.get(arm) ?? []), [a, b]]);
  }
  return new Map([...pairs].map(([reader, byArm]) => [reader, { all: pairKappa([...byArm.values()].flat()), byArm: new Map([...byArm].map(([arm, p]) => [arm, pairKappa(p)])) }]));
}

/** Agreement between readers per arm on an item: mean pairwise Cohen's κ over cases both read in that arm. */
export async function armAgreement({ projectId, item, design, db }: { projectId: string; item: string; design: StudyDesign; db?: Db }) {
  const d = db ?? getDb();
  const rows = await d.execute(sql`
    select su.arm, su.source_key, r.author_id, r.values, cw.state
    from ${studyUnits} su
    join ${caseWorkflows} cw on cw.case_id = su.case_id
    left join lateral (
      select distinct on (r.author_id) r.author_id, r.values from ${reads} r
      where r.case_id = su.case_id and r.source = 'reader' order by r.author_id, r.created_at desc) r on true
    where su.project_id = ${projectId} and su.kind = 'study'`);
  const list = ((rows as { rows?: unknown[] }).rows ?? rows) as { arm: string; source_key: string; author_id: string | null; values: unknown; state: string }[];
  return design.arms.map((arm) => {
    const mine = list.filter((r) => r.arm === arm.key);
    const units = new Map<string, Map<string, string>>();
    const states = new Map<string, string>();
    for (const r of mine) {
      states.set(r.source_key, r.state);
      const cat = r.author_id ? answerCategory(r.values, item) : null;
      if (cat === null || !r.author_id) continue;
      if (!units.has(r.source_key)) units.set(r.source_key, new Map());
      units.get(r.source_key)!.set(r.author_id, cat);
    }
    const readers = [...new Set(mine.map((r) => r.author_id).filter((x): x is string => Boolean(x)))].sort();
    const kappas: number[] = [];
    for (let i = 0; i < readers.length; i++)
      for (let j = i + 1; j < readers.length; j++) {
        const pairs: [string, string][] = [];
        for (const u of units.values()) if (u.has(readers[i]) && u.has(readers[j])) pairs.push([u.get(readers[i])!, u.get(readers[j])!]);
        const k = pairKappa(pairs).kappa;
        if (k !== null) kappas.push(k);
      }
    const count = (s: string) => [...states.values()].filter((x) => x === s).length;
    return {
      arm: arm.key,
      label: arm.label,
      aided: arm.aided,
      units: states.size,
      read: [...units.values()].filter((u) => u.size > 0).length,
      inAdjudication: count('adjudication'),
      meanPairKappa: kappas.length ? kappas.reduce((a, b) => a + b, 0) / kappas.length : null,
      pairs: kappas.length,
    };
  });
}

/** The study summary for the lead: the design in plain words, units, readers, qualification, intra-reader κ, per-arm agreement. */
export async function getStudySummary({ projectId, at }: { projectId: string; at?: Date | string }) {
  const d = getDb();
  const v = await getCurrentVersion({ projectId });
  const design = await getStudyDesign({ projectId });
  if (!v || !design) return null;
  const def = definitionOf(v);
  const items = formItems(def.readerForm);
  const item = design.qualification?.item ?? items[0]?.key ?? '';
  const unitCounts = await d
    .select({ kind: studyUnits.kind, n: sql<number>`count(*)::int`, sources: sql<number>`count(distinct ${studyUnits.sourceKey})::int` })
    .from(studyUnits)
    .where(eq(studyUnits.projectId, projectId))
    .groupBy(studyUnits.kind);
  const n = (k: StudyUnitKind) => unitCounts.find((u) => u.kind === k);
  const [{ pending }] = await d
    .select({ pending: sql<number>`count(*)::int` })
    .from(cases)
    .where(and(eq(cases.projectId, projectId), isNull(cases.withdrawnAt), sql`not exists (select 1 from ${studyUnits} su where su.case_id = ${cases.id})`));
  const readers = await d
    .select({ userId: projectMembers.userId, name: users.name, email: users.email })
    .from(projectMembers)
    .innerJoin(users, eq(users.id, projectMembers.userId))
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.role, 'reader')))
    .orderBy(asc(projectMembers.createdAt), asc(projectMembers.userId));
  const now = new Date(toIso(at));
  const intra = await intraReaderAgreement({ projectId, item });
  const planned = new Set((await d.selectDistinct({ userId: studyPlan.userId }).from(studyPlan).where(eq(studyPlan.projectId, projectId))).map((r) => r.userId));
  // Once a reader has a plan the case set is locked (setUpStudyUnits refuses new units).
  const locked = planned.size > 0;
  const rows: ReaderRow[] = [];
  for (const [i, r] of readers.entries()) {
    const arr = readerArrangement(design, i);
    const has = planned.has(r.userId);
    rows.push({
      userId: r.userId,
      name: r.name || r.email,
      group: arr.group,
      arms: arr.arms,
      progress: has ? await studyProgress(d as unknown as Tx, { projectId, userId: r.userId, now }) : null,
      qualification: design.qualification && has ? await readerQualification(d as unknown as Tx, { projectId, userId: r.userId, design }) : null,
      intra: intra.get(r.userId)?.all ?? null,
      intraByArm: design.arms.flatMap((a) => {
        const k = intra.get(r.userId)?.byArm.get(a.key);
        return k ? [{ arm: a.key, label: a.label, k }] : [];
      }),
    });
  }
  const skips = await d
    .select({ reason: studySkips.reason, outcome: studySkips.outcome, n: sql<number>`count(*)::int` })
    .from(studySkips)
    .where(eq(studySkips.projectId, projectId))
    .groupBy(studySkips.reason, studySkips.outcome);
  const cases_ = n('study')?.sources ?? 0;
  return {
    version: v.version,
    design,
    item,
    itemLabel: items.find((x) => x.key === item)?.field.label ?? item,
    lines: describeStudy(design, { readers: readers.length, cases: cases_, calibration: n('calibration')?.n ?? 0, rereads: n('reread')?.n ?? 0 }),
    units: { study: n('study')?.n ?? 0, cases: cases_, reread: n('reread')?.n ?? 0, calibration: n('calibration')?.n ?? 0, pending },
    locked,
    readersPerCase: def.truthPolicy.readersPerCase,
    readerRows: rows,
    arms: await armAgreement({ projectId, item, design }),
    skips: skips.map((s) => ({ ...s, label: SKIP_REASON_LABELS[s.reason] })),
  };
}

export type ReaderStudyStatus = {
  progress: StudyProgress;
  armLabel: string | null;
  sessionLabel: string | null;
  qualification: Pick<Qualification, 'required' | 'qualified' | 'n' | 'kappa' | 'minKappa' | 'minCases'> | null;
};

function sessionLabel(design: StudyDesign, p: StudyProgress): string | null {
  if (!p.session) return null;
  const arm = design.arms.find((a) => a.key === p.session?.arm);
  const what = p.session.kind === 'calibration' ? 'Calibration cases' : p.session.kind === 'reread' ? 'Final session' : (arm?.label ?? '');
  return `Session ${p.session.index + 1} of ${p.session.count}: ${what}`;
}

/** The reader's own study status (their workload, session, when the next one opens); null when the project is not a study. */
export async function getReaderStudyStatus({ projectId, userId, at }: { projectId: string; userId: string; at?: Date | string }): Promise<ReaderStudyStatus | null> {
  const d = getDb();
  const design = await getStudyDesign({ projectId });
  if (!design) return null;
  const now = new Date(toIso(at));
  const progress = await studyProgress(d as unknown as Tx, { projectId, userId, now });
  const q = design.qualification ? await readerQualification(d as unknown as Tx, { projectId, userId, design }) : null;
  return {
    progress,
    armLabel: null,
    sessionLabel: sessionLabel(design, progress),
    qualification: q ? { required: q.required, qualified: q.qualified, n: q.n, kappa: q.kappa, minKappa: q.minKappa, minCases: q.minCases } : null,
  };
}

export type ReaderStudyCase = {
  /** "Case n of N" of the reader's own plan. */
  position: number;
  total: number;
  sessionLabel: string | null;
  kind: 'study' | 'calibration';
  arm: { key: string; label: string; aided: boolean } | null;
  /** Aided arms only: the AI model's output for this case. */
  ai: { modelName: string; modelVersion: string; score: number; label: string }[];
  /**
   * Aided arms only: AI models' imported marks (source kind 'model') on this case's images,
   * wherever the lead placed them among the arm copies of the same source case.
   */
  aiMarks: { source: string; lesions: Lesion[] }[];
  /** Calibration cases, after the reader's own read: the known answer and why. */
  calibration: { truth: { label: string; answer: string }[]; explanation: string | null } | null;
  skipReasons: { value: SkipReason; label: string }[];
  canSkip: boolean;
};

/**
 * What the reader sees of the study on one case they may see (the caller has checked that with
 * getReaderCase). A re-read shows as a study case of its arm (blind); nothing here depends on
 * another reader's answer.
 */
export async function getReaderStudyCase({
  projectId,
  caseId,
  userId,
  at,
}: {
  projectId: string;
  caseId: string;
  userId: string;
  at?: Date | string;
}): Promise<ReaderStudyCase | null> {
  const d = getDb();
  const design = await getStudyDesign({ projectId });
  if (!design) return null;
  const [unit] = await d
    .select()
    .from(studyUnits)
    .where(and(eq(studyUnits.caseId, caseId), eq(studyUnits.projectId, projectId)));
  const [planRow] = await d
    .select({ seq: studyPlan.seq })
    .from(studyPlan)
    .where(and(eq(studyPlan.projectId, projectId), eq(studyPlan.userId, userId), eq(studyPlan.caseId, caseId)));
  if (!unit || !planRow) return null;
  const now = new Date(toIso(at));
  const progress = await studyProgress(d as unknown as Tx, { projectId, userId, now });
  const [mine] = await d
    .select({ values: reads.values })
    .from(reads)
    .where(and(eq(reads.caseId, caseId), eq(reads.authorId, userId), eq(reads.source, 'reader')))
    .orderBy(sql`${reads.createdAt} desc`)
    .limit(1);
  const arm = design.arms.find((a) => a.key === unit.arm) ?? null;
  const ai =
    arm?.aided && unit.kind !== 'calibration'
      ? await d
          .select({ modelName: aiResults.modelName, modelVersion: aiResults.modelVersion, score: aiResults.score, label: aiResults.label })
          .from(aiResults)
          .where(and(eq(aiResults.projectId, projectId), eq(aiResults.sourceKey, unit.sourceKey)))
          .orderBy(asc(aiResults.modelName), asc(aiResults.modelVersion))
      : [];
  const aiMarks =
    arm?.aided && unit.kind !== 'calibration'
      ? await d
          .select({ source: importedMarks.source, lesions: importedMarks.lesions })
          .from(importedMarks)
          .where(
            and(
              eq(importedMarks.projectId, projectId),
              eq(importedMarks.sourceKind, AIDED_MARKS),
              sql`${importedMarks.caseId} in (select su.case_id from ${studyUnits} su where su.project_id = ${projectId} and su.source_key = ${unit.sourceKey})`,
            ),
          )
          .orderBy(asc(importedMarks.source), asc(importedMarks.createdAt))
      : [];
  let calibration: ReaderStudyCase['calibration'] = null;
  if (unit.kind === 'calibration' && mine) {
    const v = await getCurrentVersion({ projectId });
    const items = v ? formItems(definitionOf(v).readerForm) : [];
    const truth = (unit.truth ?? {}) as ReadValues;
    calibration = {
      truth: items
        .filter((it) => truth[it.key] !== undefined)
        .map((it) => ({ label: it.finding ? `${it.finding.label}: ${it.field.label}` : it.field.label, answer: describe(it.field, truth[it.key]) })),
      explanation: unit.explanation,
    };
  }
  const done = progress.done + (mine ? 0 : 1);
  return {
    position: Math.min(done, progress.total),
    total: progress.total,
    sessionLabel: sessionLabel(design, progress),
    kind: unit.kind === 'calibration' ? 'calibration' : 'study',
    arm: unit.kind === 'calibration' || !arm ? null : { key: arm.key, label: arm.label, aided: arm.aided },
    ai: ai.map((a) => ({ ...a, score: Number(a.score) })),
    aiMarks: aiMarks.map((m) => ({ source: m.source, lesions: m.lesions as Lesion[] })),
    calibration,
    skipReasons: (Object.keys(SKIP_REASON_LABELS) as SkipReason[]).map((value) => ({ value, label: SKIP_REASON_LABELS[value] })),
    canSkip: !mine,
  };
}

function describe(field: ReturnType<typeof formItems>[number]['field'], v: unknown): string {
  if (field.kind === 'binary') return v === true ? field.trueLabel : v === false ? field.falseLabel : String(v);
  if (field.kind === 'nominal' || field.kind === 'ordinal') {
    const opts = field.kind === 'ordinal' ? [...field.options, ...field.outsideScale] : field.options;
    return opts.find((o) => o.value === v)?.label ?? String(v);
  }
  if (field.kind === 'multi_label' && Array.isArray(v)) return v.map((x) => field.options.find((o) => o.value === x)?.label ?? String(x)).join(', ');
  return String(v);
}

/**
 * A reader skips a case of their plan with a reason: the study's rule defers it (offered again
 * after the session's other cases) or excludes it for them; a case deferred too often is excluded.
 * Their open assignment on it is closed, so its read slot returns.
 */
export async function skipStudyCase({
  projectId,
  caseId,
  userId,
  reason,
  note = '',
  at,
}: {
  projectId: string;
  caseId: string;
  userId: string;
  reason: SkipReason;
  note?: string;
  at?: Date | string;
}) {
  const d = getDb();
  const design = await getStudyDesign({ projectId });
  // Not a study, or not a case the reader holds: reported alike (ids cannot be probed).
  if (!design) throw new AppError('not_found', 'There is no such case in your queue.');
  const now = new Date(toIso(at));
  return d.transaction(async (tx) => {
    const [planRow] = await tx
      .select({ seq: studyPlan.seq })
      .from(studyPlan)
      .where(and(eq(studyPlan.projectId, projectId), eq(studyPlan.userId, userId), eq(studyPlan.caseId, caseId)));
    const [open] = await tx
      .select({ id: assignments.id })
      .from(assignments)
      .where(and(eq(assignments.caseId, caseId), eq(assignments.userId, userId), eq(assignments.role, 'reader'), eq(assignments.status, 'open')))
      .for('update');
    if (!planRow || !open) throw new AppError('not_found', 'There is no such case in your queue.');
    const before = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(studySkips)
      .where(and(eq(studySkips.projectId, projectId), eq(studySkips.userId, userId), eq(studySkips.caseId, caseId)));
    const rule = design.skipRules[reason];
    const outcome = rule === 'excluded' || (before[0]?.n ?? 0) + 1 >= design.maxDeferrals ? 'excluded' : 'deferred';
    await tx.insert(studySkips).values({ projectId, userId, caseId, reason, outcome, note: note.slice(0, 500), createdAt: now });
    await tx
      .update(assignments)
      .set({ status: 'cancelled', closedAt: now })
      .where(inArray(assignments.id, [open.id]));
    await writeAudit(tx, { actorId: userId, action: 'study.skip', projectId, caseId, target: open.id, details: { reason, outcome } });
    return { outcome };
  });
}

/** Whether the case is a calibration case (its reader sees the known answer after the read). */
export async function isCalibrationCase({ projectId, caseId }: { projectId: string; caseId: string }): Promise<boolean> {
  const [u] = await getDb()
    .select({ kind: studyUnits.kind })
    .from(studyUnits)
    .where(and(eq(studyUnits.caseId, caseId), eq(studyUnits.projectId, projectId)));
  return u?.kind === 'calibration';
}
