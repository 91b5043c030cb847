/**
 * The lead's case list and case header: filters (workflow state, truth state, split, disputed,
 * discordant, excluded, withdrawn) and pagination, on cases ⋈ case_workflows ⋈ current truth.
 */
import { and, asc, count, desc, eq, ilike, isNotNull, isNull, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { caseWorkflows, cases, patients, projectCaseCounts, reviews, truthLabels } from '../../db/schema.ts';

import { WORKFLOW_STATES } from '../forms/lead.ts';
import { isCurrentTruth } from './truth.server.ts';
import { isUuid, SPLITS, TRUTH_STATES } from '../../domain/vocabulary.ts';
export const PAGE_SIZE = 25;

const yes = z.enum(['', 'yes', 'no']).catch('').default('');
/** Query-string filters (bad values are ignored rather than failing the page). */
export const caseFilterSchema = z.object({
  state: z
    .enum(['', ...WORKFLOW_STATES])
    .catch('')
    .default(''),
  truth: z
    .enum(['', ...TRUTH_STATES])
    .catch('')
    .default(''),
  split: z
    .enum(['', ...SPLITS])
    .catch('')
    .default(''),
  disputed: yes,
  discordant: yes,
  excluded: yes,
  withdrawn: yes,
  q: z.string().trim().max(200).catch('').default(''),
  page: z.coerce.number().int().min(1).catch(1).default(1),
});
export type CaseFilters = z.infer<typeof caseFilterSchema>;

export function filtersFromUrl(url: URL): CaseFilters {
  return caseFilterSchema.parse(Object.fromEntries(url.searchParams));
}

/** Any current (highest-version) truth label of the case has this state. */
const t = alias(truthLabels, 't');
function currentTruthIs(state: string): SQL {
  return sql`exists (select 1 from ${truthLabels} t where ${t.caseId} = ${cases.id} and ${t.state} = ${state} and ${isCurrentTruth(t)})`;
}
const disputedSql = sql`(${caseWorkflows.state} = 'adjudication' or (${caseWorkflows.snapshot} #>> '{context,evaluation,agreed}') = 'false')`;
const discordantSql = sql`(${caseWorkflows.state} = 'discordant' or exists (select 1 from ${reviews} r where r.case_id = ${cases.id} and r.kind = 'discordance' and r.closed_at is null) or ${currentTruthIs('discordant')})`;
const excludedSql = sql`(${caseWorkflows.state} = 'excluded' or ${currentTruthIs('excluded')})`;

function conditions(projectId: string, f: CaseFilters): SQL[] {
  const c: SQL[] = [eq(cases.projectId, projectId)];
  if (f.withdrawn === 'yes') c.push(isNotNull(cases.withdrawnAt));
  else c.push(isNull(cases.withdrawnAt));
  if (f.state) c.push(eq(caseWorkflows.state, f.state));
  if (f.truth) c.push(currentTruthIs(f.truth));
  if (f.split) c.push(eq(patients.split, f.split));
  const flag = (v: string, s: SQL) => {
    if (v === 'yes') c.push(s);
    if (v === 'no') c.push(sql`not ${s}`);
  };
  flag(f.disputed, disputedSql);
  flag(f.discordant, discordantSql);
  flag(f.excluded, excludedSql);
  if (f.q) c.push(or(ilike(cases.externalId, `%${f.q.replace(/[%_\\]/g, '\\$&')}%`), ilike(patients.pseudonym, `%${f.q.replace(/[%_\\]/g, '\\$&')}%`))!);
  return c;
}

export type CaseListRow = {
  id: string;
  externalId: string | null;
  patient: string;
  split: string;
  studyDate: string;
  modality: string;
  projectVersion: number;
  state: string;
  truthStates: string[];
  disputed: boolean;
  withdrawn: boolean;
  updatedAt: string | null;
};

/** A filtered count stops here: past it the list says "more than" (a count never walks a whole large project). */
export const COUNT_CAP = 10_000;

/**
 * How many cases the list holds: the project's counter when only the withdrawn filter is set
 * (kept by triggers on cases), else a count that stops after COUNT_CAP rows.
 */
async function countCases(d: Db, projectId: string, f: CaseFilters, where: SQL | undefined): Promise<{ total: number; totalCapped: boolean }> {
  const unfiltered = !f.state && !f.truth && !f.split && !f.disputed && !f.discordant && !f.excluded && !f.q;
  if (unfiltered) {
    const [c] = await d.select().from(projectCaseCounts).where(eq(projectCaseCounts.projectId, projectId));
    return { total: (f.withdrawn === 'yes' ? c?.withdrawn : c?.cases) ?? 0, totalCapped: false };
  }
  const bounded = d
    .select({ one: sql`1` })
    .from(cases)
    .innerJoin(patients, eq(patients.id, cases.patientId))
    .leftJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id))
    .where(where)
    .limit(COUNT_CAP + 1)
    .as('bounded');
  const [{ n }] = await d.select({ n: count() }).from(bounded);
  return { total: Math.min(n, COUNT_CAP), totalCapped: n > COUNT_CAP };
}

/** One page of the project's cases with the given filters, newest study first. */
export async function listCases({ projectId, filters, pageSize = PAGE_SIZE, db }: { projectId: string; filters: CaseFilters; pageSize?: number; db?: Db }) {
  const d = db ?? getDb();
  const where = and(...conditions(projectId, filters));
  const { total, totalCapped } = await countCases(d, projectId, filters, where);
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const page = Math.min(filters.page, pages);
  const rows = await d
    .select({
      id: cases.id,
      externalId: cases.externalId,
      patient: patients.pseudonym,
      split: patients.split,
      studyDate: cases.studyDate,
      modality: cases.modality,
      projectVersion: cases.projectVersion,
      state: caseWorkflows.state,
      disputed: sql<boolean>`coalesce(${disputedSql}, false)`,
      withdrawnAt: cases.withdrawnAt,
      updatedAt: caseWorkflows.updatedAt,
      truthStates: sql<string[] | null>`(select array_agg(distinct ${t.state}::text) from ${truthLabels} t where ${t.caseId} = ${cases.id} and ${isCurrentTruth(t)})`,
    })
    .from(cases)
    .innerJoin(patients, eq(patients.id, cases.patientId))
    .leftJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id))
    .where(where)
    .orderBy(desc(cases.studyDate), asc(cases.externalId), asc(cases.id))
    .limit(pageSize)
    .offset((page - 1) * pageSize);
  const out: CaseListRow[] = rows.map((r) => ({
    id: r.id,
    externalId: r.externalId,
    patient: r.patient,
    split: r.split,
    studyDate: r.studyDate,
    modality: r.modality,
    projectVersion: r.projectVersion,
    state: r.state ?? 'none',
    truthStates: r.truthStates ?? [],
    disputed: Boolean(r.disputed),
    withdrawn: r.withdrawnAt !== null,
    updatedAt: r.updatedAt ? r.updatedAt.toISOString() : null,
  }));
  return { rows: out, total, totalCapped, page, pages, pageSize };
}

/** A case of this project (null when it is not one, or the id is malformed). Pages and the API share it. */
export async function getCase({ projectId, caseId, db }: { projectId: string; caseId: string | undefined; db?: Db }) {
  if (!isUuid(caseId)) return null;
  const d = db ?? getDb();
  const [row] = await d
    .select({
      c: cases,
      patient: patients.pseudonym,
      split: patients.split,
      state: caseWorkflows.state,
      eventCount: caseWorkflows.eventCount,
      headHash: caseWorkflows.headHash,
      machineVersion: caseWorkflows.machineVersion,
      // The project's blinding as this case's workflow pinned it (null before the case starts).
      maskIdentities: sql<string | null>`${caseWorkflows.snapshot} #>> '{context,truthPolicy,blinding,maskReaderIdentities}'`,
    })
    .from(cases)
    .innerJoin(patients, eq(patients.id, cases.patientId))
    .leftJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id))
    .where(and(eq(cases.id, caseId), eq(cases.projectId, projectId)));
  return row ? { ...row, maskIdentities: row.maskIdentities !== 'false' } : null;
}
