/**
 * The reader-study next-case query and the reader's study progress
 * (docs/decisions/study-0001-design.md). A reader in a study walks their own recorded plan
 * (study_plan): the first session with a unit left is the current one; it opens when the
 * reader's last read of the previous session plus the washout has passed (and, for study
 * sessions, once the reader qualified on the calibration cases if the design asks it). Within a
 * session, units come in the reader's order, deferred ones after the rest. Every row the query
 * touches is the reader's own plan (bounded by their workload, not the project).
 */
import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { cases, projectMembers, studyPlan, studyUnits } from '../db/schema.ts';
import { studySchema, type StudyDesign } from './definition.ts';
import { readerPlan, type StudyUnit } from './study.ts';

function rowsOf<T>(r: unknown): T[] {
  return ((r as { rows?: T[] }).rows ?? (r as T[])) as T[];
}

/** The reader's plan rows with what they did on each, and per session whether it is closed. */
const planState = (projectId: string, userId: string) => sql`
  mine as (
    select p.seq, p.session, p.case_id, p.kind::text as kind, p.arm, p.washout_days,
      (select max(r.created_at) from reads r where r.case_id = p.case_id and r.author_id = ${userId} and r.source = 'reader') as read_at,
      (select count(*) from study_skips s where s.project_id = p.project_id and s.user_id = p.user_id and s.case_id = p.case_id)::int as skips,
      exists (select 1 from study_skips s where s.project_id = p.project_id and s.user_id = p.user_id and s.case_id = p.case_id and s.outcome = 'excluded') as excluded
    from study_plan p where p.project_id = ${projectId} and p.user_id = ${userId}
  ),
  sessions as (
    select session, bool_and(read_at is not null or excluded) as closed, max(read_at) as last_read, min(washout_days) as washout, min(kind) as kind, min(arm) as arm
    from mine group by session
  ),
  cur as (
    select s.session, s.kind, s.arm, s.washout,
      (select q.last_read from sessions q where q.session = s.session - 1) + make_interval(days => s.washout) as opens_at
    from sessions s where not s.closed order by s.session limit 1
  )`;

export type StudyChoice = { caseId: string; key: bigint };

/**
 * The first unit of the reader's current session they may take now, locked (skipping rows
 * other transactions hold): one statement. `qualified` false keeps study sessions closed.
 */
export async function firstStudyUnit(
  tx: Tx,
  a: { projectId: string; userId: string; now: Date; exclude: string[]; qualified: boolean; othersClaims: (caseId: SQL) => SQL },
): Promise<StudyChoice | null> {
  const rows = rowsOf<{ case_id: string; seq: number }>(
    await tx.execute(sql`
      with ${planState(a.projectId, a.userId)}
      select m.case_id, m.seq
      from cur join mine m on m.session = cur.session
      join case_workflows cw on cw.case_id = m.case_id
      where m.read_at is null and not m.excluded
        and (cur.opens_at is null or cur.opens_at <= ${a.now.toISOString()}::timestamptz)
        and (${a.qualified} or cur.kind = 'calibration')
        and cw.open_read_slots > 0
        and (select true from round_participants rp where rp.user_id = ${a.userId} and rp.case_id = cw.case_id limit 1) is null
        ${
          a.exclude.length
            ? sql`and cw.case_id not in (${sql.join(
                a.exclude.map((id) => sql`${id}::uuid`),
                sql`, `,
              )})`
            : sql``
        }
        and cw.open_read_slots > ${a.othersClaims(sql`cw.case_id`)}
      order by m.skips, m.seq
      limit 1
      for update of cw skip locked`),
  );
  const r = rows[0];
  return r ? { caseId: r.case_id, key: BigInt(r.seq) } : null;
}

export type StudyProgress = {
  /** Units in the reader's plan (excluded ones left out) and how many they have read. */
  total: number;
  done: number;
  session: { index: number; count: number; kind: string; arm: string | null } | null;
  /** When the current session opens, if it has not yet. */
  opensAt: string | null;
};

/** The reader's own workload: "case n of N", their session, and when the next one opens. */
export async function studyProgress(tx: Tx, a: { projectId: string; userId: string; now: Date }): Promise<StudyProgress> {
  const rows = rowsOf<{ total: number; done: number; sessions: number; session: number | null; kind: string | null; arm: string | null; opens_at: string | Date | null }>(
    await tx.execute(sql`
      with ${planState(a.projectId, a.userId)}
      select (select count(*) from mine where not excluded or read_at is not null)::int as total,
        (select count(*) from mine where read_at is not null)::int as done,
        (select count(*) from sessions)::int as sessions,
        cur.session, cur.kind, cur.arm, cur.opens_at
      from (select 1) one left join cur on true`),
  );
  const r = rows[0];
  const opensAt = r?.opens_at ? new Date(r.opens_at) : null;
  return {
    total: Number(r?.total ?? 0),
    done: Number(r?.done ?? 0),
    session: r && r.session !== null ? { index: Number(r.session), count: Number(r.sessions), kind: String(r.kind), arm: r.arm } : null,
    opensAt: opensAt && opensAt > a.now ? opensAt.toISOString() : null,
  };
}

/** The project's study design (latest version), or null when it is not a study. */
export async function studyDesignOf(tx: Tx, projectId: string): Promise<StudyDesign | null> {
  const rows = rowsOf<{ study: unknown }>(await tx.execute(sql`select study from project_versions where project_id = ${projectId} order by version desc limit 1`));
  const raw = rows[0]?.study;
  if (raw === null || raw === undefined) return null;
  return studySchema.parse(raw);
}

/**
 * Records the reader's plan the first time they ask (idempotent; under the reader's queue lock).
 * Their place among readers is the order they joined the project.
 */
export async function ensureReaderPlan(tx: Tx, a: { projectId: string; userId: string; design: StudyDesign }): Promise<number> {
  const [have] = rowsOf<{ n: number }>(await tx.execute(sql`select count(*)::int as n from study_plan where project_id = ${a.projectId} and user_id = ${a.userId}`));
  if (Number(have?.n) > 0) return Number(have.n);
  const readers = await tx
    .select({ userId: projectMembers.userId })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, a.projectId), eq(projectMembers.role, 'reader')))
    .orderBy(asc(projectMembers.createdAt), asc(projectMembers.userId));
  const readerIndex = Math.max(
    0,
    readers.findIndex((r) => r.userId === a.userId),
  );
  const unitRows = await tx
    .select({ caseId: studyUnits.caseId, sourceKey: studyUnits.sourceKey, kind: studyUnits.kind, arm: studyUnits.arm, block: studyUnits.block })
    .from(studyUnits)
    .innerJoin(cases, eq(cases.id, studyUnits.caseId))
    .where(and(eq(studyUnits.projectId, a.projectId), sql`${cases.withdrawnAt} is null`))
    .orderBy(asc(cases.createdAt), asc(cases.id));
  const units: StudyUnit[] = unitRows.map((u, i) => ({ ...u, importOrder: i }));
  const plan = readerPlan({ projectId: a.projectId, userId: a.userId, readerIndex, design: a.design, units });
  for (let i = 0; i < plan.length; i += 500) await tx.insert(studyPlan).values(plan.slice(i, i + 500).map((p) => ({ projectId: a.projectId, userId: a.userId, ...p })));
  return plan.length;
}
