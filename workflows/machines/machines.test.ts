/**
 * Every machine version still replays its committed event logs to the very same snapshot and
 * effects. A failure here means a change reached a version that cases were recorded under:
 * undo it, and cut a new version instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../canonical-json.ts';
import { defaultRegistry, replay, startSnapshot, step, toMachineEvent, type PersistedSnapshot } from '../engine.ts';
import type { Fixture } from './fixtures/record.ts';
import { STATE_TAGS, WORKFLOW_STATES } from '../../domain/workflow-states.ts';
import { caseMachine } from '../machine.ts';

const dir = new URL('./fixtures/', import.meta.url);
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Fixture);

describe('frozen machine versions', () => {
  it('every version in the registry has a fixture, and every fixture a version', () => {
    expect(fixtures.map((f) => f.version).sort()).toEqual(Object.keys(defaultRegistry.machines).sort());
  });

  for (const f of fixtures) {
    describe(f.version, () => {
      for (const c of f.cases) {
        it(`replays "${c.name}" to the recorded snapshot and effects`, () => {
          expect(c.events.every((e) => e.machineVersion === f.version)).toBe(true);
          const { snapshot, machineVersion } = replay(defaultRegistry, c.events);
          expect(machineVersion).toBe(f.version);
          expect(sha256Hex(canonicalJson(snapshot))).toBe(c.snapshotHash);

          // The effects are what the runtime wrote to the database: they must not drift either.
          const [first, ...rest] = c.events;
          let s: PersistedSnapshot = startSnapshot({ ...defaultRegistry, current: f.version }, (first.payload as { input: never }).input).snapshot;
          const effects: unknown[] = [];
          for (const e of rest) {
            const r = step(defaultRegistry, f.version, s, toMachineEvent(e));
            if (!r.ok) throw new Error(`event ${e.seq}: ${r.reason}`);
            s = r.snapshot;
            effects.push(r.effects);
          }
          expect(sha256Hex(canonicalJson(effects))).toBe(c.effectsHash);
        });
      }
    });
  }
});

describe('the current machine and the workflow vocabulary', () => {
  it("has exactly the vocabulary's states, each tagged as the vocabulary says", () => {
    const nodes = caseMachine.states as Record<string, { tags: string[] }>;
    expect(Object.keys(nodes).sort()).toEqual([...WORKFLOW_STATES].sort());
    for (const s of WORKFLOW_STATES) expect([...nodes[s].tags].sort(), s).toEqual([...STATE_TAGS[s]].sort());
  });
});
