/**
 * The workflow runtime: loads a case's persisted actor, advances it by one event and persists
 * everything in ONE transaction — the locked case_workflows row, the appended workflow_events
 * row (next seq, hash, previous hash), the new snapshot/machine version/count/head hash, and
 * the machine's effects (reads, assignments, truth_labels versions, reviews, audit rows).
 * Refusals and failures roll the whole transaction back: nothing changes.
 */
import { now as clockNow } from '../domain/clock.ts';
import { randomUUID } from 'node:crypto';
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { getDb } from '../db/index.ts';
import { writeAudit, type AuditEntry } from '../db/audit.ts';
import { assignments, auditLog, caseWorkflows, cases, findings, projectMembers, projectVersions, roundParticipants, workflowEvents } from '../db/schema.ts';
import { policyProblems } from './agreement-rules.ts';
import { caseCommandSchema, REQUIRED_ROLE, SYSTEM_EVENT_TYPES, type CaseCommand, type SystemCommand } from './commands.ts';
import { canonicalJson, sha256Hex } from './canonical-json.ts';
import { projectDefinitionSchema, type ReadValues } from './definition.ts';
import { applyEffect, effectWrite, type EffectContext, type EffectHandler } from './effects.ts';
import {
  defaultRegistry,
  MIGRATE_EVENT,
  migrateSnapshot,
  migrationPath,
  START_EVENT,
  startSnapshot,
  stateName,
  step,
  toPayload,
  type MachineRegistry,
  type PersistedSnapshot,
} from './engine.ts';
import { EventRefused, AppError } from '../domain/errors.ts';
import { eventHash, GENESIS_HASH } from './hash-chain.ts';
import type { CaseContext, CaseEvent, CaseInput, Effect } from './machine.ts';
import { describeValueErrors, readValuesSchema } from './read-schema.ts';
import { caseOrderKey, queueColumns, roundParticipantsOf } from './queue-columns.ts';

export type SendResult = {
  status: 'applied' | 'duplicate';
  seq: number;
  state: string;
  /** The reads row written by this event (reads, amendments, adjudications). */
  readId?: string;
  /** The evidence row written by this event (evidence.record). */
  evidenceId?: string;
  effects: Effect[];
};

export type SendCaseEventArgs = {
  caseId: string;
  event: CaseCommand;
  /** The acting user (null only for system events). */
  actorId: string | null;
  /** Unique per user action: a repeat is acknowledged and changes nothing. */
  clientRequestId: string;
  /** When it happened (default now); recorded and hashed as an ISO string. */
  at?: Date | string;
  ip?: string | null;
  db?: Db;
  /** Tests: other machine versions, failing effects. */
  registry?: MachineRegistry;
  effectHandler?: EffectHandler;
};

export function toIso(at: Date | string | undefined): string {
  const d = at === undefined ? clockNow() : new Date(at);
  if (Number.isNaN(d.getTime())) throw new AppError('invalid', `not a valid time: ${String(at)}`);
  return d.toISOString();
}

/** The writes that bring round_participants from the round before an event to the round after it. */
function roundParticipantWrites(tx: Tx, caseId: string, before: CaseContext, after: CaseContext): SQL[] {
  const key = (p: { userId: string; role: string }) => `${p.role}\u0000${p.userId}`;
  const old = new Map(roundParticipantsOf(before).map((p) => [key(p), p]));
  const now = roundParticipantsOf(after);
  const gone = [...old.values()].filter((p) => !now.some((n) => key(n) === key(p)));
  const out: SQL[] = [];
  for (const role of ['reader', 'adjudicator'] as const) {
    const users = gone.filter((p) => p.role === role).map((p) => p.userId);
    if (users.length)
      out.push(
        tx
          .delete(roundParticipants)
          .where(and(eq(roundParticipants.caseId, caseId), eq(roundParticipants.role, role), inArray(roundParticipants.userId, users)))
          .getSQL(),
      );
  }
  const changed = now.filter((p) => old.get(key(p))?.voteBatch !== p.voteBatch || !old.has(key(p)));
  if (changed.length)
    out.push(
      tx
        .insert(roundParticipants)
        .values(changed.map((p) => ({ caseId, ...p })))
        .onConflictDoUpdate({ target: [roundParticipants.userId, roundParticipants.caseId, roundParticipants.role], set: { voteBatch: sql`excluded.vote_batch` } })
        .getSQL(),
    );
  return out;
}

/**
 * Writes that do not depend on each other's results, sent as ONE statement of data-modifying
 * CTEs (one round trip instead of one per row). Only inserts and updates of distinct rows go
 * here: the parts of one statement cannot see each other's changes.
 */
async function runWrites(tx: Tx, writes: SQL[]): Promise<void> {
  if (!writes.length) return;
  if (writes.length === 1) {
    await tx.execute(writes[0]);
    return;
  }
  await tx.execute(
    sql`with ${sql.join(
      writes.map((w, i) => sql`${sql.raw(`w${i}`)} as (${w})`),
      sql`, `,
    )} select 1`,
  );
}

/** Audit rows in one multi-row insert, in order (their ids keep the order they were written in). */
function auditWrite(tx: Tx, entries: AuditEntry[]): SQL {
  return tx
    .insert(auditLog)
    .values(entries.map((e) => ({ ...e, details: e.details ?? {} })))
    .getSQL();
}

type AppendArgs = {
  tx: Tx;
  caseId: string;
  seq: number;
  prevHash: string;
  type: string;
  payload: Record<string, unknown>;
  actorId: string | null;
  occurredAt: string;
  machineVersion: string;
  clientRequestId: string;
};

/** The event row and its hash (the chain: previous hash in, this hash out). */
function eventRow(a: Omit<AppendArgs, 'tx'>) {
  const hash = eventHash({ caseId: a.caseId, seq: a.seq, type: a.type, payload: a.payload, actorId: a.actorId, occurredAt: a.occurredAt, prevHash: a.prevHash });
  return {
    hash,
    row: {
      caseId: a.caseId,
      seq: a.seq,
      type: a.type,
      payload: a.payload,
      actorId: a.actorId,
      occurredAt: a.occurredAt,
      machineVersion: a.machineVersion,
      hash,
      prevHash: a.prevHash,
      clientRequestId: a.clientRequestId,
    },
  };
}

async function appendEvent(a: AppendArgs): Promise<string> {
  const { hash, row } = eventRow(a);
  await a.tx.insert(workflowEvents).values(row);
  return hash;
}

/** Whole days from the study date to a date (both YYYY-MM-DD). */
export function dayOffset(studyDate: string, date: string): number {
  return Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${studyDate}T00:00:00Z`)) / 86_400_000);
}

/** The digest chained for a piece of evidence: its identifying content (date, text) stays out of the chain. */
export function evidenceDigest(e: { evidenceId: string; date: string; text: string | null }): string {
  return sha256Hex(canonicalJson({ evidence: e.evidenceId, date: e.date, text: e.text }));
}

type CaseFacts = { studyDate: string };

/** Builds the machine event (ids, time, actor) and validates answers against the reader form. */
function toMachineEvent(
  cmd: CaseCommand | SystemCommand,
  ctx: CaseContext,
  at: string,
  actorId: string | null,
  facts: CaseFacts,
): { event: CaseEvent; readId?: string; evidenceId?: string } {
  const checkValues = (values: ReadValues | null, cannotAssessReason: string | undefined) => {
    if (values === null) {
      if (!cannotAssessReason) throw new AppError('invalid', 'a cannot-assess read needs a reason');
      return;
    }
    const r = readValuesSchema(ctx.readerForm).safeParse(values);
    if (!r.success) throw new AppError('invalid', describeValueErrors(r.error));
  };
  const readId = randomUUID();
  switch (cmd.type) {
    case 'read.submit':
      checkValues(cmd.values, cmd.cannotAssessReason);
      return { event: { type: cmd.type, readId, values: cmd.values, at, actorId }, readId };
    case 'read.amend':
      checkValues(cmd.values, cmd.cannotAssessReason);
      return { event: { type: cmd.type, readId, supersedesReadId: cmd.supersedesReadId, values: cmd.values, reason: cmd.reason, at, actorId }, readId };
    case 'adjudication.decide': {
      if (cmd.values !== undefined) {
        // Shape only here: which items must be answered is the machine's rule (whyNot).
        const r = readValuesSchema(ctx.readerForm, { partial: true }).safeParse(cmd.values);
        if (!r.success) throw new AppError('invalid', describeValueErrors(r.error));
      }
      return {
        event: {
          type: cmd.type,
          readId,
          ...(cmd.pickReadId !== undefined ? { pickReadId: cmd.pickReadId } : {}),
          ...(cmd.values !== undefined ? { values: cmd.values } : {}),
          rationale: cmd.rationale,
          at,
          actorId,
        },
        readId,
      };
    }
    case 'adjudication.requestRead':
      return { event: { type: cmd.type, rationale: cmd.rationale, at, actorId } };
    case 'exclusion.resolve':
      return { event: { type: cmd.type, exclude: cmd.exclude, reason: cmd.reason, at, actorId } };
    case 'case.reopen':
      return { event: { type: cmd.type, reason: cmd.reason, at, actorId } };
    case 'evidence.record': {
      if (!cmd.resultCode && !cmd.text?.trim()) throw new AppError('invalid', 'evidence needs a result code or text');
      let findingId: string | null = null;
      if (cmd.finding) {
        const f = ctx.findings.find((x) => x.key === cmd.finding);
        if (!f) throw new AppError('invalid', `finding "${cmd.finding}" is not one of this case's findings (${ctx.findings.map((x) => x.key).join(', ') || 'none'})`);
        findingId = f.id;
      }
      const evidenceId = randomUUID();
      return {
        event: {
          type: cmd.type,
          evidenceId,
          kind: cmd.kind,
          findingId,
          resultCode: cmd.resultCode ?? null,
          dayOffset: dayOffset(facts.studyDate, cmd.date),
          digest: evidenceDigest({ evidenceId, date: cmd.date, text: cmd.text ?? null }),
          at,
          actorId,
        },
        evidenceId,
      };
    }
    case 'discordance.close': {
      let findingId = cmd.findingId;
      if (findingId === undefined) {
        const open = (ctx.subjectTruth ?? []).filter((x) => x.open);
        if (open.length !== 1)
          throw new AppError('invalid', open.length ? 'several discordances are open on this case: say which finding (findingId)' : 'there is no open discordance on this case');
        findingId = open[0].findingId;
      }
      return { event: { type: cmd.type, findingId, outcome: cmd.outcome, ...(cmd.value !== undefined ? { value: cmd.value } : {}), reason: cmd.reason, at, actorId } };
    }
    case 'case.withdraw':
      return { event: { type: cmd.type, reason: cmd.reason, at, actorId } };
    case 'window.close':
      // The import day (from the study date, like evidence offsets): the machine holds a window
      // that had closed before the case was imported (a historical case) instead of closing it.
      return { event: { type: cmd.type, importedDay: dayOffset(facts.studyDate, ctx.startedAt.slice(0, 10)), at, actorId } };
    case 'evidence.grace':
      return { event: { type: cmd.type, at, actorId } };
    case 'evidence.complete':
      return { event: { type: cmd.type, reason: cmd.reason, at, actorId } };
  }
}

function reasonOf(cmd: CaseCommand | SystemCommand): string | null {
  if ('reason' in cmd) return cmd.reason;
  if ('rationale' in cmd) return cmd.rationale;
  return null;
}

/** The case's pinned project definition, parsed. */
export async function pinnedDefinition(tx: Tx, projectId: string, version: number) {
  const [pv] = await tx
    .select()
    .from(projectVersions)
    .where(and(eq(projectVersions.projectId, projectId), eq(projectVersions.version, version)));
  if (!pv) throw new AppError('not_found', `project version ${version} of the case's project does not exist`);
  const def = projectDefinitionSchema.safeParse({ readerForm: pv.readerForm, referenceStandard: pv.referenceStandard, mapping: pv.mapping, truthPolicy: pv.truthPolicy });
  if (!def.success) throw new AppError('invalid', `project version ${pv.version}: ${describeValueErrors(def.error)}`);
  return def.data;
}

/**
 * Sends one event to a case for an acting user. Returns what happened; throws AppError
 * (EventRefused when the case does not accept it) and then nothing has changed.
 */
export async function sendCaseEvent(args: SendCaseEventArgs): Promise<SendResult> {
  const parsed = caseCommandSchema.safeParse(args.event);
  if (!parsed.success) throw new AppError('invalid', describeValueErrors(parsed.error));
  return send(args, parsed.data as CaseCommand, false);
}

export type SendSystemEventArgs = Omit<SendCaseEventArgs, 'event' | 'actorId' | 'db'> & { event: SystemCommand; db?: Tx };

/**
 * Sends a system event (no actor, no role): the scheduler's `window.close`. Not reachable from
 * user commands — `caseCommandSchema` does not contain it. `db` may be a transaction (savepoint).
 */
export async function sendSystemEvent(args: SendSystemEventArgs): Promise<SendResult> {
  if (!(SYSTEM_EVENT_TYPES as readonly string[]).includes(args.event?.type)) throw new AppError('invalid', 'not a system event');
  return send({ ...args, db: args.db as Db | undefined, actorId: null, event: args.event as never }, args.event, true);
}

/** A repeat that raced the first past the lock: the unique client request id refused it. */
function isRepeatRace(e: unknown): boolean {
  const text = `${(e as Error)?.message ?? ''} ${(e as { cause?: Error })?.cause?.message ?? ''}`;
  return /workflow_events_client_request_key/.test(text);
}

async function send(args: SendCaseEventArgs, cmd: CaseCommand | SystemCommand, system: boolean): Promise<SendResult> {
  try {
    return await sendOnce(args, cmd, system);
  } catch (e) {
    // The lock statement also looks the request id up; a repeat that waited on the lock saw the
    // table as it was when it started waiting. Its insert is refused and the whole transaction
    // rolled back; once more, it finds the first and is acknowledged as a duplicate.
    if (isRepeatRace(e)) return sendOnce(args, cmd, system);
    throw e;
  }
}

/** A stored event with the same client request id. */
type DupRow = { caseId: string; seq: number; payload: unknown; actorId: string | null; type: string };

async function sendOnce(args: SendCaseEventArgs, cmd: CaseCommand | SystemCommand, system: boolean): Promise<SendResult> {
  const db = args.db ?? getDb();
  const registry = args.registry ?? defaultRegistry;
  if (!args.clientRequestId || args.clientRequestId.length > 200) throw new AppError('invalid', 'a client request id (1–200 characters) is required');
  const at = toIso(args.at);
  const handle = args.effectHandler ?? applyEffect;
  const role = system ? null : REQUIRED_ROLE[(cmd as CaseCommand).type];

  return db.transaction(async (tx) => {
    // One statement: the locked workflow row, its case, a repeat of this request, the actor's role.
    const [locked] = await tx
      .select({
        row: caseWorkflows,
        projectId: cases.projectId,
        projectVersion: cases.projectVersion,
        withdrawn: sql<boolean>`${cases.withdrawnAt} is not null`,
        studyDate: cases.studyDate,
        dup: sql<DupRow | null>`(select json_build_object('caseId', e.case_id, 'seq', e.seq, 'payload', e.payload, 'actorId', e.actor_id, 'type', e.type)
          from ${workflowEvents} e where e.client_request_id = ${args.clientRequestId})`,
        hasRole:
          role && args.actorId
            ? sql<boolean>`exists (select 1 from ${projectMembers} m where m.project_id = ${cases.projectId} and m.user_id = ${args.actorId} and m.role = ${role})`
            : sql<boolean>`false`,
      })
      .from(caseWorkflows)
      .innerJoin(cases, eq(cases.id, caseWorkflows.caseId))
      .where(eq(caseWorkflows.caseId, args.caseId))
      .for('update', { of: caseWorkflows });
    if (!locked) throw new AppError('not_found', `case ${args.caseId} has no workflow`);
    const { row } = locked;
    const c = { projectId: locked.projectId, projectVersion: locked.projectVersion, studyDate: locked.studyDate };
    const duplicate = (dup: DupRow): SendResult => {
      // A repeat only for the same case, person and command; anything else is another request.
      if (dup.caseId !== args.caseId || dup.actorId !== (args.actorId ?? null) || dup.type !== cmd.type)
        throw new AppError('conflict', 'this client request id was already used for another request (another case, person or action): use a new id');
      const { readId, evidenceId } = dup.payload as { readId?: string; evidenceId?: string };
      return { status: 'duplicate' as const, seq: dup.seq, state: row.state, ...(readId ? { readId } : {}), ...(evidenceId ? { evidenceId } : {}), effects: [] };
    };
    if (locked.dup) return duplicate(locked.dup);
    // A repeat that waited on the lock looked the request id up before the first committed: before
    // refusing it (the first may have changed what it is refused for), look again, now.
    const refuse = async (e: Error, wrote = false): Promise<SendResult> => {
      if (wrote) throw e;
      const [again] = await tx
        .select({ caseId: workflowEvents.caseId, seq: workflowEvents.seq, payload: workflowEvents.payload, actorId: workflowEvents.actorId, type: workflowEvents.type })
        .from(workflowEvents)
        .where(eq(workflowEvents.clientRequestId, args.clientRequestId));
      if (again) return duplicate(again);
      throw e;
    };
    if (locked.withdrawn) return refuse(new EventRefused(row.state, 'the case has been withdrawn'));
    if (system) {
      if (args.actorId) throw new AppError('forbidden', 'system events have no actor');
    } else if (!args.actorId) throw new AppError('forbidden', `this event needs a ${role}`);
    else if (!locked.hasRole) return refuse(new AppError('forbidden', `you are not a ${role} in this project`));

    let snapshot = row.snapshot as PersistedSnapshot;
    let version = row.machineVersion;
    let seq = row.eventCount;
    let head = row.headHash;
    // An old snapshot is migrated by an explicit, chained migration event.
    for (const m of migrationPath(registry, version)) {
      const dataOf = registry.migrations[m.from].data;
      const data = dataOf ? (JSON.parse(JSON.stringify(dataOf(await pinnedDefinition(tx, c.projectId, c.projectVersion)))) as Record<string, unknown>) : undefined;
      snapshot = migrateSnapshot(registry, m.from, snapshot, data).snapshot;
      seq += 1;
      const payload = { from: m.from, to: m.to, ...(data ? { data } : {}) };
      head = await appendEvent({
        tx,
        caseId: args.caseId,
        seq,
        prevHash: head,
        type: MIGRATE_EVENT,
        payload,
        actorId: null,
        occurredAt: at,
        machineVersion: m.to,
        clientRequestId: `${args.clientRequestId}#migrate:${m.to}`,
      });
      version = m.to;
    }

    const { event, readId, evidenceId } = toMachineEvent(cmd, snapshot.context, at, args.actorId, { studyDate: c.studyDate });
    const from = stateName(snapshot);
    const result = step(registry, version, snapshot, event);
    if (!result.ok) return refuse(new EventRefused(from, result.reason), seq !== row.eventCount);

    seq += 1;
    const payload = toPayload(event);
    const ev = eventRow({
      caseId: args.caseId,
      seq,
      prevHash: head,
      type: event.type,
      payload,
      actorId: args.actorId,
      occurredAt: at,
      machineVersion: version,
      clientRequestId: args.clientRequestId,
    });
    head = ev.hash;

    const atDate = new Date(at);
    const ectx: EffectContext = {
      caseId: args.caseId,
      projectId: c.projectId,
      projectVersion: c.projectVersion,
      seq,
      at: atDate,
      actorId: args.actorId,
      clientRequestId: args.clientRequestId,
      // Reads keep their free text, confidence and time in the reads row (never in the chain).
      readExtras: cmd.type === 'read.submit' || cmd.type === 'read.amend' ? cmd : 'comment' in cmd ? { comment: cmd.comment } : {},
      ...(cmd.type === 'evidence.record'
        ? { evidence: { date: cmd.date, text: cmd.text ?? null, extraction: cmd.extraction ?? { method: 'manual' }, extractionRuleId: cmd.extractionRuleId ?? null } }
        : {}),
    };
    // The common events (a read, a note) write only rows of their own: everything goes out as one
    // statement. Effects that read or update existing rows run first, one by one, in order.
    const writes: SQL[] = [tx.insert(workflowEvents).values(ev.row).getSQL()];
    const audits: AuditEntry[] = [];
    const batched = args.effectHandler ? null : result.effects.map((e) => effectWrite(tx, e, ectx));
    const allBatched = batched !== null && batched.every((w) => w !== null);
    // The actor's own open assignment for this case is done.
    if (args.actorId && (cmd.type === 'read.submit' || cmd.type === 'adjudication.decide')) {
      const done = tx
        .update(assignments)
        .set({ status: 'completed', closedAt: atDate })
        .where(
          and(
            eq(assignments.caseId, args.caseId),
            eq(assignments.userId, args.actorId),
            eq(assignments.role, cmd.type === 'read.submit' ? 'reader' : 'adjudicator'),
            eq(assignments.status, 'open'),
          ),
        );
      if (allBatched) writes.push(done.getSQL());
      else await done;
    }
    if (allBatched) {
      for (const w of batched) {
        if (w?.sql) writes.push(w.sql);
        if (w?.audit) audits.push(w.audit);
      }
    } else {
      await runWrites(tx, writes.splice(0));
      for (const effect of result.effects) await handle(tx, effect, ectx);
    }
    const to = stateName(result.snapshot);
    audits.push({
      actorId: args.actorId,
      action: `workflow.${event.type}`,
      projectId: c.projectId,
      caseId: args.caseId,
      ip: args.ip ?? null,
      reason: reasonOf(cmd),
      details: { seq, from, to, ...(readId ? { readId } : {}), ...(evidenceId ? { evidenceId } : {}) },
    });
    writes.push(auditWrite(tx, audits));
    writes.push(
      tx
        .update(caseWorkflows)
        .set({
          snapshot: result.snapshot,
          state: to,
          machineVersion: version,
          eventCount: seq,
          headHash: head,
          updatedAt: atDate,
          projectId: c.projectId,
          ...queueColumns(to, result.snapshot.context),
        })
        .where(eq(caseWorkflows.caseId, args.caseId))
        .getSQL(),
    );
    writes.push(...roundParticipantWrites(tx, args.caseId, snapshot.context, result.snapshot.context));
    await runWrites(tx, writes);
    return {
      status: 'applied' as const,
      seq,
      state: to,
      ...(readId && event.type !== 'adjudication.requestRead' ? { readId } : {}),
      ...(evidenceId ? { evidenceId } : {}),
      effects: result.effects,
    };
  });
}

export type StartCaseWorkflowArgs = {
  /** The transaction that creates the case (import/seed), or the database. */
  tx: Tx;
  caseId: string;
  actorId?: string | null;
  at?: Date | string;
  registry?: MachineRegistry;
};

/**
 * Starts a case's workflow: the first event carries the machine input (pinned definition,
 * findings). Creates the findings rows the reader form names if the case lacks them.
 * Idempotent: a case that already has a workflow is left as it is.
 */
export async function startCaseWorkflow(args: StartCaseWorkflowArgs): Promise<{ state: string; created: boolean }> {
  const { tx, caseId } = args;
  const registry = args.registry ?? defaultRegistry;
  const [existing] = await tx.select({ state: caseWorkflows.state }).from(caseWorkflows).where(eq(caseWorkflows.caseId, caseId));
  if (existing) return { state: existing.state, created: false };
  const [c] = await tx.select().from(cases).where(eq(cases.id, caseId));
  if (!c) throw new AppError('not_found', `no case ${caseId}`);
  const [pv] = await tx
    .select()
    .from(projectVersions)
    .where(and(eq(projectVersions.projectId, c.projectId), eq(projectVersions.version, c.projectVersion)));
  if (!pv) throw new AppError('not_found', `project version ${c.projectVersion} of the case's project does not exist`);
  const def = projectDefinitionSchema.safeParse({ readerForm: pv.readerForm, referenceStandard: pv.referenceStandard, mapping: pv.mapping, truthPolicy: pv.truthPolicy });
  if (!def.success) throw new AppError('invalid', `project version ${pv.version}: ${describeValueErrors(def.error)}`);
  const problems = policyProblems(def.data.readerForm, def.data.truthPolicy);
  if (problems.length) throw new AppError('invalid', `project version ${pv.version}: ${problems.join('; ')}`);

  let rows = await tx.select({ id: findings.id, key: findings.key }).from(findings).where(eq(findings.caseId, caseId));
  const missing = def.data.readerForm.findings.filter((f) => !rows.some((r) => r.key === f.key));
  if (missing.length) {
    await tx.insert(findings).values(missing.map((f) => ({ caseId, key: f.key, label: f.label })));
    rows = await tx.select({ id: findings.id, key: findings.key }).from(findings).where(eq(findings.caseId, caseId));
  }
  const at = toIso(args.at);
  const input: CaseInput = {
    caseId,
    projectId: c.projectId,
    projectVersion: c.projectVersion,
    readerForm: def.data.readerForm,
    truthPolicy: def.data.truthPolicy,
    referenceStandard: def.data.referenceStandard,
    mapping: def.data.mapping,
    findings: rows.sort((a, b) => a.key.localeCompare(b.key)).map((r) => ({ id: r.id, key: r.key })),
    startedAt: at,
  };
  const { snapshot, effects } = startSnapshot(registry, input);
  const payload = JSON.parse(JSON.stringify({ input })) as Record<string, unknown>;
  const clientRequestId = `start:${caseId}`;
  const head = await appendEvent({
    tx,
    caseId,
    seq: 1,
    prevHash: GENESIS_HASH,
    type: START_EVENT,
    payload,
    actorId: args.actorId ?? null,
    occurredAt: at,
    machineVersion: registry.current,
    clientRequestId,
  });
  const state = stateName(snapshot);
  const queueKey = def.data.truthPolicy.caseOrder === 'fixed' ? sql`nextval('case_queue_order')` : caseOrderKey(c.projectId, caseId);
  await tx.insert(caseWorkflows).values({
    caseId,
    machineVersion: registry.current,
    snapshot,
    state,
    eventCount: 1,
    headHash: head,
    updatedAt: new Date(at),
    projectId: c.projectId,
    queueKey,
    ...queueColumns(state, snapshot.context),
  });
  const ectx: EffectContext = {
    caseId,
    projectId: c.projectId,
    projectVersion: c.projectVersion,
    seq: 1,
    at: new Date(at),
    actorId: args.actorId ?? null,
    clientRequestId,
    readExtras: {},
  };
  for (const e of effects) await applyEffect(tx, e, ectx);
  await writeAudit(tx, { actorId: args.actorId ?? null, action: `workflow.${START_EVENT}`, projectId: c.projectId, caseId, details: { seq: 1, machineVersion: registry.current } });
  return { state, created: true };
}

export type CaseWorkflowView = {
  caseId: string;
  state: string;
  machineVersion: string;
  eventCount: number;
  headHash: string;
  context: CaseContext;
};

/** The current workflow of a case (for pages and the API); null when it has none. */
export async function getCaseWorkflow({ caseId, db }: { caseId: string; db?: Tx }): Promise<CaseWorkflowView | null> {
  const [row] = await (db ?? getDb()).select().from(caseWorkflows).where(eq(caseWorkflows.caseId, caseId));
  if (!row) return null;
  return {
    caseId,
    state: row.state,
    machineVersion: row.machineVersion,
    eventCount: row.eventCount,
    headHash: row.headHash,
    context: (row.snapshot as PersistedSnapshot).context,
  };
}
