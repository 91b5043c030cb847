/**
 * The rows that starting a case's workflow writes, computed without touching the database, so
 * an import can start thousands of cases with a few multi-row statements. It produces exactly
 * what `startCaseWorkflow` writes for a new case (findings, the chained start event, the
 * workflow row, its effects, the audit row); the runtime test compares the two.
 */
import { randomUUID } from 'node:crypto';
import { policyProblems } from './agreement-rules.ts';
import type { ProjectDefinition } from './definition.ts';
import { defaultRegistry, START_EVENT, startSnapshot, stateName, type MachineRegistry } from './engine.ts';
import { WorkflowError } from './errors.ts';
import { eventHash, GENESIS_HASH } from './hash-chain.ts';
import type { CaseInput } from './machine.ts';

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
  workflow: { caseId: string; machineVersion: string; snapshot: unknown; state: string; eventCount: number; headHash: string; updatedAt: Date };
  scheduled: { caseId: string; dueAt: Date; eventType: string; payload: Record<string, unknown>; createdAt: Date }[];
  audit: { actorId: string | null; action: string; projectId: string; caseId: string; details: Record<string, unknown>; at: Date };
};

export type CaseStarter = (c: { caseId: string; studyDate: string }) => StartRows;

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
  if (problems.length) throw new WorkflowError('invalid', `project version ${projectVersion}: ${problems.join('; ')}`);
  const defFindings = [...definition.readerForm.findings].sort((a, b) => a.key.localeCompare(b.key));
  const atDate = new Date(at);
  return ({ caseId, studyDate }) => {
    const findings = defFindings.map((f) => ({ id: randomUUID(), caseId, key: f.key, label: f.label, createdAt: atDate }));
    const input: CaseInput = {
      caseId,
      projectId,
      projectVersion,
      readerForm: definition.readerForm,
      truthPolicy: definition.truthPolicy,
      referenceStandard: definition.referenceStandard,
      mapping: definition.mapping,
      findings: findings.map((r) => ({ id: r.id, key: r.key })),
      startedAt: at,
    };
    const { snapshot, effects } = startSnapshot(registry, input);
    const payload = JSON.parse(JSON.stringify({ input })) as Record<string, unknown>;
    const clientRequestId = `start:${caseId}`;
    const hash = eventHash({ caseId, seq: 1, type: START_EVENT, payload, actorId, occurredAt: at, prevHash: GENESIS_HASH });
    const scheduled: StartRows['scheduled'] = [];
    for (const e of effects) {
      if (e.type !== 'schedule') throw new WorkflowError('invalid', `starting a case emitted ${e.type}, which a batch start does not write`);
      if (scheduled.some((s) => s.eventType === e.eventType)) continue;
      scheduled.push({ caseId, dueAt: new Date(Date.parse(`${studyDate}T00:00:00Z`) + e.dayAfterStudy * 86_400_000), eventType: e.eventType, payload: {}, createdAt: atDate });
    }
    return {
      findings,
      event: { caseId, seq: 1, type: START_EVENT, payload, actorId, occurredAt: at, machineVersion: registry.current, hash, prevHash: GENESIS_HASH, clientRequestId },
      workflow: { caseId, machineVersion: registry.current, snapshot, state: stateName(snapshot), eventCount: 1, headHash: hash, updatedAt: atDate },
      scheduled,
      audit: { actorId, action: `workflow.${START_EVENT}`, projectId, caseId, details: { seq: 1, machineVersion: registry.current }, at: atDate },
    };
  };
}
