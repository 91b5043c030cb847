/**
 * Pure stepping and replay over versioned machines: the runtime and `verify` share these, so
 * a case replayed from its events goes through exactly the code that advanced it.
 *
 * Versioning: every event records the machine version that processed it. Each version lives
 * frozen in workflows/machines/<version>/ with the rules it was cut with; a change is a new
 * version, the old one stays in the registry and a migration maps its persisted snapshots to
 * the new shape; the runtime appends a `workflow.migrate`
 * event before the next event of an old case, and replay applies the same migration there.
 */
import { createActor, initialTransition, transition, type AnyStateMachine } from 'xstate';
import { canonicalJson } from './canonical-json.ts';
import type { CaseContext, CaseEvent, CaseInput, Effect } from './machine.ts';
import { caseV2 } from './machines/case@2/index.ts';
import { caseV3 } from './machines/case@3/index.ts';
import { caseV4 } from './machines/case@4/index.ts';
import { caseV5 } from './machines/case@5/index.ts';
import type { ProjectDefinition } from './definition.ts';

export const START_EVENT = 'case.start';
export const MIGRATE_EVENT = 'workflow.migrate';

/** A persisted snapshot as stored in case_workflows.snapshot (plain JSON). */
export type PersistedSnapshot = { value: unknown; context: CaseContext; status: string; [k: string]: unknown };

/**
 * A migration from one machine version to the next. `data` (optional) picks what the migration
 * needs from the case's pinned project definition; the runtime records it in the migration
 * event's payload (`data`), so replay migrates with exactly the same input.
 */
export type Migration = {
  to: string;
  migrate(snapshot: PersistedSnapshot, data?: Record<string, unknown>): PersistedSnapshot;
  data?: (definition: ProjectDefinition) => Record<string, unknown>;
};

/**
 * One frozen machine version (workflows/machines/<version>/): the machine and the refusal rule
 * `step` asks before it, both with the rules they were cut with.
 */
export type MachineVersion = {
  machine: AnyStateMachine;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each version has its own context and event types
  whyNot(context: any, event: any): string | null;
};

export type MachineRegistry = {
  current: string;
  machines: Record<string, MachineVersion>;
  /** Keyed by the version migrated from. */
  migrations: Record<string, Migration>;
};

/**
 * case@2 → case@3: same context shape (reads may now carry `late`), so the snapshot is kept as
 * it is. From the migration on, amendments after a dispute no longer re-evaluate the case.
 */
export const migrateV2toV3: Migration = {
  to: caseV3.version,
  migrate: (snapshot) => snapshot,
};

/**
 * case@3 → case@4: same context shape. From the migration on, marks items (none in a case@3
 * definition) would be matched by location; a case@3 case's reads hold no marks, so it decides as before.
 */
export const migrateV3toV4: Migration = {
  to: caseV4.version,
  migrate: (snapshot) => snapshot,
};

/**
 * case@4 → case@5: the context gains `evidenceHold` (null: not held). From the migration on, a
 * window.close for a window that had closed before the import is held; a case@4 case whose
 * window.close is still to come is treated the same way (the import day comes with the event).
 */
export const migrateV4toV5: Migration = {
  to: caseV5.version,
  migrate: (snapshot) => ({ ...snapshot, context: { ...snapshot.context, evidenceHold: null } }),
};

export const defaultRegistry: MachineRegistry = {
  current: caseV5.version,
  machines: { [caseV2.version]: caseV2, [caseV3.version]: caseV3, [caseV4.version]: caseV4, [caseV5.version]: caseV5 },
  migrations: { [caseV2.version]: migrateV2toV3, [caseV3.version]: migrateV3toV4, [caseV4.version]: migrateV4toV5 },
};

export class ReplayError extends Error {}

function versionOf(registry: MachineRegistry, version: string): MachineVersion {
  const m = registry.machines[version];
  if (!m) throw new ReplayError(`unknown machine version ${version}`);
  return m;
}
function machineOf(registry: MachineRegistry, version: string): AnyStateMachine {
  return versionOf(registry, version).machine;
}

export function stateName(snapshot: PersistedSnapshot): string {
  return typeof snapshot.value === 'string' ? snapshot.value : (Object.keys(snapshot.value as object)[0] ?? String(snapshot.value));
}

function effectsOf(actions: { type: string; params?: unknown }[]): Effect[] {
  return actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: Effect }).event);
}

/** JSON round trip: what the database will give back (drops undefined, normalises). */
function plain<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

export function startSnapshot(registry: MachineRegistry, input: CaseInput): { snapshot: PersistedSnapshot; effects: Effect[] } {
  const machine = machineOf(registry, registry.current);
  const [snap, actions] = initialTransition(machine, input);
  return { snapshot: plain(machine.getPersistedSnapshot(snap)) as unknown as PersistedSnapshot, effects: effectsOf(actions as never) };
}

export type StepResult = { ok: true; snapshot: PersistedSnapshot; effects: Effect[] } | { ok: false; reason: string };

/** Which event types a state accepts at all (its own transitions; the machine has no root-level ones). */
export function acceptedEventTypes(machine: AnyStateMachine, state: string): string[] {
  const node = (machine.states as Record<string, { on: Record<string, unknown> }>)[state];
  return node ? Object.keys(node.on) : [];
}

export function step(registry: MachineRegistry, version: string, snapshot: PersistedSnapshot, event: CaseEvent): StepResult {
  const { machine, whyNot } = versionOf(registry, version);
  const state = stateName(snapshot);
  if (!acceptedEventTypes(machine, state).includes(event.type)) return { ok: false, reason: `the case is in ${state}, which does not accept ${event.type}` };
  const why = whyNot(snapshot.context, event);
  if (why) return { ok: false, reason: why };
  const current = createActor(machine, { snapshot: snapshot as never }).getSnapshot();
  const [next, actions] = transition(machine, current, event as never);
  if (next === current) return { ok: false, reason: `the case in ${state} refused ${event.type}` };
  return { ok: true, snapshot: plain(machine.getPersistedSnapshot(next)) as unknown as PersistedSnapshot, effects: effectsOf(actions as never) };
}

export function migrateSnapshot(registry: MachineRegistry, from: string, snapshot: PersistedSnapshot, data?: Record<string, unknown>): { to: string; snapshot: PersistedSnapshot } {
  const m = registry.migrations[from];
  if (!m) throw new ReplayError(`no migration from machine version ${from}`);
  return { to: m.to, snapshot: plain(m.migrate(snapshot, data)) };
}

/** The chain of migrations from `from` to the registry's current version. */
export function migrationPath(registry: MachineRegistry, from: string): { from: string; to: string }[] {
  const out: { from: string; to: string }[] = [];
  let v = from;
  while (v !== registry.current) {
    const m = registry.migrations[v];
    if (!m) throw new ReplayError(`no migration from machine version ${v} towards ${registry.current}`);
    out.push({ from: v, to: m.to });
    v = m.to;
    if (out.length > 100) throw new ReplayError('migration cycle');
  }
  return out;
}

export type RecordedEvent = {
  seq: number;
  type: string;
  payload: Record<string, unknown>;
  actorId: string | null;
  occurredAt: string;
  machineVersion: string;
};

/** The machine event a recorded event stands for. */
export function toMachineEvent(e: RecordedEvent): CaseEvent {
  return { ...e.payload, type: e.type, at: e.occurredAt, actorId: e.actorId } as CaseEvent;
}

/** The payload recorded for a machine event: everything but type, time and actor (hashed separately). */
export function toPayload(event: CaseEvent): Record<string, unknown> {
  const { type: _t, at: _a, actorId: _u, ...rest } = event;
  return plain(rest);
}

/** Rebuilds a case from its events (ordered by seq). Throws ReplayError naming the event that fails. */
export function replay(registry: MachineRegistry, events: RecordedEvent[]): { snapshot: PersistedSnapshot; machineVersion: string } {
  const [first, ...rest] = events;
  if (!first || first.type !== START_EVENT) throw new ReplayError(`event 1 is ${first?.type ?? 'missing'}, not ${START_EVENT}`);
  let version = first.machineVersion;
  const machine = machineOf(registry, version);
  const [snap] = initialTransition(machine, (first.payload as { input: CaseInput }).input);
  let snapshot = plain(machine.getPersistedSnapshot(snap)) as unknown as PersistedSnapshot;
  for (const e of rest) {
    if (e.type === MIGRATE_EVENT) {
      const { from, to, data } = e.payload as { from: string; to: string; data?: Record<string, unknown> };
      if (from !== version) throw new ReplayError(`event ${e.seq} migrates from ${from} but the case is at ${version}`);
      const m = migrateSnapshot(registry, from, snapshot, data);
      if (m.to !== to) throw new ReplayError(`event ${e.seq} migrates to ${to} but the migration leads to ${m.to}`);
      snapshot = m.snapshot;
      version = to;
      continue;
    }
    if (e.machineVersion !== version) throw new ReplayError(`event ${e.seq} was processed by ${e.machineVersion} but the case was at ${version}`);
    const r = step(registry, version, snapshot, toMachineEvent(e));
    if (!r.ok) throw new ReplayError(`event ${e.seq} (${e.type}) is refused on replay: ${r.reason}`);
    snapshot = r.snapshot;
  }
  return { snapshot, machineVersion: version };
}

export function sameSnapshot(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
