/**
 * Records checked evidence rows (CSV or FHIR) as `evidence.record` events in short chunks
 * (docs/decisions/evidence-0001-chunked-recording.md). Each event is the runtime's own
 * transaction (a savepoint here) with its audit row and hash; a chunk of them commits together
 * with the job's checkpoint, so after a restart the job resumes at the first row not committed
 * and each row is recorded once. Every row also carries a request id derived from its content,
 * so a row already recorded (an earlier attempt, an earlier import of the same file) comes back
 * as a duplicate rather than a second result.
 *
 * Between chunks the caller's `between` runs (a job's progress: heartbeat, cancel check, a yield
 * to the event loop) — on the embedded database one connection serves every request, and a
 * chunk is kept short in time so they are answered while a 20,000-row import runs.
 */
import { and, eq } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { projectMembers } from '../../db/schema.ts';
import { AppError } from '../../domain/errors.ts';
import type { CaseCommand } from '../../workflows/commands.ts';
import { sendCaseEvent } from '../../workflows/runtime.ts';

export type EvidenceEvent = {
  /** CSV line, or the FHIR file's line of the resource (0 when unknown). */
  line: number;
  /** How the lead names the row in messages: "line 12" or "DiagnosticReport/r1". */
  label: string;
  caseId: string;
  requestId: string;
  event: Extract<CaseCommand, { type: 'evidence.record' }>;
};

/** Where recording has got to: rows [0, next) are done. Stored as the job's checkpoint. */
export type RecordState = {
  next: number;
  recorded: number;
  duplicates: number;
  /** Rows the case refused at recording time (withdrawn since the check), with why. */
  refused: number;
  refusedRows: { label: string; message: string }[];
};
export const emptyRecordState = (): RecordState => ({ next: 0, recorded: 0, duplicates: 0, refused: 0, refusedRows: [] });
const KEEP_REFUSED = 50;

/** Recording stopped at a row for a reason other than the case refusing it; `state` is what committed. */
export class EvidenceRecordingStopped extends Error {
  constructor(
    readonly state: RecordState,
    readonly row: EvidenceEvent,
    readonly reason: string,
  ) {
    super(`recording stopped at ${row.label}: ${reason}`);
    this.name = 'EvidenceRecordingStopped';
  }
}

/** Null when the actor may record evidence in the project, else why not (checked before any row). */
export async function leadProblem({ projectId, actorId, db }: { projectId: string; actorId: string; db?: Tx }): Promise<string | null> {
  const [m] = await (db ?? getDb())
    .select({ role: projectMembers.role })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, actorId), eq(projectMembers.role, 'lead')));
  return m ? null : 'you are not a lead in this project: only a lead records evidence';
}

export const CHUNK_MS = 50;
export const CHUNK_MAX = 500;

export async function recordEvidenceEvents({
  events,
  actorId,
  ip = null,
  at,
  db,
  from = emptyRecordState(),
  checkpoint,
  between,
  chunkMs = CHUNK_MS,
  chunkMax = CHUNK_MAX,
}: {
  events: readonly EvidenceEvent[];
  actorId: string;
  ip?: string | null;
  at?: Date | string;
  db?: Db;
  /** A restarted job's checkpoint. */
  from?: RecordState;
  /** Runs last inside each chunk's transaction (a job stores the state there). */
  checkpoint?: (tx: Tx, state: RecordState) => Promise<void>;
  /** Runs after each committed chunk, outside any transaction (progress, cancel, yield). */
  between?: (state: RecordState) => Promise<void>;
  /** A chunk commits after this long or this many rows, whichever comes first. */
  chunkMs?: number;
  chunkMax?: number;
}): Promise<RecordState> {
  const d = db ?? getDb();
  let state: RecordState = { ...from, refusedRows: [...from.refusedRows] };
  while (state.next < events.length) {
    const s: RecordState = { ...state, refusedRows: [...state.refusedRows] };
    await d.transaction(async (tx) => {
      const started = performance.now();
      const end = Math.min(events.length, s.next + chunkMax);
      while (s.next < end && (s.next === state.next || performance.now() - started < chunkMs)) {
        const r = events[s.next];
        try {
          const res = await sendCaseEvent({ db: tx as unknown as Db, caseId: r.caseId, actorId, ip, at, clientRequestId: r.requestId, event: r.event });
          if (res.status === 'duplicate') s.duplicates++;
          else s.recorded++;
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          // The same row recorded by another lead: a repeat of the file, not a new result.
          if (e.code === 'conflict') s.duplicates++;
          else if (e.code === 'refused') {
            s.refused++;
            if (s.refusedRows.length < KEEP_REFUSED) s.refusedRows.push({ label: r.label, message: e.message });
          } else throw new EvidenceRecordingStopped(state, r, e.message);
        }
        s.next++;
      }
      await checkpoint?.(tx, s);
    });
    state = s;
    await between?.(state);
  }
  return state;
}
