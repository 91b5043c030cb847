/**
 * The per-case hash chain (DESIGN.md "Hash chain"): each event's hash is SHA-256 of the RFC 8785
 * canonical JSON of (case, seq, type, payload, actor, time as an ISO string made by the app,
 * previous hash). The first event's previous hash is GENESIS_HASH.
 */
import { canonicalJson, sha256Hex } from './canonical-json.ts';

export const GENESIS_HASH = '0'.repeat(64);

export type ChainedEvent = {
  caseId: string;
  seq: number;
  type: string;
  payload: unknown;
  actorId: string | null;
  occurredAt: string;
  prevHash: string;
};

export function eventHash(e: ChainedEvent): string {
  return sha256Hex(
    canonicalJson({
      case: e.caseId,
      seq: e.seq,
      type: e.type,
      payload: e.payload,
      actor: e.actorId,
      time: e.occurredAt,
      prev: e.prevHash,
    }),
  );
}

export type ChainProblem = { seq: number; problem: string };

/** Checks seqs 1..n, each prev hash and each hash; `events` must be ordered by seq. */
export function checkChain(events: (ChainedEvent & { hash: string })[]): ChainProblem[] {
  const out: ChainProblem[] = [];
  let prev = GENESIS_HASH;
  events.forEach((e, i) => {
    if (e.seq !== i + 1) out.push({ seq: e.seq, problem: `expected seq ${i + 1}, found ${e.seq}` });
    if (e.prevHash !== prev) out.push({ seq: e.seq, problem: 'previous hash does not match the event before it' });
    if (eventHash(e) !== e.hash) out.push({ seq: e.seq, problem: 'hash does not match the event content' });
    prev = e.hash;
  });
  return out;
}
