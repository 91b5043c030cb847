/**
 * Free-response (FROC) scores of the readers' marks against the truth lesions, for the lead. The
 * computation reads every decided case of a version, so it runs in a job (froc.compute) that
 * stores its result in stats_cache; the page only reads that one row.
 *
 * Truth: the case's current truth lesions (every marks item), or the lesions of an imported
 * 'reference' source when the lead picks one. A case counts when its truth is decided (verified or
 * pending) and holds a marks item's lesion list; a case with no truth lesions is a normal case.
 * Localisation: per marks item the reader's lesions are matched one-to-one to the truth lesions by
 * the definition's match rule (the rule of agreement by location, workflows/marks-match.ts); a
 * matched mark is the lesion's localisation (its rating), every other mark a non-lesion one.
 * Rating: the item's first ordinal (option rank) or numeric lesion field, else 1 for every mark.
 */
import { and, asc, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { cases, importedMarks, projectVersions, reads, statsCache, studyUnits, users } from '../../db/schema.ts';
import { enqueueJob, kickJobs, registerJob } from '../../jobs/runner.ts';
import { jobs } from '../../db/schema.ts';
import { buildFrocStudy, FrocError, type FrocReadingInput, frocSummary, jafroc } from '../../stats/froc/index.ts';
import { type MarkItem, markRuleFor, projectDefinitionSchema } from '../../workflows/definition.ts';
import { markItems } from '../../workflows/form-items.ts';
import { isLesionList, type Lesion } from '../../workflows/marks.ts';
import { assign, similarity } from '../../workflows/marks-match.ts';
import { casesToCoco, type CocoCase, type ProjectCoco } from '../../formats/coco.ts';
import { countsInStatistics } from './study.server.ts';
import { currentTruth } from './truth.server.ts';
import { computeMarksAgreement, type MarksAgreementResult } from './marks-agreement.server.ts';

export const FROC_JOB = 'froc.compute';
export const FROC_SCHEMA = 1;
const CHUNK = 500;

export function frocCacheKey(truthSource: string | null): string {
  return truthSource ? `froc:reference:${truthSource}` : 'froc';
}

export type FrocReaderRow = {
  arm: string | null;
  armLabel: string | null;
  readerId: string;
  name: string;
  cases: number;
  normals: number;
  lesions: number;
  wAFROC: number | null;
  AFROC: number | null;
  llf: number | null;
  nlf: number | null;
  froc: { nlf: number; llf: number }[];
  /** Why no figure of merit (e.g. no normal cases among the reader's cases). */
  note: string | null;
};

export type FrocArmComparison = {
  arms: [string, string];
  labels: [string, string];
  F: number;
  df1: number;
  df2: number;
  p: number;
  difference: number;
  ci: [number, number];
  readers: number;
  cases: number;
};

export type FrocResult = {
  schema: number;
  version: number;
  computedAt: string;
  truthSource: string | null;
  ratingFields: string[];
  /** Decided cases with a marks item (clinical cases: arm copies of one case count once). */
  cases: number;
  normals: number;
  lesions: number;
  readers: FrocReaderRow[];
  comparison: FrocArmComparison[] | null;
  comparisonNote: string | null;
  /** Agreement by location between the readers (whatever the truth source), stored with the scores by the same job. */
  agreement?: MarksAgreementResult | null;
};

type Args = { projectId: string; version?: number; truthSource?: string | null; db?: Db };

async function versionDefinition(d: Db, projectId: string, version?: number) {
  const [v] = await d
    .select()
    .from(projectVersions)
    .where(version ? and(eq(projectVersions.projectId, projectId), eq(projectVersions.version, version)) : eq(projectVersions.projectId, projectId))
    .orderBy(desc(projectVersions.version))
    .limit(1);
  if (!v) return null;
  const def = projectDefinitionSchema.parse({
    readerForm: v.readerForm,
    referenceStandard: v.referenceStandard,
    mapping: v.mapping,
    truthPolicy: v.truthPolicy,
    study: v.study ?? undefined,
  });
  return { version: v.version, def };
}

function chunks<T>(xs: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

/** The rating of a mark: the option rank of an ordinal field, a numeric field's value, else 1. */
export function ratingOf(item: MarkItem): { field: string | null; rate: (l: Lesion) => number } {
  for (const f of item.fields) {
    if (f.kind === 'ordinal') {
      const rank = new Map(f.options.map((o, i) => [o.value, i + 1]));
      return { field: f.key, rate: (l) => rank.get(String(l.answers[f.key])) ?? 0 };
    }
    if (f.kind === 'numeric') return { field: f.key, rate: (l) => (typeof l.answers[f.key] === 'number' ? (l.answers[f.key] as number) : 0) };
  }
  return { field: null, rate: () => 1 };
}

/** LL and NL ratings of one reading: per item, the optimal one-to-one match to the truth lesions. */
export function scoreReading(
  items: { key: string; rule: ReturnType<typeof markRuleFor>; rate: (l: Lesion) => number }[],
  truth: Record<string, Lesion[]>,
  marks: Record<string, Lesion[]>,
): { ll: (number | null)[]; nl: number[] } {
  const ll: (number | null)[] = [];
  const nl: number[] = [];
  for (const it of items) {
    const t = truth[it.key] ?? [];
    const m = marks[it.key] ?? [];
    const pairs = assign(t.map((a) => m.map((b) => similarity(a, b, it.rule))));
    const found = new Map(pairs.map(([i, j]) => [i, j]));
    const used = new Set(pairs.map(([, j]) => j));
    t.forEach((_, i) => {
      const j = found.get(i);
      ll.push(j === undefined ? null : it.rate(m[j]!));
    });
    m.forEach((l, j) => {
      if (!used.has(j)) nl.push(it.rate(l));
    });
  }
  return { ll, nl };
}

/** An item's lesions in a truth value: under its own key, or a finding subject's under the item's plain key. */
function truthLesions(val: Record<string, unknown>, it: { key: string; raw: string; finding: string | null }, findingKey: string | null): Lesion[] | null {
  const v = val[it.key] ?? (it.finding && it.finding === findingKey ? val[it.raw] : undefined);
  return isLesionList(v) ? v : null;
}

export async function computeFroc({ projectId, version, truthSource = null, db }: Args): Promise<FrocResult | null> {
  const d = db ?? getDb();
  const v = await versionDefinition(d, projectId, version);
  if (!v) return null;
  // One item per finding for finding-scoped marks items (reads key them "finding/item").
  const items = markItems(v.def.readerForm).map(({ key, item, finding }) => ({
    key,
    raw: item.key,
    finding: finding?.key ?? null,
    rule: markRuleFor(v.def.truthPolicy, item),
    // What the page names the rating by: the definition's words, not its keys.
    label: [finding?.label, item.label].filter(Boolean).join(': '),
    ...ratingOf(item),
  }));
  const armLabel = new Map((v.def.study?.arms ?? []).map((a) => [a.key, a.label]));
  const base: FrocResult = {
    schema: FROC_SCHEMA,
    version: v.version,
    computedAt: new Date().toISOString(),
    truthSource,
    ratingFields: items.flatMap((i) => {
      const field = i.field ? (markItemOf(v.def, i.raw)?.fields.find((f) => f.key === i.field)?.label ?? i.field) : null;
      return field ? [`${i.label} — ${field}`] : [];
    }),
    cases: 0,
    normals: 0,
    lesions: 0,
    readers: [],
    comparison: null,
    comparisonNote: null,
  };
  if (!items.length) return base;
  const caseRows = await d
    .select({ id: cases.id, sourceKey: studyUnits.sourceKey, arm: studyUnits.arm })
    .from(cases)
    .leftJoin(studyUnits, eq(studyUnits.caseId, cases.id))
    .where(and(eq(cases.projectId, projectId), eq(cases.projectVersion, v.version), isNull(cases.withdrawnAt), countsInStatistics(cases.id)))
    .orderBy(asc(cases.id));
  // Truth per case (decided cases with a marks item only).
  const truthOf = new Map<string, Record<string, Lesion[]>>();
  for (const ids of chunks(caseRows.map((c) => c.id))) {
    for (const t of await currentTruth({ caseIds: ids, db: d })) {
      if (t.state !== 'verified' && t.state !== 'pending') continue;
      const val = (t.value ?? {}) as Record<string, unknown>;
      for (const it of items) {
        const ls = truthLesions(val, it, t.findingKey);
        if (!ls) continue;
        const rec = truthOf.get(t.caseId) ?? {};
        rec[it.key] = [...(rec[it.key] ?? []), ...ls];
        truthOf.set(t.caseId, rec);
      }
    }
  }
  // A clinical case is its study unit's source key (arm copies share it), else the case itself.
  const unitOf = new Map(caseRows.map((c) => [c.id, { unit: c.sourceKey ?? c.id, arm: c.arm ?? null }]));
  const unitTruth = new Map<string, Record<string, Lesion[]>>();
  for (const [id, t] of truthOf) {
    const u = unitOf.get(id)!.unit;
    if (!unitTruth.has(u)) unitTruth.set(u, t);
  }
  if (truthSource) {
    // The reference source's lesions replace the readers' consensus (as the first marks item's);
    // a source imported on any arm copy of a clinical case locates that case's lesions.
    const ref = new Map<string, { caseId: string; lesions: Lesion[] }>();
    for (const ids of chunks(caseRows.map((c) => c.id))) {
      const rows = await d
        .select({ caseId: importedMarks.caseId, lesions: importedMarks.lesions })
        .from(importedMarks)
        .where(and(eq(importedMarks.projectId, projectId), eq(importedMarks.source, truthSource), eq(importedMarks.sourceKind, 'reference'), inArray(importedMarks.caseId, ids)))
        .orderBy(asc(importedMarks.caseId));
      for (const r of rows) {
        const u = unitOf.get(r.caseId)!.unit;
        const had = ref.get(u);
        if (!had) ref.set(u, { caseId: r.caseId, lesions: r.lesions as Lesion[] });
        else if (had.caseId === r.caseId) had.lesions = [...had.lesions, ...(r.lesions as Lesion[])];
      }
    }
    for (const u of unitTruth.keys()) unitTruth.set(u, { [items[0]!.key]: ref.get(u)?.lesions ?? [] });
  }
  const lesionCount = (t: Record<string, Lesion[]>) => items.reduce((n, it) => n + (t[it.key]?.length ?? 0), 0);
  base.cases = unitTruth.size;
  for (const t of unitTruth.values()) {
    const n = lesionCount(t);
    base.lesions += n;
    if (n === 0) base.normals++;
  }
  // The readers' reads of those cases, every arm copy (the newest read per reader and case).
  const readings = new Map<string, { arm: string | null; reader: string; unit: string; ll: (number | null)[]; nl: number[] }>();
  const names = new Map<string, string>();
  for (const ids of chunks(caseRows.filter((c) => unitTruth.has(c.sourceKey ?? c.id)).map((c) => c.id))) {
    const rows = await d
      .select({ caseId: reads.caseId, authorId: reads.authorId, values: reads.values, name: users.name, email: users.email })
      .from(reads)
      .innerJoin(users, eq(users.id, reads.authorId))
      .where(and(inArray(reads.caseId, ids), eq(reads.source, 'reader')))
      .orderBy(asc(reads.createdAt));
    for (const r of rows) {
      if (!r.authorId || !r.values) continue;
      names.set(r.authorId, r.name || r.email);
      const { unit, arm } = unitOf.get(r.caseId)!;
      const truth = unitTruth.get(unit)!;
      const vals = r.values as Record<string, unknown>;
      const marks: Record<string, Lesion[]> = {};
      for (const it of items) marks[it.key] = isLesionList(vals[it.key]) ? (vals[it.key] as Lesion[]) : [];
      readings.set(`${arm ?? ''}\u0000${r.authorId}\u0000${unit}`, { arm, reader: r.authorId, unit, ...scoreReading(items, truth, marks) });
    }
  }
  const groups = new Map<string, FrocReadingInput[]>();
  for (const r of readings.values()) {
    const g = `${r.arm ?? ''}\u0000${r.reader}`;
    groups.set(g, [...(groups.get(g) ?? []), { arm: r.arm ?? '', reader: r.reader, caseId: r.unit, ll: r.ll, nl: r.nl }]);
  }
  for (const rs of groups.values()) {
    const arm = rs[0]!.arm || null;
    const cs = rs.map((r) => ({ id: r.caseId, lesions: lesionCount(unitTruth.get(r.caseId)!) }));
    const row: FrocReaderRow = {
      arm,
      armLabel: arm ? (armLabel.get(arm) ?? arm) : null,
      readerId: rs[0]!.reader,
      name: names.get(rs[0]!.reader) ?? rs[0]!.reader,
      cases: cs.length,
      normals: cs.filter((c) => c.lesions === 0).length,
      lesions: cs.reduce((n, c) => n + c.lesions, 0),
      wAFROC: null,
      AFROC: null,
      llf: null,
      nlf: null,
      froc: [],
      note: null,
    };
    try {
      const [s] = frocSummary(buildFrocStudy({ cases: cs, readings: rs }));
      Object.assign(row, { wAFROC: s!.wAFROC, AFROC: s!.AFROC, llf: s!.llf, nlf: s!.nlf, froc: s!.froc.map((p) => ({ nlf: p.nlf, llf: p.llf })) });
    } catch (e) {
      if (!(e instanceof FrocError)) throw e;
      row.note = e.message === 'an FROC study needs normal and abnormal cases' ? 'needs both normal cases and cases with lesions among the reader’s cases' : e.message;
    }
    base.readers.push(row);
  }
  base.readers.sort((a, b) => (a.armLabel ?? '').localeCompare(b.armLabel ?? '') || a.name.localeCompare(b.name));
  const arms = [...armLabel.keys()];
  if (arms.length >= 2) {
    // The OR analysis needs a fully crossed design: the readers who read in every arm, the cases each of them read in every arm.
    const readerIds = [...new Set(base.readers.map((r) => r.readerId))].filter((id) => arms.every((a) => groups.has(`${a}\u0000${id}`))).sort();
    const units = [...unitTruth.keys()].filter((u) => readerIds.every((id) => arms.every((a) => readings.has(`${a}\u0000${id}\u0000${u}`)))).sort();
    try {
      if (readerIds.length < 2) throw new FrocError('needs at least two readers who read in every arm');
      const s = buildFrocStudy({
        arms,
        readers: readerIds,
        cases: units.map((u) => ({ id: u, lesions: lesionCount(unitTruth.get(u)!) })),
        readings: units.flatMap((u) => readerIds.flatMap((id) => arms.map((a) => ({ ...readings.get(`${a}\u0000${id}\u0000${u}`)!, arm: a, caseId: u })))),
      });
      const doc = jafroc(s);
      base.comparison = doc.or.rrrc.differences.map((x) => ({
        arms: x.arms,
        labels: [armLabel.get(x.arms[0]) ?? x.arms[0], armLabel.get(x.arms[1]) ?? x.arms[1]],
        F: doc.or.rrrc.F,
        df1: doc.or.rrrc.df1,
        df2: doc.or.rrrc.df2,
        p: x.p,
        difference: x.estimate,
        ci: x.ci,
        readers: readerIds.length,
        cases: units.length,
      }));
    } catch (e) {
      if (!(e instanceof FrocError)) throw e;
      base.comparisonNote =
        e.message === 'an FROC study needs normal and abnormal cases' ? 'the cases every reader read in every arm need both normal cases and cases with lesions' : e.message;
    }
  }
  return base;
}

/** Computes and stores the figures (the job's work). */
export async function refreshFroc(args: Args): Promise<FrocResult | null> {
  const d = args.db ?? getDb();
  const res = await frocWithAgreement({ ...args, db: d });
  if (res) await storeFroc(d, args.projectId, res);
  return res;
}

/** The FROC scores and the agreement by location of one version, computed, not stored. */
async function frocWithAgreement(args: Args & { db: Db }): Promise<FrocResult | null> {
  const res = await computeFroc(args);
  if (!res) return null;
  res.agreement = await computeMarksAgreement({ projectId: args.projectId, version: res.version, db: args.db });
  return res;
}

async function storeFroc(d: Db, projectId: string, res: FrocResult): Promise<void> {
  await d
    .insert(statsCache)
    .values({ projectId, projectVersion: res.version, key: frocCacheKey(res.truthSource), payload: res, computedAt: new Date(res.computedAt) })
    .onConflictDoUpdate({ target: [statsCache.projectId, statsCache.projectVersion, statsCache.key], set: { payload: res, computedAt: new Date(res.computedAt) } });
}

/** The project's imported reference sources (the truth lesions the lead may score against instead). */
export async function referenceSources({ projectId, db }: { projectId: string; db?: Db }): Promise<string[]> {
  const rows = await (db ?? getDb())
    .selectDistinct({ source: importedMarks.source })
    .from(importedMarks)
    .where(and(eq(importedMarks.projectId, projectId), eq(importedMarks.sourceKind, 'reference')))
    .orderBy(importedMarks.source)
    .limit(50);
  return rows.map((r) => r.source);
}

/** What the page shows: the stored figures (one row), the reference sources to choose from, and whether a job is computing. */
export async function frocForPage({ projectId, truthSource = null, db }: Omit<Args, 'version'>) {
  const d = db ?? getDb();
  const v = await versionDefinition(d, projectId);
  const sources = (await referenceSources({ projectId, db: d })).map((source) => ({ source }));
  if (!v) return { cocoAt: null, result: null, computing: false, hasMarks: false, sources: sources.map((s) => s.source) };
  const [row] = await d
    .select({ payload: statsCache.payload })
    .from(statsCache)
    .where(and(eq(statsCache.projectId, projectId), eq(statsCache.projectVersion, v.version), eq(statsCache.key, frocCacheKey(truthSource))));
  const payload = row?.payload as FrocResult | undefined;
  const [open] = await d
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.projectId, projectId), eq(jobs.kind, FROC_JOB), inArray(jobs.status, ['queued', 'running'])))
    .limit(1);
  const [coco] = await d
    .select({ at: statsCache.computedAt })
    .from(statsCache)
    .where(and(eq(statsCache.projectId, projectId), eq(statsCache.projectVersion, 0), eq(statsCache.key, COCO_TRUTH_KEY)));
  return {
    cocoAt: coco ? coco.at.toISOString() : null,
    result: payload && payload.schema === FROC_SCHEMA ? payload : null,
    computing: Boolean(open),
    hasMarks: (v.def.readerForm.marks ?? []).length > 0,
    sources: sources.map((s) => s.source),
  };
}

/** Queues the computation unless one is already waiting or running for the project. */
export async function queueFroc({
  projectId,
  truthSource = null,
  actorId,
  db,
}: {
  projectId: string;
  truthSource?: string | null;
  actorId?: string | null;
  db?: Db;
}): Promise<string> {
  const d = db ?? getDb();
  const [open] = await d
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.projectId, projectId), eq(jobs.kind, FROC_JOB), inArray(jobs.status, ['queued', 'running'])))
    .limit(1);
  if (open) return open.id;
  const job = await enqueueJob({ kind: FROC_JOB, projectId, createdBy: actorId ?? null, params: { truthSource }, db: d });
  kickJobs();
  return job.id;
}

export const COCO_TRUTH_KEY = 'coco:truth';

/**
 * The decided truth lesions of every case of the project as one COCO file (arm copies of a
 * clinical case once). The category is the first marks item's first nominal lesion field.
 */
export async function buildTruthCoco({ projectId, db, now }: { projectId: string; db?: Db; now?: Date }): Promise<{ version: number; coco: ProjectCoco } | null> {
  const d = db ?? getDb();
  const v = await versionDefinition(d, projectId);
  if (!v) return null;
  const items = markItems(v.def.readerForm).map(({ key, item, finding }) => ({ key, raw: item.key, finding: finding?.key ?? null }));
  const categoryField = v.def.readerForm.marks?.[0]?.fields.find((f) => f.kind === 'nominal')?.key ?? 'category';
  const rows = await d
    .select({ id: cases.id, externalId: cases.externalId, images: cases.images, sourceKey: studyUnits.sourceKey })
    .from(cases)
    .leftJoin(studyUnits, eq(studyUnits.caseId, cases.id))
    .where(and(eq(cases.projectId, projectId), isNull(cases.withdrawnAt), countsInStatistics(cases.id)))
    .orderBy(asc(cases.externalId), asc(cases.id));
  const out: CocoCase[] = [];
  const seen = new Set<string>();
  for (const part of chunks(rows)) {
    const truth = new Map<string, Lesion[]>();
    for (const t of await currentTruth({ caseIds: part.map((r) => r.id), db: d })) {
      if (t.state !== 'verified' && t.state !== 'pending') continue;
      const val = (t.value ?? {}) as Record<string, unknown>;
      for (const it of items) {
        const ls = truthLesions(val, it, t.findingKey);
        if (ls) truth.set(t.caseId, [...(truth.get(t.caseId) ?? []), ...ls]);
      }
    }
    for (const r of part) {
      const ls = truth.get(r.id);
      const unit = r.sourceKey ?? r.id;
      if (!ls || seen.has(unit)) continue;
      seen.add(unit);
      out.push({ caseId: r.externalId ?? r.id, images: r.images.map((url) => ({ url })), lesions: ls });
    }
  }
  return { version: v.version, coco: casesToCoco({ cases: out, categoryField, description: `Truth lesions of ${out.length} decided cases (Truthline)`, now }) };
}

/** The stored COCO file of the truth lesions (one row), or null before the job made it. */
export async function storedTruthCoco({ projectId, db }: { projectId: string; db?: Db }): Promise<ProjectCoco | null> {
  const [row] = await (db ?? getDb())
    .select({ payload: statsCache.payload })
    .from(statsCache)
    .where(and(eq(statsCache.projectId, projectId), eq(statsCache.projectVersion, 0), eq(statsCache.key, COCO_TRUTH_KEY)));
  return (row?.payload as ProjectCoco | undefined) ?? null;
}

registerJob(FROC_JOB, async (ctx) => {
  const projectId = ctx.job.projectId;
  if (!projectId) throw new Error('froc.compute needs a project');
  const ts = (ctx.job.params as { truthSource?: unknown }).truthSource;
  await ctx.progress({ done: 0, total: 2, phase: 'localisation scores' });
  const res = await frocWithAgreement({ projectId, truthSource: typeof ts === 'string' && ts ? ts : null, db: ctx.db });
  await ctx.progress({ done: 1, total: 2, phase: 'COCO file of the truth lesions' });
  const coco = await buildTruthCoco({ projectId, db: ctx.db });
  // Both results appear at once: the page never shows the scores of a run whose file is missing.
  await ctx.db.transaction(async (tx) => {
    if (res) await storeFroc(tx as unknown as Db, projectId, res);
    // Version 0: the file spans every version's cases.
    if (coco)
      await tx
        .insert(statsCache)
        .values({ projectId, projectVersion: 0, key: COCO_TRUTH_KEY, payload: coco.coco })
        .onConflictDoUpdate({ target: [statsCache.projectId, statsCache.projectVersion, statsCache.key], set: { payload: coco.coco, computedAt: new Date() } });
  });
  await ctx.progress({ done: 2, total: 2, phase: 'done' });
  return { cases: res?.cases ?? 0 };
});

function markItemOf(def: { readerForm: { marks?: MarkItem[] } }, key: string): MarkItem | undefined {
  return def.readerForm.marks?.find((m) => m.key === key);
}
