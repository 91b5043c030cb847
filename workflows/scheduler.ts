/**
 * The scheduler (DESIGN.md "Architecture"): a poller over stored due times in `scheduled_events`.
 * Due rows are taken `FOR UPDATE SKIP LOCKED`, so several pollers (several server instances) share
 * the work and each row fires once; the rows live in the database, so a window that closed while
 * the server was down fires at the next start. Works on PGlite and PostgreSQL alike.
 *
 * Each row's event goes through the runtime (`sendSystemEvent`) inside the poller's transaction
 * (a savepoint), with the poller's time inside the event, and the row is marked fired in the same
 * transaction. A refusal (the case no longer accepts it — already closed, withdrawn) cancels the
 * row with the reason; any other failure is recorded (attempts, last error) and retried on later
 * polls until `maxAttempts`, then the row is `failed`.
 */
import { and, asc, eq, lte } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { getDb } from '../db/index.ts';
import { scheduledEvents } from '../db/schema.ts';
import { EventRefused } from '../domain/errors.ts';
import { SYSTEM_EVENT_TYPES, type SystemCommand } from './commands.ts';
import { sendSystemEvent } from './runtime.ts';

export type FireReport = { fired: number; cancelled: number; failed: number; retrying: number; ids: string[] };

export { SYSTEM_EVENT_TYPES };

export async function fireDueScheduledEvents({
  at = new Date(),
  limit = 25,
  db,
  maxAttempts = 5,
}: {
  at?: Date | string;
  limit?: number;
  db?: Db;
  maxAttempts?: number;
} = {}): Promise<FireReport> {
  const d = db ?? getDb();
  const now = new Date(at);
  const report: FireReport = { fired: 0, cancelled: 0, failed: 0, retrying: 0, ids: [] };
  await d.transaction(async (tx) => {
    const due = await tx
      .select()
      .from(scheduledEvents)
      .where(and(eq(scheduledEvents.status, 'pending'), lte(scheduledEvents.dueAt, now)))
      .orderBy(asc(scheduledEvents.dueAt), asc(scheduledEvents.id))
      .limit(limit)
      .for('update', { skipLocked: true });
    for (const row of due) {
      const attempts = row.attempts + 1;
      try {
        if (!(SYSTEM_EVENT_TYPES as readonly string[]).includes(row.eventType)) throw new EventRefused('unknown', `unknown scheduled event type ${row.eventType}`);
        await sendSystemEvent({ db: tx, caseId: row.caseId, event: { type: row.eventType as SystemCommand['type'] }, clientRequestId: `scheduled:${row.id}`, at: now });
        await tx.update(scheduledEvents).set({ status: 'fired', attempts, firedAt: now, lastError: null }).where(eq(scheduledEvents.id, row.id));
        report.fired++;
        report.ids.push(row.id);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (e instanceof EventRefused) {
          await tx
            .update(scheduledEvents)
            .set({ status: 'cancelled', attempts, lastError: `refused: ${message}` })
            .where(eq(scheduledEvents.id, row.id));
          report.cancelled++;
        } else {
          const give = attempts >= maxAttempts;
          await tx
            .update(scheduledEvents)
            .set({ status: give ? 'failed' : 'pending', attempts, lastError: message.slice(0, 2000) })
            .where(eq(scheduledEvents.id, row.id));
          if (give) report.failed++;
          else report.retrying++;
        }
      }
    }
  });
  return report;
}

export type Scheduler = { stop(): Promise<void>; tick(): Promise<void> };

/** Polls every `intervalMs` (first poll at once); `stop()` waits for a poll in progress. */
export function startScheduler({
  intervalMs = 30_000,
  db,
  limit,
  onError = (e) => process.stderr.write(`truthline scheduler: ${e instanceof Error ? e.message : String(e)}\n`),
}: {
  intervalMs?: number;
  db?: Db;
  limit?: number;
  onError?: (e: unknown) => void;
} = {}): Scheduler {
  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const tick = async () => {
    if (stopped || running) return running ?? undefined;
    running = (async () => {
      try {
        // Drain: keep firing while full batches come back.
        for (let i = 0; i < 100 && !stopped; i++) {
          const r = await fireDueScheduledEvents({ db, limit });
          if (r.fired + r.cancelled < (limit ?? 25)) break; // failures wait for the next poll
        }
      } catch (e) {
        onError(e);
      } finally {
        running = null;
      }
    })();
    return running;
  };
  const loop = () => {
    timer = setTimeout(async () => {
      await tick();
      if (!stopped) loop();
    }, intervalMs);
    timer.unref?.();
  };
  void tick().then(() => {
    if (!stopped) loop();
  });
  return {
    tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (running) await running;
    },
  };
}
