/**
 * The agreement dashboard's figures, computed with stats/ from the project's reads and cached in
 * `stats_cache` per project version (key "dashboard"). The cache carries a stamp — the number and
 * the last id of the version's workflow events and its withdrawn-case count — and is recomputed
 * when the stamp no longer matches (any read, decision, reopen or withdrawal makes it stale).
 *
 * Reusable by the HTTP API:
 *   getAgreementDashboard({ projectId, version?, refresh? }) → AgreementDashboard (cached)
 *   computeAgreement({ projectId, version })                  → AgreementDashboard (no cache)
 *   agreementRatings({ projectId, version, field })           → the ratings handed to stats/
 *   projectAgreement({ projectId, item?, version? })          → { item, report }: the stats/ JSON
 *       document for one reader-form item ("pneumothorax", "left/birads") or a whole field;
 *       throws AgreementUnavailable (reason unknown_item | no_version | not_enough_data | unsupported)
 *
 * Ratings: one per (unit, reader) where a unit is the case (case-scope fields) or the case ×
 * finding (per-finding fields); the reader's latest non-superseded read of a non-withdrawn case
 * pinned to the version. Cannot-assess reads and answers outside an ordinal scale (BI-RADS 0)
 * are missing data. Reader accuracy uses the majority of the OTHER readers as the reference
 * (leave-one-reader-out, so a reader is never scored against a truth their own read formed),
 * with patient-clustered CIs.
 */
import { and, asc, count, desc, eq, inArray, isNull, max, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { caseWorkflows, cases, jobs, patients, projectVersions, reads, statsCache, studyUnits, truthLabels, users, workflowEvents } from '../../db/schema.ts';
import { enqueueJob, kickJobs } from '../../jobs/runner.ts';
import { categoricalAgreement, extendReport, fromColumns, type Level, type Report, type StatisticEntry } from '../../stats/index.ts';
import { formItems, projectDefinitionSchema, type Field, type ProjectDefinition } from '../../workflows/definition.ts';
import { countsInStatistics, intraReaderAgreement } from './study.server.ts';
import { isCurrentTruth } from './truth.server.ts';

export const CACHE_KEY = 'dashboard';
/** Bump when the payload's shape changes: old cache rows are then recomputed. */
export const DASHBOARD_SCHEMA = 4;

/** The cache key of one arm's figures (a reader study's units of that arm only); no arm: all units. */
export function dashboardCacheKey(arm?: string | null): string {
  return arm ? `${CACHE_KEY}:arm:${arm}` : CACHE_KEY;
}

export type ArmRef = { key: string; label: string; aided: boolean };
/** One reader's blind re-reads against their own first reads of the same cases (same arm). */
export type IntraReader = { readerId: string; name: string; n: number; kappa: number | null; agreement: number | null };

export type Estimate = { value: number | null; lower: number | null; upper: number | null; n: number | null };
/** `band`: the Landis–Koch (1977) band of a κ-type estimate (a convention, not a finding), else null. */
export type Headline = Estimate & { id: string; label: string; method: string; ciMethod: string | null; band?: string | null };
/** Cohen's κ of one pair of readers over the cases both rated, with its Landis–Koch band. */
export type PairKappa = { readers: [string, string]; names: [string, string]; kappa: Estimate; band: string | null };
export type ReaderAccuracy = {
  readerId: string;
  name: string;
  ratings: number;
  accuracy: Estimate;
  sensitivity: Estimate | null;
  specificity: Estimate | null;
  kappa: Estimate;
  /** Ordinal fields: quadratic-weighted κ against the same reference (null otherwise). */
  weightedKappa?: Estimate | null;
};
export type FieldAgreement = {
  key: string;
  label: string;
  kind: Field['kind'];
  scope: 'case' | 'finding';
  level: Level | null;
  units: number;
  readers: number;
  ratings: number;
  missing: number;
  categories: string[];
  headline: Headline[];
  /** Pairwise Cohen's κ (nominal items; absent in figures computed before it was added). */
  pairs?: PairKappa[];
  accuracy: ReaderAccuracy[];
  reference: string | null;
  positive: string | null;
  warnings: string[];
  /** Every entry stats/ produced (the JSON document of stats/report.ts). */
  statistics: StatisticEntry[];
  skipped: string | null;
};
export type AgreementDashboard = {
  schema: number;
  projectId: string;
  version: number;
  computedAt: string;
  stamp: string;
  cached: boolean;
  cases: number;
  byState: { state: string; n: number }[];
  byTruth: { state: string; n: number }[];
  readers: { id: string; name: string; reads: number; cannotAssess: number; medianSeconds: number | null }[];
  fields: FieldAgreement[];
  /** The arm these figures are restricted to (a reader study), null: every unit of the version. */
  arm: ArmRef | null;
  /** The study's arms (empty when the project is not a reader study). */
  arms: ArmRef[];
  /** Intra-reader agreement per reader and form item (reader studies with re-reads; empty otherwise). */
  intra: { item: string; label: string; readers: IntraReader[] }[];
};

type Args = { projectId: string; version?: number; arm?: string | null; db?: Db };

async function resolveVersion(d: Db, projectId: string, version?: number): Promise<{ version: number; def: ProjectDefinition; arms: ArmRef[] } | null> {
  const q = d
    .select()
    .from(projectVersions)
    .where(version ? and(eq(projectVersions.projectId, projectId), eq(projectVersions.version, version)) : eq(projectVersions.projectId, projectId));
  const [v] = await q.orderBy(desc(projectVersions.version)).limit(1);
  if (!v) return null;
  const def = projectDefinitionSchema.parse({
    readerForm: v.readerForm,
    referenceStandard: v.referenceStandard,
    mapping: v.mapping,
    truthPolicy: v.truthPolicy,
    study: v.study ?? undefined,
  });
  return { version: v.version, def, arms: (def.study?.arms ?? []).map((a) => ({ key: a.key, label: a.label, aided: a.aided })) };
}

/** The arm asked for when the version's study has it; anything else means every unit. */
function armOf(arms: ArmRef[], arm?: string | null): ArmRef | null {
  return arms.find((a) => a.key === arm) ?? null;
}

/** SQL condition on a case id: the case is a study unit of the arm. */
function inArm(caseId: unknown, arm: string): SQL {
  return sql`exists (select 1 from ${studyUnits} su where su.case_id = ${caseId} and su.arm = ${arm} and su.kind = 'study')`;
}

/**
 * The project's versions (newest first) for the version picker, with the case count of each
 * version's cached figures (null before they were first computed). Bounded: one row per version,
 * never a count over the cases.
 */
export async function versionsWithCases({ projectId, db }: { projectId: string; db?: Db }): Promise<{ version: number; cases: number | null }[]> {
  const rows = await (db ?? getDb())
    .select({ version: projectVersions.version, cases: sql<number | null>`(${statsCache.payload}->>'cases')::int` })
    .from(projectVersions)
    .leftJoin(statsCache, and(eq(statsCache.projectId, projectVersions.projectId), eq(statsCache.projectVersion, projectVersions.version), eq(statsCache.key, CACHE_KEY)))
    .where(eq(projectVersions.projectId, projectId))
    .orderBy(desc(projectVersions.version));
  return rows.map((r) => ({ version: r.version, cases: r.cases === null ? null : Number(r.cases) }));
}

/**
 * The staleness stamp of a project version's figures: the newest workflow event id anywhere (one
 * index probe, whatever the project size). Every read, decision, reopen or withdrawal is an event,
 * so figures stamped before it are stale; an event in another project also makes them look stale
 * (a needless recompute, never a stale figure shown as current).
 */
export async function dashboardStamp({ db }: { projectId: string; version: number; db?: Db }): Promise<string> {
  const [e] = await (db ?? getDb()).select({ last: max(workflowEvents.id) }).from(workflowEvents);
  return `v${DASHBOARD_SCHEMA}:${e.last ?? 0}`;
}

type RatingRow = { unit: string; caseId: string; patient: string; reader: string; value: string | number | null };

/** The ratings of one reader-form field, as handed to stats/ (one per unit and reader). */
export async function agreementRatings({
  projectId,
  version,
  field,
  def,
  finding,
  arm,
  db,
}: {
  projectId: string;
  version: number;
  field: Field;
  def: ProjectDefinition;
  finding?: string;
  /** A reader study's arm: only that arm's units. */
  arm?: string | null;
  db?: Db;
}): Promise<{ rows: RatingRow[]; outsideScale: number }> {
  const d = db ?? getDb();
  const rs = await d
    .select({ id: reads.id, caseId: reads.caseId, authorId: reads.authorId, values: reads.values, createdAt: reads.createdAt, patient: patients.pseudonym })
    .from(reads)
    .innerJoin(cases, eq(cases.id, reads.caseId))
    .innerJoin(patients, eq(patients.id, cases.patientId))
    .where(
      and(
        eq(cases.projectId, projectId),
        eq(cases.projectVersion, version),
        isNull(cases.withdrawnAt),
        eq(reads.source, 'reader'),
        countsInStatistics(cases.id),
        arm ? inArm(cases.id, arm) : undefined,
        sql`not exists (select 1 from ${reads} r2 where r2.supersedes_id = ${reads.id})`,
      ),
    )
    .orderBy(asc(reads.createdAt), asc(reads.id));
  // Latest read per (case, reader): a reopened case's new round replaces the old one.
  const latest = new Map<string, (typeof rs)[number]>();
  for (const r of rs) latest.set(`${r.caseId}\u0000${r.authorId}`, r);
  const units = field.scope === 'finding' ? def.readerForm.findings.map((f) => f.key).filter((k) => !finding || k === finding) : [null];
  const rows: RatingRow[] = [];
  let outsideScale = 0;
  const outside = new Set(field.kind === 'ordinal' ? field.outsideScale.map((o) => o.value) : []);
  for (const r of latest.values()) {
    const values = r.values as Record<string, unknown> | null;
    for (const fk of units) {
      const item = fk ? `${fk}/${field.key}` : field.key;
      let v: string | number | null = null;
      const a = values?.[item];
      if (a !== undefined && a !== null) {
        if (field.kind === 'binary') v = a === true ? field.trueLabel : a === false ? field.falseLabel : null;
        else if (field.kind === 'numeric') v = typeof a === 'number' ? a : null;
        else if (typeof a === 'string') {
          if (outside.has(a)) {
            outsideScale++;
            v = null;
          } else v = a;
        }
      }
      rows.push({ unit: fk ? `${r.caseId}/${fk}` : r.caseId, caseId: r.caseId, patient: r.patient, reader: r.authorId!, value: v });
    }
  }
  return { rows, outsideScale };
}

const est = (e: StatisticEntry | undefined): Estimate => ({ value: e?.value ?? null, lower: e?.ci?.lower ?? null, upper: e?.ci?.upper ?? null, n: e?.n?.cases ?? null });

function headlineOf(stats: StatisticEntry[], level: Level, readers: number): Headline[] {
  const alphaMetric = level === 'nominal' ? 'nominal' : level;
  const pick: [string, (p: Record<string, unknown>) => boolean, string][] = [
    ['percent_agreement', (p) => p.variant === 'pairwise', 'Percent agreement (pairwise)'],
    ...(readers === 2
      ? ([['cohen_kappa', (p: Record<string, unknown>) => p.against === undefined, "Cohen's κ"]] as [string, (p: Record<string, unknown>) => boolean, string][])
      : []),
    ...(readers === 2 && level !== 'nominal'
      ? ([['weighted_kappa', (p: Record<string, unknown>) => p.weights === 'quadratic' && p.against === undefined, 'Weighted κ (quadratic)']] as [
          string,
          (p: Record<string, unknown>) => boolean,
          string,
        ][])
      : []),
    ['fleiss_kappa', (p) => p.variant === 'all_available', "Fleiss' κ"],
    ['conger_kappa', () => true, "Conger's κ"],
    ['krippendorff_alpha', (p) => p.metric === alphaMetric, `Krippendorff's α (${alphaMetric})`],
    ['gwet_ac1', () => true, 'Gwet AC1'],
    ['gwet_ac2', (p) => p.weights === 'quadratic', 'Gwet AC2 (quadratic)'],
    ['brennan_prediger', () => true, 'Brennan–Prediger'],
    ['icc', (p) => p.form === 'ICC2', 'ICC(A,1)'],
    ['lin_ccc', () => true, "Lin's CCC (first pair)"],
  ];
  const out: Headline[] = [];
  for (const [id, ok, label] of pick) {
    const e = stats.find((s) => s.id === id && ok(s.parameters as Record<string, unknown>));
    if (!e) continue;
    out.push({ id, label, ...est(e), method: e.method, ciMethod: e.ci?.method ?? null, band: e.interpretation?.label ?? null });
  }
  return out;
}

type Built =
  | { level: Level; categories: string[]; report: Report; nReaders: number; readerIds: string[]; problem: null }
  | { level: Level; categories: string[]; report: null; nReaders: 0; readerIds: []; problem: string };

/** stats/ on one field's ratings: stats I + measurement + accuracy against the other readers' majority. */
function buildReport(rows: RatingRow[], field: Field): Built {
  const level: Level = field.kind === 'numeric' ? 'interval' : field.kind === 'ordinal' ? 'ordinal' : 'nominal';
  const categories =
    field.kind === 'binary' ? [field.falseLabel, field.trueLabel] : field.kind === 'numeric' || field.kind === 'multi_label' ? undefined : field.options.map((o) => o.value);
  const fail = (problem: string): Built => ({ level, categories: categories ?? [], report: null, nReaders: 0, readerIds: [], problem });
  if (field.kind === 'multi_label') return fail('Multi-label answers: agreement per label is not on the dashboard yet.');
  const perUnit = new Map<string, number>();
  for (const r of rows) if (r.value !== null) perUnit.set(r.unit, (perUnit.get(r.unit) ?? 0) + 1);
  if ([...perUnit.values()].filter((n) => n >= 2).length < 2) return fail('Not enough data yet: agreement needs at least two units read by two or more readers.');
  const r = fromColumns(
    rows.map((x) => x.unit),
    rows.map((x) => x.reader),
    rows.map((x) => x.value),
    { level, categories },
  );
  const patientIdx = new Map<string, number>();
  const patientOfUnit = new Map(rows.map((x) => [x.unit, x.patient]));
  const patient = Int32Array.from(
    r.caseIds.map((u) => {
      const p = patientOfUnit.get(u)!;
      if (!patientIdx.has(p)) patientIdx.set(p, patientIdx.size);
      return patientIdx.get(p)!;
    }),
  );
  try {
    const report = extendReport(
      r,
      (x) => categoricalAgreement(x),
      level === 'interval' ? {} : { truthFrom: 'majority', patient, positive: field.kind === 'binary' ? field.trueLabel : null },
    );
    return { level, categories: categories ?? [], report, nReaders: r.nReaders, readerIds: r.readerIds, problem: null };
  } catch (e) {
    return fail(`stats/ could not compute agreement: ${(e as Error).message}`);
  }
}

export class AgreementUnavailable extends Error {
  constructor(
    readonly reason: 'unknown_item' | 'unknown_arm' | 'no_version' | 'not_enough_data' | 'unsupported',
    message: string,
  ) {
    super(message);
    this.name = 'AgreementUnavailable';
  }
}

/**
 * The stats/ JSON document (stats/report.ts) for one reader-form item of a project version
 * (default: the newest version and its first item). `item` is an item key ("left/birads") or a
 * field key ("birads": all findings pooled, one unit per case × finding).
 */
export async function projectAgreement({
  projectId,
  item,
  version,
  arm,
  db,
}: {
  projectId: string;
  item?: string;
  version?: number;
  /** A reader study's arm key: only that arm's units. Unknown keys are refused, not widened. */
  arm?: string;
  db?: Db;
}): Promise<{ item: string; version: number; arm: string | null; report: Report }> {
  const d = db ?? getDb();
  const v = await resolveVersion(d, projectId, version);
  if (!v) throw new AgreementUnavailable('no_version', 'The project has no definition version.');
  if (arm !== undefined && !armOf(v.arms, arm))
    throw new AgreementUnavailable(
      'unknown_arm',
      v.arms.length ? `"${arm}" is not an arm of the study (arms: ${v.arms.map((a) => a.key).join(', ')}).` : 'The project is not a reader study: it has no arms.',
    );
  const items = formItems(v.def.readerForm);
  const key = item ?? items[0]?.key;
  const hit = items.find((i) => i.key === key);
  const field = hit?.field ?? v.def.readerForm.fields.find((f) => f.key === key);
  if (!field || !key) throw new AgreementUnavailable('unknown_item', `"${key}" is not an item of the reader form (items: ${items.map((i) => i.key).join(', ')}).`);
  const { rows } = await agreementRatings({ projectId, version: v.version, field, def: v.def, finding: hit?.finding?.key, arm: arm ?? null, db: d });
  const built = buildReport(rows, field);
  if (!built.report) throw new AgreementUnavailable(field.kind === 'multi_label' ? 'unsupported' : 'not_enough_data', built.problem);
  return { item: key, version: v.version, arm: arm ?? null, report: built.report };
}

async function fieldAgreement(
  d: Db,
  projectId: string,
  version: number,
  def: ProjectDefinition,
  field: Field,
  names: Map<string, string>,
  arm: string | null,
): Promise<FieldAgreement> {
  const base: FieldAgreement = {
    key: field.key,
    label: field.label,
    kind: field.kind,
    scope: field.scope,
    level: null,
    units: 0,
    readers: 0,
    ratings: 0,
    missing: 0,
    categories: [],
    headline: [],
    accuracy: [],
    reference: null,
    positive: null,
    warnings: [],
    statistics: [],
    skipped: null,
  };
  if (field.kind === 'multi_label')
    return { ...base, skipped: 'Multi-label answers: agreement per label is not on the dashboard yet (use `truthline agreement` on exported ratings).' };
  const { rows, outsideScale } = await agreementRatings({ projectId, version, field, def, arm, db: d });
  const built = buildReport(rows, field);
  const level = built.level;
  const present = rows.filter((r) => r.value !== null);
  const res = {
    ...base,
    level,
    categories: built.categories,
    ratings: present.length,
    missing: rows.length - present.length,
    units: new Set(rows.map((r) => r.unit)).size,
    readers: new Set(present.map((r) => r.reader)).size,
  };
  if (outsideScale) res.warnings.push(`${outsideScale} answer(s) outside the ordinal scale (e.g. BI-RADS 0) counted as missing`);
  if (!built.report) return { ...res, skipped: built.problem };
  const { report, nReaders, readerIds } = built;
  res.statistics = report.statistics;
  res.warnings.push(...(report.warnings ?? []));
  res.headline = headlineOf(report.statistics, level, nReaders);
  res.pairs = report.statistics
    .filter((e) => {
      const p = e.parameters as Record<string, unknown>;
      return e.id === 'cohen_kappa' && p.against === undefined && Array.isArray(p.raters) && p.raters.length === 2;
    })
    .map((e) => {
      const [a, b] = (e.parameters as { raters: [string, string] }).raters;
      return { readers: [a, b], names: [names.get(a) ?? a, names.get(b) ?? b], kappa: est(e), band: e.interpretation?.label ?? null };
    });
  if (level !== 'interval') {
    res.reference = 'majority vote of the other readers (leave-one-reader-out), CIs clustered by patient';
    res.positive = field.kind === 'binary' ? field.trueLabel : null;
    for (const reader of readerIds) {
      const mine = report.statistics.filter((s) => (s.parameters as Record<string, unknown>).reader === reader);
      if (!mine.length) continue;
      const overall = mine.find((s) => s.id === 'accuracy' && (s.parameters as Record<string, unknown>).variant === 'overall');
      const binary = field.kind === 'binary';
      res.accuracy.push({
        readerId: reader,
        name: names.get(reader) ?? reader,
        ratings: present.filter((x) => x.reader === reader).length,
        accuracy: est(overall),
        sensitivity: binary ? est(mine.find((s) => s.id === 'sensitivity')) : null,
        specificity: binary ? est(mine.find((s) => s.id === 'specificity')) : null,
        kappa: est(mine.find((s) => s.id === 'cohen_kappa' && (s.parameters as Record<string, unknown>).against === 'reference')),
        weightedKappa: field.kind === 'ordinal' ? est(mine.find((s) => s.id === 'weighted_kappa' && (s.parameters as Record<string, unknown>).against === 'reference')) : null,
      });
    }
  }
  return res;
}

/**
 * Computes the dashboard for one project version (default: the newest), without the cache. `arm`
 * (a reader study's arm key) restricts every figure to that arm's units, intra-reader κ included.
 */
export async function computeAgreement({ projectId, version, arm: armKey, db }: Args): Promise<AgreementDashboard | null> {
  const d = db ?? getDb();
  const v = await resolveVersion(d, projectId, version);
  if (!v) return null;
  const arm = armOf(v.arms, armKey);
  const stamp = await dashboardStamp({ projectId, version: v.version, db: d });
  const scope = and(
    eq(cases.projectId, projectId),
    eq(cases.projectVersion, v.version),
    isNull(cases.withdrawnAt),
    countsInStatistics(cases.id),
    arm ? inArm(cases.id, arm.key) : undefined,
  );
  const [{ n }] = await d.select({ n: count() }).from(cases).where(scope);
  const byState = await d
    .select({ state: caseWorkflows.state, n: count() })
    .from(caseWorkflows)
    .innerJoin(cases, eq(cases.id, caseWorkflows.caseId))
    .where(scope)
    .groupBy(caseWorkflows.state);
  const byTruth = await d
    .select({ state: truthLabels.state, n: count() })
    .from(truthLabels)
    .innerJoin(cases, eq(cases.id, truthLabels.caseId))
    .where(and(scope, isCurrentTruth()))
    .groupBy(truthLabels.state)
    .orderBy(truthLabels.state);
  const readerRows = await d
    .select({
      id: reads.authorId,
      name: users.name,
      email: users.email,
      reads: count(),
      cannotAssess: sql<number>`count(*) filter (where ${reads.values} is null)::int`,
      median: sql<number | null>`percentile_cont(0.5) within group (order by ${reads.timeSpentMs})`,
    })
    .from(reads)
    .innerJoin(cases, eq(cases.id, reads.caseId))
    .innerJoin(users, eq(users.id, reads.authorId))
    .where(and(scope, eq(reads.source, 'reader')))
    .groupBy(reads.authorId, users.name, users.email)
    .orderBy(users.name);
  const names = new Map(readerRows.map((r) => [r.id!, r.name || r.email]));
  const fields: FieldAgreement[] = [];
  for (const f of v.def.readerForm.fields) fields.push(await fieldAgreement(d, projectId, v.version, v.def, f, names, arm?.key ?? null));
  const intra: AgreementDashboard['intra'] = [];
  if (v.def.study && v.def.study.rereadShare > 0) {
    for (const it of formItems(v.def.readerForm)) {
      if (it.field.kind === 'multi_label') continue;
      const byReader = await intraReaderAgreement({ projectId, item: it.key, version: v.version, db: d });
      const readers: IntraReader[] = [];
      for (const [readerId, k] of byReader) {
        const pk = arm ? k.byArm.get(arm.key) : k.all;
        if (pk) readers.push({ readerId, name: names.get(readerId) ?? readerId, n: pk.n, kappa: pk.kappa, agreement: pk.agreement });
      }
      readers.sort((a, b) => a.name.localeCompare(b.name));
      intra.push({ item: it.key, label: it.finding ? `${it.finding.label}: ${it.field.label}` : it.field.label, readers });
    }
  }
  return {
    schema: DASHBOARD_SCHEMA,
    projectId,
    version: v.version,
    computedAt: new Date().toISOString(),
    stamp,
    cached: false,
    cases: n,
    byState: byState.sort((a, b) => a.state.localeCompare(b.state)),
    byTruth: byTruth.map((x) => ({ state: x.state, n: Number(x.n) })),
    readers: readerRows.map((r) => ({
      id: r.id!,
      name: r.name || r.email,
      reads: r.reads,
      cannotAssess: Number(r.cannotAssess),
      medianSeconds: r.median === null ? null : Math.round(Number(r.median) / 100) / 10,
    })),
    fields,
    arm,
    arms: v.arms,
    intra,
  };
}

/**
 * The dashboard from `stats_cache`, recomputed (and stored) when the cache is missing or stale,
 * or when `refresh` is set.
 */
export async function getAgreementDashboard({ projectId, version, arm: armKey, refresh = false, db }: Args & { refresh?: boolean }): Promise<AgreementDashboard | null> {
  const d = db ?? getDb();
  const v = await resolveVersion(d, projectId, version);
  if (!v) return null;
  const key = dashboardCacheKey(armOf(v.arms, armKey)?.key);
  const stamp = await dashboardStamp({ projectId, version: v.version, db: d });
  if (!refresh) {
    const [row] = await d
      .select()
      .from(statsCache)
      .where(and(eq(statsCache.projectId, projectId), eq(statsCache.projectVersion, v.version), eq(statsCache.key, key)));
    const payload = row?.payload as AgreementDashboard | undefined;
    if (payload && payload.stamp === stamp && payload.schema === DASHBOARD_SCHEMA) return { ...payload, cached: true };
  }
  const fresh = await computeAgreement({ projectId, version: v.version, arm: armKey, db: d });
  if (!fresh) return null;
  await d
    .insert(statsCache)
    .values({ projectId, projectVersion: v.version, key, payload: fresh, computedAt: new Date(fresh.computedAt) })
    .onConflictDoUpdate({ target: [statsCache.projectId, statsCache.projectVersion, statsCache.key], set: { payload: fresh, computedAt: new Date(fresh.computedAt) } });
  return fresh;
}

export const REFRESH_JOB = 'agreement.refresh';

export type DashboardPage = {
  dash: AgreementDashboard | null;
  /** The cached figures are older than the newest event (a refresh job is queued or running). */
  stale: boolean;
  /** A background job is computing fresh figures. */
  computing: boolean;
};

/**
 * The dashboard as the page shows it: never computed on request. It reads the cached figures
 * (one row) and the stamp (one index probe); when they are missing or stale it queues one
 * background job (agreement.refresh) that recomputes and stores them, and the page says so.
 */
export async function dashboardForPage({ projectId, version, arm: armKey, db }: Args): Promise<DashboardPage & { version: number | null; arm: ArmRef | null; arms: ArmRef[] }> {
  const d = db ?? getDb();
  const v = await resolveVersion(d, projectId, version);
  if (!v) return { dash: null, stale: false, computing: false, version: null, arm: null, arms: [] };
  const arm = armOf(v.arms, armKey);
  const stamp = await dashboardStamp({ projectId, version: v.version, db: d });
  const [row] = await d
    .select({ payload: statsCache.payload })
    .from(statsCache)
    .where(and(eq(statsCache.projectId, projectId), eq(statsCache.projectVersion, v.version), eq(statsCache.key, dashboardCacheKey(arm?.key))));
  const payload = row?.payload as AgreementDashboard | undefined;
  const usable = payload && payload.schema === DASHBOARD_SCHEMA ? { ...payload, cached: true } : null;
  const stale = !usable || usable.stamp !== stamp;
  let computing = false;
  if (stale) computing = await queueRefresh({ projectId, version: v.version, db: d });
  return { dash: usable, stale: Boolean(usable) && stale, computing, version: v.version, arm, arms: v.arms };
}

/** The keys of the arms of a version's study (empty when it is not a study): the refresh computes each. */
export async function versionArms({ projectId, version, db }: { projectId: string; version: number; db?: Db }): Promise<ArmRef[]> {
  return (await resolveVersion(db ?? getDb(), projectId, version))?.arms ?? [];
}

/** Queues the refresh job unless one is already waiting or running for the project. */
export async function queueRefresh({ projectId, version, db }: { projectId: string; version: number; db?: Db }): Promise<boolean> {
  const d = db ?? getDb();
  const [open] = await d
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.projectId, projectId), eq(jobs.kind, REFRESH_JOB), inArray(jobs.status, ['queued', 'running'])))
    .limit(1);
  if (!open) {
    await enqueueJob({ kind: REFRESH_JOB, projectId, params: { version }, db: d });
    kickJobs();
  }
  return true;
}
