/**
 * The rows that starting a case's workflow writes, computed without touching the database, so
 * an import can start thousands of cases with a few multi-row statements. It produces exactly
 * what `startCaseWorkflow` writes for a new case (findings, the chained start event, the
 * workflow row, its effects, the audit row); the runtime test compares the two.
 */
import { randomUUID } from 'node:crypto';
import { policyProblems } from './agreement-rules.ts';
import type { ProjectDefinition } from './definition.ts';
import { canonicalJson, sha256Hex } from './canonical-json.ts';
import { defaultRegistry, START_EVENT, startSnapshot, stateName, type MachineRegistry, type PersistedSnapshot } from './engine.ts';
import { AppError } from '../domain/errors.ts';
import { GENESIS_HASH } from './hash-chain.ts';
import type { CaseContext, CaseInput, Effect } from './machine.ts';
import { queueColumns, type QueueColumns } from './queue-columns.ts';

export type StartRows = {
  findings: { id: string; caseId: string; key: string; label: string; createdAt: Date }[];
  event: {
    caseId: string;
    seq: number;
    type: string;
    payload: Record<string, unknown>;
    actorId: string | null;
    occurredAt: string;
    machineVersion: string;
    hash: string;
    prevHash: string;
    clientRequestId: string;
  };
  /** With the queue columns the runtime keeps (the order key, which needs SQL for a fixed order, is set by the writer). */
  workflow: { caseId: string; projectId: string; machineVersion: string; snapshot: unknown; state: string; eventCount: number; headHash: string; updatedAt: Date } & QueueColumns;
  scheduled: { caseId: string; dueAt: Date; eventType: string; payload: Record<string, unknown>; createdAt: Date }[];
  audit: { actorId: string | null; action: string; projectId: string; caseId: string; details: Record<string, unknown>; at: Date };
};

export type CaseStarter = ((c: { caseId: string; studyDate: string }) => StartRows) & {
  /**
   * The serialised start snapshot and event payload with placeholder ids, for writers that fill
   * them in SQL (`replace(text, token, id)`) rather than send every case's copy.
   */
  template: { caseToken: string; findingTokens: string[]; snapshotText: string; payloadText: string; caseOrder: 'random' | 'fixed' };
  /** Everything but the snapshot and the payload (filled from the template). */
  lean(c: { caseId: string; studyDate: string }): Omit<StartRows, 'event' | 'workflow'> & {
    event: Omit<StartRows['event'], 'payload'>;
    workflow: Omit<StartRows['workflow'], 'snapshot'>;
  };
};

/** Checks the pinned definition once and returns a function that builds each case's start rows. */
export function caseStarter({
  projectId,
  projectVersion,
  definition,
  actorId,
  at,
  registry = defaultRegistry,
}: {
  projectId: string;
  projectVersion: number;
  definition: ProjectDefinition;
  actorId: string | null;
  at: string;
  registry?: MachineRegistry;
}): CaseStarter {
  const problems = policyProblems(definition.readerForm, definition.truthPolicy);
  if (problems.length) throw new AppError('invalid', `project version ${projectVersion}: ${problems.join('; ')}`);
  const defFindings = [...definition.readerForm.findings].sort((a, b) => a.key.localeCompare(b.key));
  const atDate = new Date(at);
  // The machine is pure and treats ids as opaque values: start it once on placeholder ids, then
  // put each case's ids into the serialised snapshot and payload (the verify replay checks this).
  const CASE = '00000000-0000-4000-8000-00000000ca5e';
  const FINDING = defFindings.map((_, i) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, 'f')}`);
  const templateInput: CaseInput = {
    caseId: CASE,
    projectId,
    projectVersion,
    readerForm: definition.readerForm,
    truthPolicy: definition.truthPolicy,
    referenceStandard: definition.referenceStandard,
    mapping: definition.mapping,
    findings: defFindings.map((f, i) => ({ id: FINDING[i], key: f.key })),
    startedAt: at,
  };
  const template = startSnapshot(registry, templateInput);
  const snapshotText = JSON.stringify(template.snapshot);
  const payloadText = JSON.stringify({ input: templateInput });
  const chainedText = canonicalJson({ case: CASE, seq: 1, type: START_EVENT, payload: JSON.parse(payloadText), actor: actorId, time: at, prev: GENESIS_HASH });
  const state = stateName(template.snapshot);
  // Ids do not enter the queue columns, so the template's are every case's.
  const queue = queueColumns(state, template.snapshot.context as CaseContext);
  const fill = (text: string, caseId: string, ids: string[]) => {
    let out = text.split(CASE).join(caseId);
    FINDING.forEach((f, i) => (out = out.split(f).join(ids[i])));
    return out;
  };
  for (const e of template.effects) if (e.type !== 'schedule') throw new AppError('invalid', `starting a case emitted ${e.type}, which a batch start does not write`);
  const schedules = template.effects.filter((e, i, all) => e.type === 'schedule' && all.findIndex((x) => x.type === 'schedule' && x.eventType === e.eventType) === i) as Extract<
    Effect,
    { type: 'schedule' }
  >[];
  const lean: CaseStarter['lean'] = ({ caseId, studyDate }) => {
    const ids = defFindings.map(() => randomUUID());
    const findings = defFindings.map((f, i) => ({ id: ids[i], caseId, key: f.key, label: f.label, createdAt: atDate }));
    const hash = sha256Hex(fill(chainedText, caseId, ids));
    return {
      findings,
      event: { caseId, seq: 1, type: START_EVENT, actorId, occurredAt: at, machineVersion: registry.current, hash, prevHash: GENESIS_HASH, clientRequestId: `start:${caseId}` },
      workflow: { caseId, projectId, machineVersion: registry.current, state, eventCount: 1, headHash: hash, updatedAt: atDate, ...queue },
      scheduled: schedules.map((e) => ({
        caseId,
        dueAt: new Date(Date.parse(`${studyDate}T00:00:00Z`) + e.dayAfterStudy * 86_400_000),
        eventType: e.eventType,
        payload: {},
        createdAt: atDate,
      })),
      audit: { actorId, action: `workflow.${START_EVENT}`, projectId, caseId, details: { seq: 1, machineVersion: registry.current }, at: atDate },
    };
  };
  const full = ({ caseId, studyDate }: { caseId: string; studyDate: string }): StartRows => {
    const ids = defFindings.map(() => randomUUID());
    const findings = defFindings.map((f, i) => ({ id: ids[i], caseId, key: f.key, label: f.label, createdAt: atDate }));
    const snapshot = JSON.parse(fill(snapshotText, caseId, ids)) as PersistedSnapshot;
    const payload = JSON.parse(fill(payloadText, caseId, ids)) as Record<string, unknown>;
    const hash = sha256Hex(fill(chainedText, caseId, ids));
    const scheduled: StartRows['scheduled'] = schedules.map((e) => ({
      caseId,
      dueAt: new Date(Date.parse(`${studyDate}T00:00:00Z`) + e.dayAfterStudy * 86_400_000),
      eventType: e.eventType,
      payload: {},
      createdAt: atDate,
    }));
    return {
      findings,
      event: {
        caseId,
        seq: 1,
        type: START_EVENT,
        payload,
        actorId,
        occurredAt: at,
        machineVersion: registry.current,
        hash,
        prevHash: GENESIS_HASH,
        clientRequestId: `start:${caseId}`,
      },
      workflow: { caseId, projectId, machineVersion: registry.current, snapshot, state, eventCount: 1, headHash: hash, updatedAt: atDate, ...queue },
      scheduled,
      audit: { actorId, action: `workflow.${START_EVENT}`, projectId, caseId, details: { seq: 1, machineVersion: registry.current }, at: atDate },
    };
  };
  return Object.assign(full, {
    lean,
    template: {
      caseToken: CASE,
      findingTokens: FINDING,
      snapshotText,
      payloadText,
      caseOrder: definition.truthPolicy.caseOrder === 'fixed' ? ('fixed' as const) : ('random' as const),
    },
  });
}
