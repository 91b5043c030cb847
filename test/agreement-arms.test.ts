/**
 * The agreement dashboard filtered by a reader study's arm: inter-reader κ and intra-reader
 * (re-read) κ per arm differ from each other and from the pooled figures, and equal a hand
 * computation of Cohen's κ (po − pe) / (1 − pe) on the same answers. Each arm's figures are their
 * own cache row, and the page's loader reads the arm asked for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { buildProject, pneumothoraxDefinition, rid } from './fixtures/workflow.ts';
import { testPasswordHash } from './fixtures/base.ts';
import { invoke, request, sessionCookie } from './fixtures/app.ts';
import { projects, statsCache, studyUnits, users } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { projectDefinitionSchema } from '../workflows/definition.ts';
import { setUpStudyUnits } from '../app/models/study.server.ts';
import { AgreementUnavailable, computeAgreement, dashboardCacheKey, dashboardForPage, getAgreementDashboard, projectAgreement } from '../app/models/agreement.server.ts';
import * as agreementRoute from '../app/routes/projects.$slug.agreement.tsx';

const DAY = 86_400_000;
const T = Date.parse('2025-03-03T09:00:00Z');
const at = (d: number, min = 0) => new Date(T + d * DAY + min * 60_000).toISOString();

const base = pneumothoraxDefinition();
const definition = projectDefinitionSchema.parse({
  ...base,
  truthPolicy: { ...base.truthPolicy, readersPerCase: 2 },
  study: {
    arms: [
      { key: 'unaided', label: 'Unaided' },
      { key: 'aided', label: 'Aided by AI', aided: true },
    ],
    washoutDays: 14,
    rereadShare: 0.5,
    rereadArms: 'every',
  },
});

/** Cohen's κ of two raters' binary answers, by hand: (po − pe) / (1 − pe); null when pe = 1. */
function kappa(pairs: [boolean, boolean][]): number | null {
  const n = pairs.length;
  const po = pairs.filter(([a, b]) => a === b).length / n;
  const a1 = pairs.filter(([a]) => a).length / n;
  const b1 = pairs.filter(([, b]) => b).length / n;
  const pe = a1 * b1 + (1 - a1) * (1 - b1);
  return pe === 1 ? null : (po - pe) / (1 - pe);
}

// Eight clinical cases; reader A the same in both arms, reader B closer to A when aided.
const A = [true, true, true, true, false, false, false, false];
const B = { unaided: [true, true, false, false, false, false, false, false], aided: [true, true, true, true, false, false, false, true] };

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.dispose());

describe('agreement per arm of a reader study', () => {
  it('inter- and intra-reader κ per arm match a hand computation and are cached per arm', async () => {
    const f = await buildProject(t.db, { definition, cases: 8, readers: 2 });
    const [ra, rb] = f.readers;
    await setUpStudyUnits({ projectId: f.projectId, actorId: f.lead, at: at(0) });
    const units = await t.db.select().from(studyUnits).where(eq(studyUnits.projectId, f.projectId));
    const sources = [...new Set(units.map((u) => u.sourceKey))].sort();
    expect(sources).toHaveLength(8);
    const idx = (key: string) => sources.indexOf(key);
    const read = (caseId: string, reader: string, value: boolean, day: number) =>
      sendCaseEvent({ db: t.db, caseId, actorId: reader, event: { type: 'read.submit', values: { pneumothorax: value } }, clientRequestId: rid(), at: at(day) });
    for (const u of units.filter((x) => x.kind === 'study')) {
      const arm = u.arm as 'unaided' | 'aided';
      const day = arm === 'unaided' ? 1 : 20;
      await read(u.caseId, ra, A[idx(u.sourceKey)], day);
      await read(u.caseId, rb, B[arm][idx(u.sourceKey)], day);
    }
    // Re-reads after the washout: A repeats every unaided answer and flips the first aided
    // re-read; B repeats everything.
    const rereads = units.filter((x) => x.kind === 'reread').sort((x, y) => idx(x.sourceKey) - idx(y.sourceKey));
    expect(rereads.filter((u) => u.arm === 'unaided')).toHaveLength(4);
    expect(rereads.filter((u) => u.arm === 'aided')).toHaveLength(4);
    const intraPairs = { unaided: [] as [boolean, boolean][], aided: [] as [boolean, boolean][] };
    let flipped = false;
    for (const u of rereads) {
      const arm = u.arm as 'unaided' | 'aided';
      const first = A[idx(u.sourceKey)];
      const again = arm === 'aided' && !flipped ? !first : first;
      if (arm === 'aided') flipped = true;
      intraPairs[arm].push([first, again]);
      await read(u.caseId, ra, again, 40);
      await read(u.caseId, rb, B[arm][idx(u.sourceKey)], 40);
    }

    const pairsOf = (arm: 'unaided' | 'aided') => A.map((a, i): [boolean, boolean] => [a, B[arm][i]]);
    const want = { unaided: kappa(pairsOf('unaided'))!, aided: kappa(pairsOf('aided'))!, all: kappa([...pairsOf('unaided'), ...pairsOf('aided')])! };
    expect(want).toEqual({ unaided: 0.5, aided: 0.75, all: 0.625 });

    const cohen = (d: Awaited<ReturnType<typeof computeAgreement>>) => d!.fields[0].headline.find((h) => h.id === 'cohen_kappa')!.value!;
    const all = await computeAgreement({ projectId: f.projectId, version: 1, db: t.db });
    const un = await computeAgreement({ projectId: f.projectId, version: 1, arm: 'unaided', db: t.db });
    const ai = await computeAgreement({ projectId: f.projectId, version: 1, arm: 'aided', db: t.db });
    expect(all!.arm).toBeNull();
    expect(all!.arms.map((a) => a.key)).toEqual(['unaided', 'aided']);
    expect(un!.arm?.label).toBe('Unaided');
    // Re-read copies never count: 16 study units pooled, 8 per arm.
    expect([all!.cases, un!.cases, ai!.cases]).toEqual([16, 8, 8]);
    expect(cohen(un)).toBeCloseTo(want.unaided, 12);
    expect(cohen(ai)).toBeCloseTo(want.aided, 12);
    expect(cohen(all)).toBeCloseTo(want.all, 12);
    expect(un!.readers.map((r) => r.reads)).toEqual([8, 8]);
    // An arm the study does not have is the pooled view, not an empty one.
    expect((await computeAgreement({ projectId: f.projectId, version: 1, arm: 'nope', db: t.db }))!.cases).toBe(16);

    // Intra-reader κ of reader A: identical re-reads unaided, one flip aided; pooled over both.
    const intraOf = (d: typeof all, reader: string) => d!.intra.find((i) => i.item === 'pneumothorax')!.readers.find((r) => r.readerId === reader)!;
    const aUn = intraOf(un, ra);
    const aAi = intraOf(ai, ra);
    const aAll = intraOf(all, ra);
    expect([aUn.n, aAi.n, aAll.n]).toEqual([4, 4, 8]);
    expect(aUn.agreement).toBe(1);
    expect(aAi.agreement).toBe(0.75);
    expect(aAll.agreement).toBe(7 / 8);
    const close = (got: number | null, exp: number | null) => (exp === null ? expect(got).toBeNull() : expect(got).toBeCloseTo(exp, 12));
    close(aUn.kappa, kappa(intraPairs.unaided));
    close(aAi.kappa, kappa(intraPairs.aided));
    close(aAll.kappa, kappa([...intraPairs.unaided, ...intraPairs.aided]));
    expect(intraOf(ai, rb).agreement).toBe(1);

    // Cached per arm: one row per view, and the page model reads the arm's row.
    for (const arm of [undefined, 'unaided', 'aided']) await getAgreementDashboard({ projectId: f.projectId, version: 1, arm, db: t.db });
    const rows = await t.db
      .select({ key: statsCache.key })
      .from(statsCache)
      .where(and(eq(statsCache.projectId, f.projectId), eq(statsCache.projectVersion, 1)));
    expect(rows.map((r) => r.key).sort()).toEqual([dashboardCacheKey(null), dashboardCacheKey('aided'), dashboardCacheKey('unaided')].sort());
    const page = await dashboardForPage({ projectId: f.projectId, version: 1, arm: 'aided', db: t.db });
    expect(page.stale).toBe(false);
    expect(page.dash?.arm?.key).toBe('aided');
    expect(page.dash!.fields[0].headline.find((h) => h.id === 'cohen_kappa')!.value).toBeCloseTo(want.aided, 12);

    // The lead's page: the arm filter and the arm's figures.
    await t.db
      .update(users)
      .set({ passwordHash: await testPasswordHash() })
      .where(eq(users.id, f.lead));
    const [lead] = await t.db.select().from(users).where(eq(users.id, f.lead));
    const [p] = await t.db.select().from(projects).where(eq(projects.id, f.projectId));
    const cookie = await sessionCookie(lead.email);
    const res = await invoke(agreementRoute.loader as never, request(`/projects/${p.slug}/agreement?arm=unaided`, { cookie }), { slug: p.slug });
    const data = await res.json();
    expect(data.arm.key).toBe('unaided');
    expect(data.arms.map((a: { label: string }) => a.label)).toEqual(['Unaided', 'Aided by AI']);
    expect(data.dash.fields[0].headline.find((h: { id: string }) => h.id === 'cohen_kappa').value).toBeCloseTo(want.unaided, 12);
    expect(data.dash.intra[0].readers.find((r: { readerId: string }) => r.readerId === ra).n).toBe(4);

    // The API's document per arm: the same κ as the page; an unknown arm is refused, never widened to all.
    const cohenOf = (r: Awaited<ReturnType<typeof projectAgreement>>) => r.report.statistics.find((x) => x.id === 'cohen_kappa')!.value as number;
    const apiAided = await projectAgreement({ projectId: f.projectId, arm: 'aided', db: t.db });
    expect(apiAided.arm).toBe('aided');
    expect(cohenOf(apiAided)).toBeCloseTo(want.aided, 12);
    expect(cohenOf(await projectAgreement({ projectId: f.projectId, arm: 'unaided', db: t.db }))).toBeCloseTo(want.unaided, 12);
    expect(cohenOf(await projectAgreement({ projectId: f.projectId, db: t.db }))).toBeCloseTo(want.all, 12);
    const refused = await projectAgreement({ projectId: f.projectId, arm: 'placebo', db: t.db }).catch((e) => e);
    expect(refused).toBeInstanceOf(AgreementUnavailable);
    expect(refused.reason).toBe('unknown_arm');
    expect(refused.message).toContain('arms: unaided, aided');
  });
});
