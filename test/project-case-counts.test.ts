/**
 * The per-project case counter (project_case_counts, kept by statement-level triggers on cases)
 * equals a count over the project's cases after multi-row inserts, a withdrawal and a delete,
 * for two projects side by side; the reader's queue page and the cases list read it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { cases, patients, projectCaseCounts, projects, users } from '../db/schema.ts';
import { listCases, filtersFromUrl } from '../app/models/cases.server.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.dispose());

async function truth(projectId: string) {
  const rows = (await t.db.execute(
    sql`select count(*) filter (where withdrawn_at is null)::int as cases, count(*) filter (where withdrawn_at is not null)::int as withdrawn from cases where project_id = ${projectId}`,
  )) as unknown as { rows?: { cases: number; withdrawn: number }[] } & { cases: number; withdrawn: number }[];
  const [r] = rows.rows ?? rows;
  return { cases: Number(r.cases), withdrawn: Number(r.withdrawn) };
}
async function counter(projectId: string) {
  const [c] = await t.db.select().from(projectCaseCounts).where(eq(projectCaseCounts.projectId, projectId));
  return c ? { cases: c.cases, withdrawn: c.withdrawn } : { cases: 0, withdrawn: 0 };
}

describe('project case counter', () => {
  it('follows inserts, withdrawals and deletes of cases, per project', async () => {
    await t.db.insert(users).values({ id: 'owner', email: 'o@x.test', name: 'O', passwordHash: 'x' });
    const [a, b] = await t.db
      .insert(projects)
      .values([
        { slug: 'count-a', name: 'A', ownerId: 'owner' },
        { slug: 'count-b', name: 'B', ownerId: 'owner' },
      ])
      .returning({ id: projects.id });
    const add = async (projectId: string, n: number, tag: string) => {
      const pts = await t.db
        .insert(patients)
        .values(Array.from({ length: n }, (_, i) => ({ projectId, pseudonym: `${tag}-${i}` })))
        .returning({ id: patients.id });
      return t.db
        .insert(cases)
        .values(pts.map((p, i) => ({ projectId, patientId: p.id, projectVersion: 1, externalId: `${tag}-${i}`, studyDate: '2025-01-01' })))
        .returning({ id: cases.id });
    };
    const inA = await add(a.id, 7, 'a1');
    await add(b.id, 3, 'b1');
    await add(a.id, 5, 'a2');
    expect(await counter(a.id)).toEqual({ cases: 12, withdrawn: 0 });
    expect(await counter(b.id)).toEqual({ cases: 3, withdrawn: 0 });

    await t.db.update(cases).set({ withdrawnAt: new Date(), externalId: null, studyInstanceUid: null, images: [], metadata: {} }).where(eq(cases.id, inA[0].id));
    await t.db.update(cases).set({ modality: 'CT' }).where(eq(cases.projectId, a.id));
    await t.db.delete(cases).where(eq(cases.id, inA[1].id));
    expect(await counter(a.id)).toEqual(await truth(a.id));
    expect(await counter(a.id)).toEqual({ cases: 10, withdrawn: 1 });
    expect(await counter(b.id)).toEqual({ cases: 3, withdrawn: 0 });

    // The cases list's total comes from the counter without filters, and from a bounded count with them.
    const all = await listCases({ projectId: a.id, filters: filtersFromUrl(new URL('http://x/?')), db: t.db });
    expect(all).toMatchObject({ total: 10, totalCapped: false });
    const gone = await listCases({ projectId: a.id, filters: filtersFromUrl(new URL('http://x/?withdrawn=yes')), db: t.db });
    expect(gone).toMatchObject({ total: 1, totalCapped: false });
    const found = await listCases({ projectId: a.id, filters: filtersFromUrl(new URL('http://x/?q=a2-')), db: t.db });
    expect(found).toMatchObject({ total: 5, totalCapped: false });
  });
});
