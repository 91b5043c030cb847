/**
 * Diagnostic accuracy of the readers against the evidence-based reference standard, for the lead
 * dashboard and the API: per-reader ROC/AUC (DeLong CI), sensitivity, specificity, accuracy and κ
 * at the scale's decision threshold (verified reference by default, with the sensitivity analysis
 * "unverified as negative"), the reader-averaged ROC curve, an Obuchowski–Rockette analysis of the
 * units every reader rated (one arm: the product has no study arms yet), and STARD 2015 flow
 * counts. Cached in `stats_cache` (key "accuracy") under the agreement dashboard's stamp.
 *
 * Panel-reference projects are scored leave-one-reader-out on the agreement dashboard; here they
 * get a note, since their reference is built from the readers.
 */
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { caseWorkflows, cases, findings, projectVersions, statsCache, truthLabels, users } from '../../db/schema.ts';
import { projectDefinitionSchema, type Field, type ProjectDefinition } from '../../workflows/definition.ts';
import { accuracyVsReference, type AccuracyVsReference, type ReaderRating, type UnitReference } from '../../stats/roc/reader-accuracy.ts';
import { buildStudy, mrmc, type MrmcDocument, type StudyRow } from '../../stats/mrmc/index.ts';
import { agreementRatings, dashboardStamp } from './agreement.server.ts';
import { countsInStatistics } from './study.server.ts';

export const ACCURACY_CACHE_KEY = 'accuracy';
const ACCURACY_SCHEMA = 3;

export type StardCounts = {
  eligible: number;
  withdrawn: number;
  excludedByReview: number;
  analysed: number;
  /** Units (case, or case × finding) in the analysis. */
  units: number;
  indexTest: { reader: string; units: number; cannotAssess: number }[];
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
  if (f.kind === 'binary') return { rank: (v) => (v === f.trueLabel ? 1 : v === f.falseLabel ? 0 : null), scale: [f.falseLabel, f.trueLabel], threshold: 1 };
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
  const def = projectDefinitionSchema.parse({ readerForm: v.readerForm, referenceStandard: v.referenceStandard, mapping: v.mapping, truthPolicy: v.truthPolicy });
  const stamp = await dashboardStamp({ projectId, version, db: d });
  const inVersion = and(eq(cases.projectId, projectId), eq(cases.projectVersion, version), countsInStatistics(cases.id));

  const [counts] = await d
    .select({
      eligible: sql<number>`count(*)::int`,
      withdrawn: sql<number>`count(*) filter (where ${cases.withdrawnAt} is not null)::int`,
      excluded: sql<number>`count(*) filter (where ${cases.withdrawnAt} is null and ${caseWorkflows.state} = 'excluded')::int`,
    })
    .from(cases)
    .leftJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id))
    .where(inVersion);

  // Truth labels of the version: per unit, the newest label that carries the reference outcome
  // (labels holding only the readers' consensus answers are not the evidence reference).
  const outcomeKey = def.referenceStandard.outcome.key;
  const labelRows = await d
    .select({ caseId: truthLabels.caseId, finding: findings.key, state: truthLabels.state, value: truthLabels.value, version: truthLabels.version })
    .from(truthLabels)
    .innerJoin(cases, eq(cases.id, truthLabels.caseId))
    .leftJoin(findings, eq(findings.id, truthLabels.findingId))
    .where(and(inVersion, isNull(cases.withdrawnAt)));
  const unitOf = (caseId: string, finding: string | null) => (finding ? `${caseId}/${finding}` : caseId);
  const latest = new Map<string, (typeof labelRows)[number]>();
  for (const t of labelRows) {
    const value = t.value as Record<string, unknown> | null;
    if (!value || !(outcomeKey in value)) continue;
    const u = unitOf(t.caseId, t.finding);
    const cur = latest.get(u);
    if (!cur || cur.version < t.version) latest.set(u, t);
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
  if (!field) {
    return {
      ...base,
      reference: def.referenceStandard.source,
      note: 'No ordinal or binary reader-form field on the reference standard’s level: nothing to score.',
      field: null,
      verified: null,
      unverifiedNegative: null,
      mrmc: null,
      mrmcNote: '',
      stard: { ...stardBase, units: 0, indexTest: [] },
    };
  }
  const { rank, scale, threshold } = scaleOf(def, field);
  const { rows } = await agreementRatings({ projectId, version, field, def, db: d });
  const ids = [...new Set(rows.map((r) => r.reader))];
  const names = new Map(
    ids.length ? (await d.select({ id: users.id, name: users.name, email: users.email }).from(users).where(inArray(users.id, ids))).map((u) => [u.id, u.name || u.email]) : [],
  );
  const ratings: ReaderRating[] = [];
  const perReader = new Map<string, { units: number; cannotAssess: number }>();
  for (const r of rows) {
    const name = names.get(r.reader) ?? r.reader;
    const s = perReader.get(name) ?? { units: 0, cannotAssess: 0 };
    const k = typeof r.value === 'string' ? rank(r.value) : null;
    if (k === null) s.cannotAssess++;
    else {
      s.units++;
      ratings.push({ reader: name, unit: r.unit, rank: k });
    }
    perReader.set(name, s);
  }
  const readUnits = new Set(rows.map((r) => r.unit));
  const units = readUnits.size;
  for (const u of readUnits) if (!latest.has(u)) stardBase.reference.pending++;
  stardBase.inconclusive = refState.discordant + refState.pending;
  const stard: StardCounts = { ...stardBase, units, indexTest: [...perReader].map(([reader, s]) => ({ reader, ...s })).sort((a, b) => a.reader.localeCompare(b.reader)) };
  const fieldInfo = { key: field.key, label: field.label, scale, threshold: scale[threshold - 1] ?? null };

  if (def.referenceStandard.source === 'panel') {
    return {
      ...base,
      reference: 'panel',
      note: 'The reference standard is the reader panel: readers are scored leave-one-reader-out on the agreement figures above (their own read never enters their reference). ROC needs an evidence-based reference.',
      field: fieldInfo,
      verified: null,
      unverifiedNegative: null,
      mrmc: null,
      mrmcNote: '',
      stard,
    };
  }
  const verified = accuracyVsReference(ratings, refs, threshold, 'verified');
  const unverifiedNegative = accuracyVsReference(ratings, refs, threshold, 'unverified_negative');

  // OR on a fully crossed subset: the verified units every chosen reader rated. Readers are
  // dropped one at a time (fewest verified ratings first) until the subset can be analysed.
  const refOf = new Map(refs.map((r) => [r.unit, r]));
  const verifiedRatings = ratings.filter((r) => refOf.get(r.unit)?.state === 'verified' && refOf.get(r.unit)?.positive !== null);
  let chosen = [...new Set(verifiedRatings.map((r) => r.reader))];
  const allReaders = chosen.length;
  let doc: MrmcDocument | null = null;
  let complete = 0;
  let problem = '';
  while (chosen.length >= 2 && !doc) {
    const byUnit = new Map<string, ReaderRating[]>();
    for (const r of verifiedRatings) if (chosen.includes(r.reader)) byUnit.set(r.unit, [...(byUnit.get(r.unit) ?? []), r]);
    const studyRows: StudyRow[] = [];
    complete = 0;
    for (const [unit, rs] of byUnit) {
      if (rs.length !== chosen.length) continue;
      complete++;
      for (const r of rs) studyRows.push({ line: 0, caseId: unit, truth: refOf.get(unit)!.positive ? 1 : 0, arm: 'as read', readerId: r.reader, rating: r.rank });
    }
    try {
      doc = mrmc(buildStudy(studyRows));
    } catch (e) {
      problem = (e as Error).message;
      const n = new Map(chosen.map((c) => [c, 0]));
      for (const r of verifiedRatings) if (n.has(r.reader)) n.set(r.reader, n.get(r.reader)! + 1);
      chosen = chosen.filter((c) => c !== [...n].sort((a, b) => a[1] - b[1])[0][0]);
    }
  }
  const mrmcNote = doc
    ? `One arm ("as read"): the project has no study arms. Obuchowski–Rockette (jackknife, Hillis df) on the ${complete} verified units that ${chosen.length === allReaders ? `all ${allReaders} readers` : `${chosen.length} of the ${allReaders} readers (${chosen.join(', ')})`} rated — the fully crossed part of the reads.`
    : `One arm ("as read"): not enough fully crossed verified reads yet for an MRMC analysis${problem ? ` (${problem})` : ''}.`;
  return { ...base, reference: 'evidence', note: null, field: fieldInfo, verified, unverifiedNegative, mrmc: doc, mrmcNote, stard };
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
