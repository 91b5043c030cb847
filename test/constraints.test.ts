/** Each constraint of db/schema.ts rejects the bad state it exists for. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { makeCase, makeProject, makeUser } from './fixtures/base.ts';
import * as s from '../db/schema.ts';

let t: TestDb;
let userId: string;
let projectId: string;
let caseId: string;

beforeAll(async () => {
  t = await createTestDb();
  userId = (await makeUser(t.db)).id;
  projectId = (await makeProject(t.db, { owner: userId })).id;
  caseId = (await makeCase(t.db, projectId)).id;
});
afterAll(async () => t?.dispose());

/** Runs in a savepoint so one rejected insert doesn't poison the next assertion. */
async function rejects(fn: (tx: TestDb['db']) => Promise<unknown>, pattern: RegExp) {
  let err: unknown;
  try {
    await t.db.transaction(async (tx) => {
      await fn(tx as unknown as TestDb['db']);
    });
  } catch (e) {
    err = e;
  }
  expect(err, 'expected the database to reject this').toBeDefined();
  const msg = String((err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message) + String((err as Error).message);
  expect(msg).toMatch(pattern);
}

const evt = (seq: number, crid: string = randomUUID()) => ({
  caseId,
  seq,
  type: 'X',
  payload: {},
  occurredAt: new Date().toISOString(),
  machineVersion: '1',
  hash: 'h',
  prevHash: 'p',
  clientRequestId: crid,
});

describe('constraints', () => {
  it('foreign keys: a read of a case that does not exist', async () => {
    await rejects((db) => db.insert(s.reads).values({ caseId: randomUUID(), source: 'import', values: {}, clientRequestId: randomUUID() }), /foreign key/);
  });
  it('unique (case, seq) on workflow events', async () => {
    await t.db.insert(s.workflowEvents).values(evt(1));
    await rejects((db) => db.insert(s.workflowEvents).values(evt(1)), /workflow_events_case_seq/);
  });
  it('event seq starts at 1', async () => {
    await rejects((db) => db.insert(s.workflowEvents).values(evt(0)), /workflow_events_seq_positive/);
  });
  it('unique client request id on reads and events', async () => {
    const crid = randomUUID();
    await t.db.insert(s.reads).values({ caseId, source: 'reader', authorId: userId, values: { a: true }, clientRequestId: crid });
    await rejects((db) => db.insert(s.reads).values({ caseId, source: 'reader', authorId: userId, values: { a: false }, clientRequestId: crid }), /reads_client_request_key/);
    await t.db.insert(s.workflowEvents).values(evt(2, crid + 'e'));
    await rejects((db) => db.insert(s.workflowEvents).values(evt(3, crid + 'e')), /workflow_events_client_request_key/);
  });
  it('unique (subject, version) on truth labels, for case-level (null finding) too', async () => {
    const row = { caseId, version: 1, state: 'pending' as const, method: 'test', policyVersion: 1 };
    await t.db.insert(s.truthLabels).values(row);
    await rejects((db) => db.insert(s.truthLabels).values(row), /truth_labels_subject_version/);
  });
  it('one open assignment per case, person and role (closed ones may repeat)', async () => {
    await t.db.insert(s.assignments).values({ caseId, userId, role: 'reader' });
    await rejects((db) => db.insert(s.assignments).values({ caseId, userId, role: 'reader' }), /assignments_one_open/);
    await t.db.update(s.assignments).set({ status: 'expired', closedAt: new Date() }).where(eq(s.assignments.caseId, caseId));
    await t.db.insert(s.assignments).values({ caseId, userId, role: 'reader' });
  });
  it('enum checks refuse unknown values', async () => {
    await rejects((db) => db.insert(s.reads).values({ caseId, source: 'guess' as never, values: {}, clientRequestId: randomUUID() }), /invalid input value for enum/);
    await rejects((db) => db.insert(s.truthLabels).values({ caseId, version: 9, state: 'maybe' as never, method: 'x', policyVersion: 1 }), /invalid input value for enum/);
  });
  it('a cannot-assess read needs a reason; an amendment needs a reason; a reader read needs an author', async () => {
    await rejects((db) => db.insert(s.reads).values({ caseId, source: 'reader', authorId: userId, values: null, clientRequestId: randomUUID() }), /reads_cannot_assess_reason/);
    const [r] = await t.db
      .insert(s.reads)
      .values({ caseId, source: 'reader', authorId: userId, values: { a: 1 }, clientRequestId: randomUUID() })
      .returning();
    await rejects(
      (db) => db.insert(s.reads).values({ caseId, source: 'reader', authorId: userId, values: { a: 2 }, supersedesId: r.id, clientRequestId: randomUUID() }),
      /reads_amend_reason/,
    );
    await rejects((db) => db.insert(s.reads).values({ caseId, source: 'reader', values: { a: 2 }, clientRequestId: randomUUID() }), /reads_human_author/);
  });
  it('emails are stored lower-case and unique', async () => {
    await rejects((db) => db.insert(s.users).values({ id: randomUUID(), email: 'Mixed@Example.org', passwordHash: 'x' }), /users_email_lowercase/);
    await makeUser(t.db, { email: 'dup@example.org' });
    await rejects((db) => db.insert(s.users).values({ id: randomUUID(), email: 'dup@example.org', passwordHash: 'x' }), /users_email_key/);
  });
  it('a withdrawn case keeps no identifying ids', async () => {
    await rejects((db) => db.update(s.cases).set({ withdrawnAt: new Date() }).where(eq(s.cases.id, caseId)), /cases_withdrawn_purged/);
  });
  it('project slugs are URL-safe and versions unique', async () => {
    await rejects((db) => db.insert(s.projects).values({ slug: 'Bad Slug!', name: 'x', ownerId: userId }), /projects_slug_format/);
    await rejects(
      (db) => db.insert(s.projectVersions).values({ projectId, version: 1, readerForm: {}, referenceStandard: {}, mapping: {}, truthPolicy: {} }),
      /project_versions_project_version_key/,
    );
  });
});
