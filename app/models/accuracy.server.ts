/**
 * Diagnostic accuracy of the readers against the evidence-based reference standard, for the lead
 * dashboard and the API: per-reader ROC/AUC (DeLong CI), sensitivity, specificity, accuracy and κ
 * at the scale's decision threshold (verified reference by default, with the sensitivity analysis
 * "unverified as negative"), the reader-averaged ROC curve, an Obuchowski–Rockette analysis of the
 * units every reader rated, and STARD 2015 flow counts. Cached in `stats_cache` (key "accuracy")
 * under the agreement dashboard's stamp.
 *
 * A reader study (a definition with arms) is analysed per clinical case: its arm copies share the
 * case's source key, the reference of the clinical case is the newest evidence label on any of its
 * copies, readers are scored per arm, and the OR analysis compares the arms (fully crossed, or
 * split-plot when reader groups read their own case blocks). Other projects are one arm, "as read".
 *
 * Panel-reference projects are scored leave-one-reader-out on the agreement dashboard; here they
 * get a note, since their reference is built from the readers.
 */
import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { caseWorkflows, cases, findings, projectVersions, statsCache, studyUnits, truthLabels, users } from '../../db/schema.ts';
import { projectDefinitionSchema, type Field, type ProjectDefinition } from '../../workflows/definition.ts';
import { accuracyVsReference, type AccuracyVsReference, type ReaderRating, type UnitReference } from '../../stats/roc/reader-accuracy.ts';
import { buildStudy, mrmc, type MrmcDocument, type StudyRow } from '../../stats/mrmc/index.ts';
import { agreementRatings, dashboardStamp } from './agreement.server.ts';
import { countsInStatistics } from './study.server.ts';

export const ACCURACY_CACHE_KEY = 'accuracy';
const ACCURACY_SCHEMA = 5;

export type StardCounts = {
  eligible: number;
  withdrawn: number;
  excludedByReview: number;
  analysed: number;
  /** Units (case, or case × finding) in the analysis. */
  units: number;
  /** Per reader (and arm, in a reader study). */
  indexTest: { reader: string; arm?: string; units: number; cannotAssess: number }[];
  reference: { verified: number; unverified: number; lostToFollowUp: number; pending: number; discordant: number; excluded: number };
  inconclusive: number;
};

export type DiagnosticAccuracy = {
  schema: number;
  stamp: string;
  version: number;
  computedAt: string;
  reference: 'evidence' | 'panel';
  note: string | null;
  field: { key: string; label: string; scale: string[]; threshold: string | null } | null;
  outcome: string;
  verified: AccuracyVsReference | null;
  unverifiedNegative: AccuracyVsReference | null;
  /** A reader study: the same figures per arm (verified and unverified-negative), arm order of the definition. */
  arms: { key: string; label: string; aided: boolean; verified: AccuracyVsReference; unverifiedNegative: AccuracyVsReference }[] | null;
  mrmc: MrmcDocument | null;
  mrmcNote: string;
  stard: StardCounts;
};

/** The rating field scored against the reference: the first ordinal or binary field on the reference's level. */
function ratingField(def: ProjectDefinition): Extract<Field, { kind: 'ordinal' | 'binary' }> | null {
  for (const f of def.readerForm.fields) if ((f.kind === 'ordinal' || f.kind === 'binary') && f.scope === def.referenceStandard.level) return f;
  return null;
}

/** Rank on the field's scale (1 = least suspicious) and the decision threshold rank. */
function scaleOf(def: ProjectDefinition, f: Extract<Field, { kind: 'ordinal' | 'binary' }>): { rank: (v: string) => number | null; scale: string[]; threshold: number } {
  if (f.kind === 'binary') return { rank: (v) => (v === f.trueLabel ? 2 : v === f.falseLabel ? 1 : null), scale: [f.falseLabel, f.trueLabel], threshold: 2 };
  const scale = f.options.map((o) => o.value);
  const rule = def.truthPolicy.rules[f.key];
  const split = rule && rule.type === 'ordinal_distance' ? rule.thresholds[0]?.[1] : undefined;
  const t = split !== undefined && scale.includes(split) ? scale.indexOf(split) + 1 : Math.ceil((scale.length + 1) / 2);
  return { rank: (v) => (scale.includes(v) ? scale.indexOf(v) + 1 : null), scale, threshold: t };
}

export async function computeAccuracy({ projectId, version, db }: { projectId: string; version: number; db?: Db }): Promise<DiagnosticAccuracy | null> {
  const d = db ?? getDb();
  const [v] = await d
    .select()
    .from(projectVersions)
    .where(and(eq(projectVersions.projectId, projectId), eq(projectVersions.version, version)));
  if (!v) return null;
  const def = projectDefinitionSchema.parse({
    readerForm: v.readerForm,
    referenceStandard: v.referenceStandard,
    mapping: v.mapping,
    truthPolicy: v.truthPolicy,
    study: v.study ?? undefined,
  });
  const stamp = await dashboardStamp({ projectId, version, db: d });
  const inVersion = and(eq(cases.projectId, projectId), eq(cases.projectVersion, version), countsInStatistics(cases.id));

  // A reader study's arm copies of one clinical case share its source key: that key is the case.
  const design = def.study ?? null;
  const unitRows = design
    ? await d
        .select({ caseId: studyUnits.caseId, sourceKey: studyUnits.sourceKey, arm: studyUnits.arm, block: studyUnits.block })
        .from(studyUnits)
        .where(and(eq(studyUnits.projectId, projectId), eq(studyUnits.kind, 'study')))
    : [];
  const studyUnit = new Map(unitRows.map((u) => [u.caseId, u]));
  const clinical = (caseId: string) => studyUnit.get(caseId)?.sourceKey ?? caseId;
  const armLabel = new Map((design?.arms ?? []).map((a) => [a.key, a.label]));
  const armOf = (caseId: string) => (design ? (armLabel.get(studyUnit.get(caseId)?.arm ?? '') ?? null) : AS_READ);

  const caseRows = await d
    .select({ id: cases.id, withdrawnAt: cases.withdrawnAt, state: caseWorkflows.state })
    .from(cases)
    .leftJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id))
    .where(inVersion);
  const eligible = new Set<string>();
  const withdrawn = new Set<string>();
  const excluded = new Set<string>();
  for (const c of caseRows) {
    const k = clinical(c.id);
    eligible.add(k);
    if (c.withdrawnAt) withdrawn.add(k);
    else if (c.state === 'excluded') excluded.add(k);
  }
  for (const k of withdrawn) excluded.delete(k);
  const counts = { eligible: eligible.size, withdrawn: withdrawn.size, excluded: excluded.size };

  // Truth labels of the version: per unit, the newest label that carries the reference outcome
  // (labels holding only the readers' consensus answers are not the evidence reference).
  const outcomeKey = def.referenceStandard.outcome.key;
  const labelRows = await d
    .select({
      caseId: truthLabels.caseId,
      finding: findings.key,
      state: truthLabels.state,
      value: truthLabels.value,
      version: truthLabels.version,
      createdAt: truthLabels.createdAt,
    })
    .from(truthLabels)
    .innerJoin(cases, eq(cases.id, truthLabels.caseId))
    .leftJoin(findings, eq(findings.id, truthLabels.findingId))
    .where(and(inVersion, isNull(cases.withdrawnAt)));
  const unitOf = (caseId: string, finding: string | null) => (finding ? `${clinical(caseId)}/${finding}` : clinical(caseId));
  const latest = new Map<string, (typeof labelRows)[number]>();
  for (const t of labelRows) {
    const value = t.value as Record<string, unknown> | null;
    if (!value || !(outcomeKey in value)) continue;
    const u = unitOf(t.caseId, t.finding);
    const cur = latest.get(u);
    // Copies of one clinical case carry their own label versions: the newest label wins.
    if (!cur || (cur.caseId === t.caseId ? cur.version < t.version : cur.createdAt < t.createdAt)) latest.set(u, t);
  }
  const refs: UnitReference[] = [...latest].map(([unit, t]) => {
    const o = (t.value as Record<string, unknown>)[outcomeKey];
    return { unit, state: t.state === 'verified' ? 'verified' : t.state === 'unverified' ? 'unverified' : 'other', positive: o === true ? true : o === false ? false : null };
  });
  const refState = { verified: 0, unverified: 0, lostToFollowUp: 0, pending: 0, discordant: 0, excluded: 0 };
  for (const t of latest.values()) {
    const k = t.state === 'lost_to_follow_up' ? 'lostToFollowUp' : t.state;
    refState[k as keyof typeof refState]++;
  }

  const field = ratingField(def);
  const analysed = counts.eligible - counts.withdrawn - counts.excluded;
  const base = {
    schema: ACCURACY_SCHEMA,
    stamp,
    version,
    computedAt: new Date().toISOString(),
    outcome: def.referenceStandard.outcome.label,
  };
  const stardBase = {
    eligible: counts.eligible,
    withdrawn: counts.withdrawn,
    excludedByReview: counts.excluded,
    analysed,
    reference: refState,
    inconclusive: refState.discordant + refState.pending,
  };
  const empty = { verified: null, unverifiedNegative: null, arms: null, mrmc: null, mrmcNote: '' };
  if (!field) {
    return {
      ...base,
      ...empty,
      reference: def.referenceStandard.source,
      note: 'No ordinal or binary reader-form field on the reference standard’s level: nothing to score.',
      field: null,
      stard: { ...stardBase, units: 0, indexTest: [] },
    };
  }
  const { rank, scale, threshold } = scaleOf(def, field);
  const { rows } = await agreementRatings({ projectId, version, field, def, db: d });
  const ids = [...new Set(rows.map((r) => r.reader))];
  const names = new Map(
    ids.length ? (await d.select({ id: users.id, name: users.name, email: users.email }).from(users).where(inArray(users.id, ids))).map((u) => [u.id, u.name || u.email]) : [],
  );
  const ratings: (ReaderRating & { arm: string })[] = [];
  const perReader = new Map<string, { reader: string; arm?: string; units: number; cannotAssess: number }>();
  const readUnits = new Set<string>();
  for (const r of rows) {
    const arm = armOf(r.caseId);
    if (arm === null) continue;
    const name = names.get(r.reader) ?? r.reader;
    const finding = r.unit.length > r.caseId.length ? r.unit.slice(r.caseId.length + 1) : null;
    const unit = unitOf(r.caseId, finding);
    readUnits.add(unit);
    const key = `${name}\u0000${arm}`;
    const s = perReader.get(key) ?? { reader: name, ...(design ? { arm } : {}), units: 0, cannotAssess: 0 };
    const k = typeof r.value === 'string' ? rank(r.value) : null;
    if (k === null) s.cannotAssess++;
    else {
      s.units++;
      ratings.push({ reader: name, unit, rank: k, arm });
    }
    perReader.set(key, s);
  }
  for (const u of readUnits) if (!latest.has(u)) stardBase.reference.pending++;
  stardBase.inconclusive = refState.discordant + refState.pending;
  const armOrder = design ? design.arms.map((a) => a.label) : [AS_READ];
  const stard: StardCounts = {
    ...stardBase,
    units: readUnits.size,
    indexTest: [...perReader.values()].sort((a, b) => a.reader.localeCompare(b.reader) || armOrder.indexOf(a.arm ?? '') - armOrder.indexOf(b.arm ?? '')),
  };
  const fieldInfo = { key: field.key, label: field.label, scale, threshold: scale[threshold - 1] ?? null };

  if (def.referenceStandard.source === 'panel') {
    return {
      ...base,
      ...empty,
      reference: 'panel',
      note: 'The reference standard is the reader panel: readers are scored leave-one-reader-out on the agreement figures above (their own read never enters their reference). ROC and MRMC need an evidence-based reference.',
      field: fieldInfo,
      stard,
    };
  }
  const byArm = design
    ? design.arms.map((a) => {
        const mine = ratings.filter((r) => r.arm === a.label);
        return {
          key: a.key,
          label: a.label,
          aided: a.aided,
          verified: accuracyVsReference(mine, refs, threshold, 'verified'),
          unverifiedNegative: accuracyVsReference(mine, refs, threshold, 'unverified_negative'),
        };
      })
    : null;
  const verified = design ? null : accuracyVsReference(ratings, refs, threshold, 'verified');
  const unverifiedNegative = design ? null : accuracyVsReference(ratings, refs, threshold, 'unverified_negative');
  const { doc, note } = analyseArms({ ratings, refs, arms: armOrder, splitPlot: design?.design === 'split_plot', study: !!design });
  return { ...base, reference: 'evidence', note: null, field: fieldInfo, verified, unverifiedNegative, arms: byArm, mrmc: doc, mrmcNote: note, stard };
}

const AS_READ = 'as read';

/**
 * OR analysis of the verified units, on the largest part of the reads that forms an analysable
 * design: a (reader, unit) counts only when the reader rated the unit in every arm; the design is
 * fully crossed on the units every chosen reader rated, or split-plot when the readers fall into
 * groups with their own units (buildStudy finds the groups). Readers are dropped one at a time
 * (fewest complete verified units first) until the study can be analysed.
 */
function analyseArms({
  ratings,
  refs,
  arms,
  splitPlot,
  study,
}: {
  ratings: (ReaderRating & { arm: string })[];
  refs: UnitReference[];
  arms: string[];
  splitPlot: boolean;
  study: boolean;
}): { doc: MrmcDocument | null; note: string } {
  const refOf = new Map(refs.map((r) => [r.unit, r]));
  const byPair = new Map<string, Map<string, number>>();
  for (const r of ratings) {
    const ref = refOf.get(r.unit);
    if (ref?.state !== 'verified' || ref.positive === null) continue;
    const k = `${r.reader}\u0000${r.unit}`;
    const m = byPair.get(k) ?? new Map<string, number>();
    m.set(r.arm, r.rank);
    byPair.set(k, m);
  }
  const complete = [...byPair].filter(([, m]) => arms.every((a) => m.has(a))).map(([k, m]) => ({ reader: k.split('\u0000')[0], unit: k.split('\u0000')[1], m }));
  let chosen = [...new Set(complete.map((c) => c.reader))];
  const all = chosen.length;
  let problem = '';
  const what = study ? `${arms.length} arms (${arms.join(', ')})` : 'one arm ("as read": the project has no study arms)';
  while (chosen.length >= 2) {
    const mine = complete.filter((c) => chosen.includes(c.reader));
    const readersOf = new Map<string, string[]>();
    for (const c of mine) readersOf.set(c.unit, [...(readersOf.get(c.unit) ?? []), c.reader]);
    // Fully crossed: units every chosen reader rated. Split-plot: every unit a reader rated.
    const keep = new Set([...readersOf].filter(([, rs]) => splitPlot || rs.length === chosen.length).map(([u]) => u));
    const rows: StudyRow[] = [];
    for (const c of mine)
      if (keep.has(c.unit))
        for (const arm of arms) rows.push({ line: 0, caseId: c.unit, truth: refOf.get(c.unit)!.positive ? 1 : 0, arm, readerId: c.reader, rating: c.m.get(arm)! });
    try {
      const doc = mrmc(buildStudy(rows));
      const who = chosen.length === all ? `all ${all} readers` : `${chosen.length} of the ${all} readers (${chosen.join(', ')})`;
      const shape =
        doc.design.crossed === 'fully'
          ? `the ${keep.size} verified units ${who} rated in every arm`
          : `${doc.design.groups.length} reader groups of ${who}, each on its own verified units (${keep.size} in all)`;
      return { doc, note: `${what}: Obuchowski–Rockette (jackknife, Hillis df) on ${shape}.` };
    } catch (e) {
      problem = (e as Error).message;
      const n = new Map(chosen.map((c) => [c, 0]));
      for (const c of mine) n.set(c.reader, n.get(c.reader)! + 1);
      const fewest = [...n].sort((a, b) => a[1] - b[1])[0][0];
      chosen = chosen.filter((c) => c !== fewest);
    }
  }
  return { doc: null, note: `${what}: not enough verified reads in every arm yet for an MRMC analysis${problem ? ` (${problem})` : ''}.` };
}

/** computeAccuracy from the cache when its stamp still matches the project's events. */
export async function getAccuracy({ projectId, version, db }: { projectId: string; version: number; db?: Db }): Promise<DiagnosticAccuracy | null> {
  const d = db ?? getDb();
  const stamp = await dashboardStamp({ projectId, version, db: d });
  const [row] = await d
    .select()
    .from(statsCache)
    .where(and(eq(statsCache.projectId, projectId), eq(statsCache.projectVersion, version), eq(statsCache.key, ACCURACY_CACHE_KEY)));
  const payload = row?.payload as DiagnosticAccuracy | undefined;
  if (payload && payload.stamp === stamp && payload.schema === ACCURACY_SCHEMA) return payload;
  const fresh = await computeAccuracy({ projectId, version, db: d });
  if (!fresh) return null;
  await d
    .insert(statsCache)
    .values({ projectId, projectVersion: version, key: ACCURACY_CACHE_KEY, payload: fresh, computedAt: new Date(fresh.computedAt) })
    .onConflictDoUpdate({ target: [statsCache.projectId, statsCache.projectVersion, statsCache.key], set: { payload: fresh, computedAt: new Date(fresh.computedAt) } });
  return fresh;
}

/** The cached figures only (the agreement refresh job keeps them in step): one row, never computed here. */
export async function cachedAccuracy({ projectId, version, db }: { projectId: string; version: number; db?: Db }): Promise<DiagnosticAccuracy | null> {
  const [row] = await (db ?? getDb())
    .select({ payload: statsCache.payload })
    .from(statsCache)
    .where(and(eq(statsCache.projectId, projectId), eq(statsCache.projectVersion, version), eq(statsCache.key, ACCURACY_CACHE_KEY)));
  const payload = row?.payload as DiagnosticAccuracy | undefined;
  return payload && payload.schema === ACCURACY_SCHEMA ? payload : null;
}
