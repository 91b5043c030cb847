/**
 * The queue columns of a case_workflows row and who took part in its current round, derived
 * from a snapshot. The runtime writes them in the same transaction as each event; `verify`
 * recomputes them; the reader queue and the adjudication queue read only these, so choosing a
 * case is an index scan that never reads candidates' snapshots.
 */
import { createHash } from 'node:crypto';
import { activeVotes, countedReads, neededReads, panelSize, readersOfRound, type CaseContext } from './machine.ts';

export type QueueColumns = { openReadSlots: number; openVoteSlots: number; voteBatch: number; stateSince: string };
export type Participant = { userId: string; role: 'reader' | 'adjudicator'; voteBatch: number | null };

export function queueColumns(state: string, ctx: CaseContext): QueueColumns {
  return {
    openReadSlots: state === 'awaitingReads' ? Math.max(0, neededReads(ctx) - countedReads(ctx).length) : 0,
    openVoteSlots: state === 'adjudication' ? Math.max(0, panelSize(ctx) - activeVotes(ctx).length) : 0,
    voteBatch: ctx.voteBatch ?? 0,
    stateSince: ctx.since ?? '',
  };
}

/** Readers and adjudicators of the current round (adjudicators with the latest batch they voted in). */
export function roundParticipantsOf(ctx: CaseContext): Participant[] {
  const out: Participant[] = [...readersOfRound(ctx)].map((userId) => ({ userId, role: 'reader' as const, voteBatch: null }));
  const batches = new Map<string, number>();
  for (const v of ctx.votes ?? []) if (v.round === ctx.round) batches.set(v.adjudicatorId, Math.max(batches.get(v.adjudicatorId) ?? -1, v.batch));
  for (const [userId, voteBatch] of batches) out.push({ userId, role: 'adjudicator', voteBatch });
  return out.sort((a, b) => a.role.localeCompare(b.role) || a.userId.localeCompare(b.userId));
}

/**
 * A signed 64-bit key from md5 of the parts: the seeded order. The same formula in SQL is
 * `('x' || substr(md5(a || ':' || b), 1, 16))::bit(64)::bigint` (used by the backfill).
 */
export function orderKey(...parts: string[]): bigint {
  return BigInt.asIntN(64, BigInt(`0x${createHash('md5').update(parts.join(':')).digest('hex').slice(0, 16)}`));
}

/** The case's place in its project's random order: seeded by the project. */
export const caseOrderKey = (projectId: string, caseId: string) => orderKey(projectId, caseId);
/** Where a reader starts in the project's random order: seeded by project and reader. */
export const readerStartKey = (projectId: string, userId: string) => orderKey(projectId, userId);
