/**
 * The workflow runtime: loads a case's persisted actor, advances it by one event and persists
 * everything in ONE transaction — the locked case_workflows row, the appended workflow_events
 * row (next seq, hash, previous hash), the new snapshot/machine version/count/head hash, and
 * the machine's effects (reads, assignments, truth_labels versions, reviews, audit rows).
 * Refusals and failures roll the whole transaction back: nothing changes.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { getDb } from '../db/index.ts';
import { writeAudit } from '../db/audit.ts';
import { assignments, caseWorkflows, cases, findings, projectMembers, projectVersions, roundParticipants, workflowEvents } from '../db/schema.ts';
import { policyProblems } from './agreement-rules.ts';
import { caseCommandSchema, REQUIRED_ROLE, type CaseCommand, type SystemCommand } from './commands.ts';
import { canonicalJson, sha256Hex } from './canonical-json.ts';
import { projectDefinitionSchema, type ReadValues } from './definition.ts';
import { applyEffect, type EffectContext, type EffectHandler } from './effects.ts';
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
  const d = at === undefined ? new Date() : new Date(at);
  if (Number.isNaN(d.getTime())) throw new AppError('invalid', `not a valid time: ${String(at)}`);
  return d.toISOString();
}

type Locked = typeof caseWorkflows.$inferSelect;

/** Brings round_participants from the round before an event to the round after it. */
async function syncRoundParticipants(tx: Tx, caseId: string, before: CaseContext, after: CaseContext): Promise<void> {
  const key = (p: { userId: string; role: string }) => `${p.role}\u0000${p.userId}`;
  const old = new Map(roundParticipantsOf(before).map((p) => [key(p), p]));
  const now = roundParticipantsOf(after);
  const gone = [...old.values()].filter((p) => !now.some((n) => key(n) === key(p)));
  for (const role of ['reader', 'adjudicator'] as const) {
    const users = gone.filter((p) => p.role === role).map((p) => p.userId);
    if (users.length)
      await tx.delete(roundParticipants).where(and(eq(roundParticipants.caseId, caseId), eq(roundParticipants.role, role), inArray(roundParticipants.userId, users)));
  }
  const changed = now.filter((p) => old.get(key(p))?.voteBatch !== p.voteBatch || !old.has(key(p)));
  if (changed.length)
    await tx
      .insert(roundParticipants)
      .values(changed.map((p) => ({ caseId, ...p })))
      .onConflictDoUpdate({ target: [roundParticipants.userId, roundParticipants.caseId, roundParticipants.role], set: { voteBatch: sql`excluded.vote_batch` } });
}

async function lockWorkflow(tx: Tx, caseId: string): Promise<Locked> {
  const [row] = await tx.select().from(caseWorkflows).where(eq(caseWorkflows.caseId, caseId)).for('update');
  if (!row) throw new AppError('not_found', `case ${caseId} has no workflow`);
  return row;
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

async function appendEvent(a: AppendArgs): Promise<string> {
  const hash = eventHash({ caseId: a.caseId, seq: a.seq, type: a.type, payload: a.payload, actorId: a.actorId, occurredAt: a.occurredAt, prevHash: a.prevHash });
  await a.tx.insert(workflowEvents).values({
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
  });
  return hash;
}

async function requireRole(tx: Tx, projectId: string, userId: string | null, role: 'reader' | 'adjudicator' | 'lead'): Promise<void> {
  if (!userId) throw new AppError('forbidden', `this event needs a ${role}`);
  const [m] = await tx
    .select({ role: projectMembers.role })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId), eq(projectMembers.role, role)));
  if (!m) throw new AppError('forbidden', `you are not a ${role} in this project`);
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
      return { event: { type: cmd.type, at, actorId } };
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
  if (args.event?.type !== 'window.close') throw new AppError('invalid', 'not a system event');
  return send({ ...args, db: args.db as Db | undefined, actorId: null, event: args.event as never }, args.event, true);
}

async function send(args: SendCaseEventArgs, cmd: CaseCommand | SystemCommand, system: boolean): Promise<SendResult> {
  const db = args.db ?? getDb();
  const registry = args.registry ?? defaultRegistry;
  if (!args.clientRequestId || args.clientRequestId.length > 200) throw new AppError('invalid', 'a client request id (1–200 characters) is required');
  const at = toIso(args.at);
  const handle = args.effectHandler ?? applyEffect;

  return db.transaction(async (tx) => {
    const row = await lockWorkflow(tx, args.caseId);
    // Idempotency: checked after the lock, so a concurrent repeat waits and then sees the first.
    const [dup] = await tx
      .select({ caseId: workflowEvents.caseId, seq: workflowEvents.seq, payload: workflowEvents.payload, actorId: workflowEvents.actorId, type: workflowEvents.type })
      .from(workflowEvents)
      .where(eq(workflowEvents.clientRequestId, args.clientRequestId));
    if (dup) {
      // A repeat only for the same case, person and command; anything else is another request.
      if (dup.caseId !== args.caseId || dup.actorId !== (args.actorId ?? null) || dup.type !== cmd.type)
        throw new AppError('conflict', 'this client request id was already used for another request (another case, person or action): use a new id');
      const { readId, evidenceId } = dup.payload as { readId?: string; evidenceId?: string };
      return { status: 'duplicate' as const, seq: dup.seq, state: row.state, ...(readId ? { readId } : {}), ...(evidenceId ? { evidenceId } : {}), effects: [] };
    }
    const [c] = await tx
      .select({ projectId: cases.projectId, projectVersion: cases.projectVersion, withdrawnAt: cases.withdrawnAt, studyDate: cases.studyDate })
      .from(cases)
      .where(eq(cases.id, args.caseId));
    if (c.withdrawnAt) throw new EventRefused(row.state, 'the case has been withdrawn');
    if (system) {
      if (args.actorId) throw new AppError('forbidden', 'system events have no actor');
    } else await requireRole(tx, c.projectId, args.actorId, REQUIRED_ROLE[(cmd as CaseCommand).type]);

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
    if (!result.ok) throw new EventRefused(from, result.reason);

    seq += 1;
    const payload = toPayload(event);
    head = await appendEvent({
      tx,
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

    const atDate = new Date(at);
    // The actor's own open assignment for this case is done.
    if (args.actorId && (cmd.type === 'read.submit' || cmd.type === 'adjudication.decide')) {
      await tx
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
    }
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
    for (const effect of result.effects) await handle(tx, effect, ectx);
    const to = stateName(result.snapshot);
    await writeAudit(tx, {
      actorId: args.actorId,
      action: `workflow.${event.type}`,
      projectId: c.projectId,
      caseId: args.caseId,
      ip: args.ip ?? null,
      reason: reasonOf(cmd),
      details: { seq, from, to, ...(readId ? { readId } : {}), ...(evidenceId ? { evidenceId } : {}) },
    });
    await tx
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
      .where(eq(caseWorkflows.caseId, args.caseId));
    await syncRoundParticipants(tx, args.caseId, snapshot.context, result.snapshot.context);
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
