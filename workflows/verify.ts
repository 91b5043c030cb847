/**
 * Replay & verification (`npx truthline verify`): for every case, rebuild the actor from its
 * events and compare with the stored snapshot as canonical JSON; check the hash chain, the head
 * hash and the event count (so a removed last row is caught); and check the invariants that tie
 * the workflow to the rows its effects wrote.
 */
import { and, asc, eq, gt, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { caseVerifications, caseWorkflows, cases, evidence, reads, roundParticipants, truthLabels, workflowEvents } from '../db/schema.ts';
import { canonicalJson } from './canonical-json.ts';
import { defaultRegistry, replay, stateName, type MachineRegistry, type PersistedSnapshot } from './engine.ts';
import { checkChain } from './hash-chain.ts';
import { countedReads, neededReads, truthSubjects } from './machine.ts';
import { evidenceDigest } from './runtime.ts';
import { queueColumns, roundParticipantsOf } from './queue-columns.ts';

export type CaseReport = { caseId: string; problems: string[] };
export type VerifyReport = { checked: number; failures: CaseReport[] };

/** The first path at which two JSON values differ ("context.reads[1].values"). */
export function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (canonicalJson(a) === canonicalJson(b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k);
      if (d) return d;
    }
  }
  return path || '(root)';
}

/** Everything verify reads about one case, loaded for a batch of cases at once. */
type CaseData = {
  row: typeof caseWorkflows.$inferSelect | undefined;
  events: (typeof workflowEvents.$inferSelect)[];
  readRows: (typeof reads.$inferSelect)[];
  labels: (typeof truthLabels.$inferSelect)[];
  caseRow: { withdrawnAt: Date | null; externalId: string | null; studyInstanceUid: string | null; images: string[] } | undefined;
  evRows: (typeof evidence.$inferSelect)[];
  participants: (typeof roundParticipants.$inferSelect)[];
  verified: typeof caseVerifications.$inferSelect | undefined;
};

function groupBy<T extends { caseId: string }>(rows: T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) m.set(r.caseId, [...(m.get(r.caseId) ?? []), r]);
  return m;
}

/** Loads a batch of cases with one query per table. */
async function loadCases(db: Tx, ids: string[]): Promise<Map<string, CaseData>> {
  const [rows, events, readRows, labels, caseRows, evRows, participants, verified] = await Promise.all([
    db.select().from(caseWorkflows).where(inArray(caseWorkflows.caseId, ids)),
    db.select().from(workflowEvents).where(inArray(workflowEvents.caseId, ids)).orderBy(asc(workflowEvents.caseId), asc(workflowEvents.seq)),
    db.select().from(reads).where(inArray(reads.caseId, ids)),
    db.select().from(truthLabels).where(inArray(truthLabels.caseId, ids)),
    db
      .select({ caseId: cases.id, withdrawnAt: cases.withdrawnAt, externalId: cases.externalId, studyInstanceUid: cases.studyInstanceUid, images: cases.images })
      .from(cases)
      .where(inArray(cases.id, ids)),
    db.select().from(evidence).where(inArray(evidence.caseId, ids)),
    db.select().from(roundParticipants).where(inArray(roundParticipants.caseId, ids)),
    db.select().from(caseVerifications).where(inArray(caseVerifications.caseId, ids)),
  ]);
  const ev = groupBy(events);
  const rd = groupBy(readRows);
  const lb = groupBy(labels);
  const er = groupBy(evRows);
  const pt = groupBy(participants);
  const out = new Map<string, CaseData>();
  for (const id of ids)
    out.set(id, {
      row: rows.find((r) => r.caseId === id),
      events: ev.get(id) ?? [],
      readRows: rd.get(id) ?? [],
      labels: lb.get(id) ?? [],
      caseRow: caseRows.find((c) => c.caseId === id),
      evRows: er.get(id) ?? [],
      participants: pt.get(id) ?? [],
      verified: verified.find((v) => v.caseId === id),
    });
  return out;
}

export async function verifyCase({ db, caseId, registry = defaultRegistry }: { db: Tx; caseId: string; registry?: MachineRegistry }): Promise<string[]> {
  return checkCase(caseId, (await loadCases(db, [caseId])).get(caseId)!, registry);
}

/** The checks on one case's loaded rows (the first problem of each kind, named). */
function checkCase(caseId: string, data: CaseData, registry: MachineRegistry): string[] {
  const problems: string[] = [];
  const { row, events } = data;
  if (!row) {
    problems.push(events.length ? `${events.length} workflow events but no case_workflows row` : 'no workflow: the case was never started through the runtime');
    return problems;
  }
  if (!events.length) return ['no workflow events (the first event was removed)'];

  for (const p of checkChain(events)) problems.push(`event ${p.seq}: ${p.problem}`);
  if (events.length !== row.eventCount) problems.push(`case_workflows counts ${row.eventCount} events but ${events.length} are stored (an event row was removed or added)`);
  const last = events[events.length - 1];
  if (last.hash !== row.headHash) problems.push(`head hash on case_workflows does not match the last stored event (seq ${last.seq})`);

  const stored = row.snapshot as PersistedSnapshot;
  if (stateName(stored) !== row.state) problems.push(`state column says ${row.state} but the snapshot is in ${stateName(stored)}`);
  try {
    const r = replay(
      registry,
      events.map((e) => ({
        seq: e.seq,
        type: e.type,
        payload: e.payload as Record<string, unknown>,
        actorId: e.actorId,
        occurredAt: e.occurredAt,
        machineVersion: e.machineVersion,
      })),
    );
    const diff = firstDifference(r.snapshot, stored);
    if (diff) problems.push(`replaying the events does not reproduce the stored snapshot (first difference at ${diff})`);
    if (r.machineVersion !== row.machineVersion) problems.push(`replay ends at machine ${r.machineVersion} but the case records ${row.machineVersion}`);
  } catch (e) {
    problems.push(`replay failed: ${(e as Error).message}`);
  }

  // Invariants against the rows the effects wrote (judged on the stored snapshot).
  const ctx = stored.context;
  if (!ctx || !Array.isArray(ctx.reads)) return [...problems, 'the stored snapshot has no workflow context'];
  const readRows = data.readRows;
  const byId = new Map(readRows.map((r) => [r.id, r]));
  const inContext = new Map<string, { author: string; values: unknown }>();
  for (const r of ctx.reads) inContext.set(r.id, { author: r.readerId, values: r.values });
  for (const v of ctx.votes) inContext.set(v.readId, { author: v.adjudicatorId, values: v.values });
  for (const [id, r] of inContext) {
    const dbRow = byId.get(id);
    if (!dbRow) problems.push(`read ${id} is in the workflow but missing from reads`);
    else if (dbRow.authorId !== r.author || canonicalJson(dbRow.values) !== canonicalJson(r.values)) problems.push(`read ${id} differs from what the workflow recorded`);
  }
  for (const r of readRows) {
    if ((r.source === 'reader' || r.source === 'adjudicator') && !inContext.has(r.id)) problems.push(`read ${r.id} is not in the event log`);
  }
  const mentions = new Map<string, number>();
  for (const e of events) {
    const rid = (e.payload as { readId?: unknown }).readId;
    if (typeof rid === 'string') mentions.set(rid, (mentions.get(rid) ?? 0) + 1);
  }
  for (const [id, n] of mentions) if (n !== 1) problems.push(`read ${id} appears in ${n} events`);
  if (countedReads(ctx).length > neededReads(ctx)) problems.push(`holds ${countedReads(ctx).length} counted reads, the policy allows ${neededReads(ctx)}`);

  const labels = data.labels;
  const bySubject = new Map<string, typeof labels>();
  for (const l of labels) {
    const k = l.findingId ?? '(case)';
    bySubject.set(k, [...(bySubject.get(k) ?? []), l]);
  }
  for (const [subject, ls] of bySubject) {
    ls.sort((a, b) => a.version - b.version);
    ls.forEach((l, i) => {
      if (l.version !== i + 1) problems.push(`truth for ${subject}: versions are not 1..n (found ${ls.map((x) => x.version).join(',')})`);
      if (i > 0 && l.supersedesId !== ls[i - 1].id) problems.push(`truth for ${subject} version ${l.version} does not supersede version ${ls[i - 1].version}`);
      for (const r of l.derivedFromReads) if (!byId.has(r)) problems.push(`truth for ${subject} version ${l.version} derives from read ${r}, which does not exist`);
    });
  }
  const current = (findingId: string | null) => {
    const ls = bySubject.get(findingId ?? '(case)');
    return ls?.[ls.length - 1];
  };
  const state = stateName(stored);

  // Evidence (case@2): rows match what the chain recorded; their identifying content matches the
  // chained digest — unless the case was withdrawn, when that content is purged on purpose.
  const caseRow = data.caseRow;
  const withdrawn = state === 'withdrawn';
  if (caseRow) {
    if (withdrawn && !caseRow.withdrawnAt) problems.push('the workflow is withdrawn but the case has no withdrawal time');
    if (!withdrawn && caseRow.withdrawnAt) problems.push(`the case is marked withdrawn but its workflow is in ${state}`);
    if (withdrawn && (caseRow.externalId !== null || caseRow.studyInstanceUid !== null || (caseRow.images ?? []).length))
      problems.push('withdrawn but its identifiers or image references were not purged');
  }
  const evRows = data.evRows;
  const evById = new Map(evRows.map((r) => [r.id, r]));
  const evInContext = Array.isArray(ctx.evidence) ? ctx.evidence : [];
  for (const e of evInContext) {
    const r = evById.get(e.id);
    if (!r) problems.push(`evidence ${e.id} is in the workflow but missing from evidence`);
    else {
      if (r.kind !== e.kind || (r.findingId ?? null) !== e.findingId || (r.resultCode ?? null) !== e.resultCode)
        problems.push(`evidence ${e.id} differs from what the workflow recorded`);
      if (!withdrawn && evidenceDigest({ evidenceId: r.id, date: r.evidenceDate, text: r.text }) !== e.digest)
        problems.push(`evidence ${e.id}: its date or text does not match the chained digest`);
    }
  }
  for (const r of evRows) if (!evInContext.some((e) => e.id === r.id)) problems.push(`evidence ${r.id} is not in the event log`);
  for (const st of Array.isArray(ctx.subjectTruth) ? ctx.subjectTruth : []) {
    const ls = bySubject.get(st.findingId ?? '(case)');
    const cur = ls?.[ls.length - 1];
    const name = st.findingKey ?? 'the case';
    if (!cur) problems.push(`the workflow holds truth for ${name} but no truth label exists`);
    else if (cur.state !== st.state) problems.push(`truth of ${name}: the workflow says ${st.state}, the current label says ${cur.state}`);
  }

  // The queue columns and round participants the runtime keeps must be what the snapshot says.
  const q = queueColumns(state, ctx);
  for (const [k, v] of Object.entries(q) as [keyof typeof q, unknown][]) {
    if (row[k] !== v) problems.push(`queue column ${k} is ${String(row[k])} but the snapshot gives ${String(v)}`);
  }
  const want = roundParticipantsOf(ctx)
    .map((p) => `${p.role}:${p.userId}:${p.voteBatch ?? ''}`)
    .sort();
  const have = data.participants.map((p) => `${p.role}:${p.userId}:${p.voteBatch ?? ''}`).sort();
  if (want.join('|') !== have.join('|')) problems.push(`round participants are [${have.join(', ')}] but the snapshot gives [${want.join(', ')}]`);
  // A chain head verified earlier must still be in the chain (`verify --since` starts from it).
  if (data.verified && events[data.verified.eventCount - 1]?.hash !== data.verified.headHash)
    problems.push(`the chain no longer contains the head verified at ${data.verified.verifiedAt.toISOString()} (event ${data.verified.eventCount} changed or was removed)`);

  if (state === 'decided' || state === 'discordant' || state === 'excluded') {
    for (const s of truthSubjects(ctx, null)) {
      const t = current(s.findingId);
      const name = s.findingKey ?? 'the case';
      if (!t) problems.push(`${state} but ${name} has no truth label`);
      else if (state === 'excluded' && t.state !== 'excluded') problems.push(`excluded but the current truth of ${name} is ${t.state}`);
      else if (state !== 'excluded' && (t.method === 'reopened' || t.state === 'excluded')) problems.push(`decided but the current truth of ${name} is ${t.state} (${t.method})`);
    }
  }
  return problems;
}

export type VerifyOptions = {
  db: Tx;
  /** Only these cases (nothing is recorded). */
  caseIds?: string[];
  /** Only cases whose chain head moved since it last verified (or never verified). */
  since?: boolean;
  registry?: MachineRegistry;
  /** Batches verified at once, each on its own connection from the pool. */
  concurrency?: number;
  batchSize?: number;
  onProgress?: (p: { checked: number; failed: number }) => void;
  /** Only case ids in (after, upTo] (a worker's share; see verify-workers.ts). */
  range?: { after: string; upTo: string | null };
  /** Also look for event chains without a case row (default: yes; one worker does it). */
  orphans?: boolean;
};

/**
 * Verifies every case (or the given ones, or with `since` only those changed since their last
 * verified head) in batches, several at once across the pool's connections. Whole-project runs
 * record each passing case's head (case_verifications), so the next `since` run starts there.
 */
export async function verifyAllCases({
  db,
  caseIds,
  since = false,
  registry = defaultRegistry,
  concurrency = 4,
  batchSize = 500,
  onProgress,
  range,
  orphans = true,
}: VerifyOptions): Promise<VerifyReport> {
  const failures: CaseReport[] = [];
  let checked = 0;
  const record = !caseIds;
  let listed: string[] | null = caseIds ? [...caseIds] : null;
  let after = range?.after ?? '';
  let orphansDone = since || !orphans;
  // Batches come from a keyset walk over case ids (bounded memory), plus event chains without a case row.
  const nextBatch = async (): Promise<string[]> => {
    if (listed) return listed.splice(0, batchSize);
    const conds = [gt(cases.id, after || '00000000-0000-0000-0000-000000000000')];
    if (range?.upTo) conds.push(lte(cases.id, range.upTo));
    const base = db.select({ id: cases.id }).from(cases).leftJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id));
    const rows = since
      ? await base
          .leftJoin(caseVerifications, eq(caseVerifications.caseId, cases.id))
          .where(and(...conds, or(isNull(caseVerifications.caseId), sql`${caseVerifications.headHash} is distinct from ${caseWorkflows.headHash}`)))
          .orderBy(asc(cases.id))
          .limit(batchSize)
      : await base
          .where(and(...conds))
          .orderBy(asc(cases.id))
          .limit(batchSize);
    if (rows.length) {
      after = rows[rows.length - 1].id;
      return rows.map((r) => r.id);
    }
    if (!orphansDone) {
      orphansDone = true;
      const orphans = await db.selectDistinct({ id: workflowEvents.caseId }).from(workflowEvents).leftJoin(cases, eq(cases.id, workflowEvents.caseId)).where(isNull(cases.id));
      return orphans.map((o) => o.id);
    }
    return [];
  };
  let fetching: Promise<string[]> = Promise.resolve([]);
  const take = () => (fetching = fetching.then(nextBatch));
  const worker = async () => {
    for (;;) {
      const ids = await take();
      if (!ids.length) return;
      const data = await loadCases(db, ids);
      const passed: { caseId: string; eventCount: number; headHash: string }[] = [];
      for (const id of ids) {
        const d = data.get(id)!;
        const problems = checkCase(id, d, registry);
        if (problems.length) failures.push({ caseId: id, problems });
        else if (d.row && d.caseRow) passed.push({ caseId: id, eventCount: d.row.eventCount, headHash: d.row.headHash });
      }
      if (record && passed.length)
        await db
          .insert(caseVerifications)
          .values(passed)
          .onConflictDoUpdate({ target: caseVerifications.caseId, set: { eventCount: sql`excluded.event_count`, headHash: sql`excluded.head_hash`, verifiedAt: sql`now()` } });
      checked += ids.length;
      onProgress?.({ checked, failed: failures.length });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  failures.sort((a, b) => a.caseId.localeCompare(b.caseId));
  return { checked, failures };
}
