/**
 * The project overview's numbers, from counters kept by triggers (project_case_counts on cases,
 * project_state_counts on case_workflows): a fixed number of rows per request whatever the
 * project's size, never a count or group-by over its cases. The header's case count is the sum
 * of the table's rows, so the two cannot disagree.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { getDb } from '../../db/index.ts';
import { cases, projectCaseCounts, projectMembers, projectStateCounts, reads, users } from '../../db/schema.ts';
import { isWorkflowState, WORKFLOW_STATES, type WorkflowState } from '../../domain/workflow-states.ts';

/** A row of the overview's state table: a workflow state, or cases whose workflow has not started. */
export type OverviewStateRow = { state: WorkflowState | 'notStarted'; n: number };

/**
 * Live (not withdrawn) cases by workflow state in the vocabulary's order, cases without a workflow
 * as `notStarted`, their sum and the withdrawn count. One statement over at most
 * states × 16 shards + 1 counter rows.
 */
export async function getStateCounts({ projectId }: { projectId: string }) {
  const rows = await getDb()
    .select({ state: projectStateCounts.state, n: sql<number>`sum(${projectStateCounts.n})::int` })
    .from(projectStateCounts)
    .where(eq(projectStateCounts.projectId, projectId))
    .groupBy(projectStateCounts.state)
    .unionAll(getDb().select({ state: sql<string>`'*'`, n: projectCaseCounts.cases }).from(projectCaseCounts).where(eq(projectCaseCounts.projectId, projectId)));
  const byState = new Map<string, number>();
  let cases = 0;
  for (const r of rows) {
    if (r.state === '*') cases = Number(r.n);
    else byState.set(r.state, Number(r.n));
  }
  const withdrawn = byState.get('withdrawn') ?? 0;
  const states: OverviewStateRow[] = [];
  for (const state of WORKFLOW_STATES) {
    const n = byState.get(state) ?? 0;
    if (state !== 'withdrawn' && n !== 0) states.push({ state, n });
  }
  // A state no machine declares any more still counts (an old machine version's state).
  for (const [state, n] of byState) if (!isWorkflowState(state) && n !== 0) states.push({ state: state as WorkflowState, n });
  const started = states.reduce((s, r) => s + r.n, 0);
  // Every case is started in its import's transaction; a case without a workflow row still counts.
  if (cases > started) states.push({ state: 'notStarted', n: cases - started });
  return { total: states.reduce((s, r) => s + r.n, 0), byState: states, withdrawn };
}

/** Counts for the overview. Readers get only their own numbers (blinding). */
export async function getProjectOverview({ projectId, userId, isLead }: { projectId: string; userId: string; isLead: boolean }) {
  const db = getDb();
  const [counts, [{ mine }]] = await Promise.all([
    getStateCounts({ projectId }),
    // Bounded by the reader's own reads (reads_author_idx), the same count as their queue page's.
    db
      .select({ mine: sql<number>`count(distinct ${reads.caseId})::int` })
      .from(reads)
      .innerJoin(cases, eq(cases.id, reads.caseId))
      .where(and(eq(cases.projectId, projectId), eq(reads.authorId, userId), eq(reads.source, 'reader'), isNull(cases.withdrawnAt))),
  ]);
  const members = isLead
    ? await db
        .select({ name: users.name, email: users.email, role: projectMembers.role })
        .from(projectMembers)
        .innerJoin(users, eq(users.id, projectMembers.userId))
        .where(eq(projectMembers.projectId, projectId))
        .orderBy(users.email)
    : [];
  return {
    total: counts.total,
    mine,
    byState: isLead ? counts.byState : [],
    withdrawn: isLead ? counts.withdrawn : 0,
    members,
  };
}
