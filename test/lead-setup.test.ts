/** Project setup: create, validate a definition with clear errors, versions, pinned cases, description-only edits. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { makeUser } from './fixtures/base.ts';
import { invoke, request, sessionCookie } from './fixtures/app.ts';
import { cases, projectMembers, projectVersions } from '../db/schema.ts';
import { createProject, editVersionInPlace, listVersions, parseDefinition, saveNewVersion } from '../app/models/project-setup.server.ts';
import { AppError } from '../domain/errors.ts';
import { importManifest } from '../app/models/import.server.ts';
import { mammographyDefinition } from '../seed/demo-projects.ts';
import * as settingsRoute from '../app/routes/projects.$slug.settings.tsx';
import * as newRoute from '../app/routes/projects.new.tsx';

let t: TestDb;
let userId: string;
let cookie: string;
beforeAll(async () => {
  t = await createTestDb();
  // Creating projects needs the account flag (or admin); this user creates them.
  const u = await makeUser(t.db, { canCreateProjects: true });
  userId = u.id;
  cookie = await sessionCookie(u.email);
});
afterAll(async () => t?.dispose());

const texts = (def: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(def).map(([k, v]) => [k, JSON.stringify(v)])) as Record<'readerForm' | 'referenceStandard' | 'mapping' | 'truthPolicy', string>;

describe('project setup', () => {
  it('the new-project form creates a project with version 1 and its creator as lead; a taken address is a field error', async () => {
    const res = await invoke(
      newRoute.action as never,
      request('/projects/new', { cookie, form: { name: 'Breast study', slug: 'breast-study', description: '', licence: 'CC BY', template: 'birads_evidence' } }),
      {},
    );
    expect(res.status).toBe(302);
    expect(res.headers.get('Location')).toBe('/projects/breast-study/settings');
    const again = await invoke(
      newRoute.action as never,
      request('/projects/new', { cookie, form: { name: 'Breast study', slug: 'breast-study', template: 'birads_evidence' } }),
      {},
    );
    expect(again.status).toBe(409);
    expect((await again.json()).errors.slug[0]).toMatch(/taken/);
    const bad = await invoke(newRoute.action as never, request('/projects/new', { cookie, form: { name: 'x', slug: 'Bad Slug', template: 'nope' } }), {});
    expect(Object.keys((await bad.json()).errors).sort()).toEqual(['name', 'slug', 'template']);
  });

  it('validates a definition with messages naming the part and the JSON path', () => {
    const good = parseDefinition(texts(mammographyDefinition));
    expect(good.ok).toBe(true);
    const broken = parseDefinition({
      ...texts(mammographyDefinition),
      readerForm: '{"fields": [{"key": "Bad Key", "kind": "ordinal", "label": "x", "options": []}]}',
      mapping: '{nope',
    });
    expect(broken.ok).toBe(false);
    if (broken.ok) return;
    expect(broken.errors.mapping[0]).toMatch(/^Not valid JSON/);
    expect(broken.errors.readerForm.join('\n')).toMatch(/fields\.0\.key: use lowercase letters/);
    expect(broken.errors.readerForm.join('\n')).toMatch(/fields\.0\.options: /);
    const policy = parseDefinition({ ...texts(mammographyDefinition), truthPolicy: JSON.stringify({ readersPerCase: 2, rules: { nosuch: { type: 'unanimous' } } }) });
    expect(!policy.ok && policy.errors.truthPolicy[0]).toMatch(/unknown field "nosuch"/);
  });

  it('new versions pin new cases; a version with cases accepts only description edits in place', async () => {
    const p = await createProject({ name: 'Versions', slug: 'versions-test', description: '', licence: '', template: 'binary_panel', actorId: userId });
    const [m] = await t.db.select().from(projectMembers).where(eq(projectMembers.projectId, p.id));
    expect(m.role).toBe('lead');
    await importManifest({ projectId: p.id, text: 'case_id,patient_id,study_date\nV1,P1,2025-01-01\n', actorId: userId });
    const v1 = (await listVersions({ projectId: p.id }))[0];
    expect(v1).toMatchObject({ version: 1, cases: 1 });
    // Descriptions may change in place…
    const relabelled = structuredClone(v1.definition);
    relabelled.readerForm.fields[0].label = 'Is there a pneumothorax?';
    await editVersionInPlace({ projectId: p.id, version: 1, definition: relabelled, note: 'clearer wording', actorId: userId });
    // …structure may not.
    const changed = structuredClone(v1.definition);
    changed.truthPolicy.readersPerCase = 3;
    await expect(editVersionInPlace({ projectId: p.id, version: 1, definition: changed, note: '', actorId: userId })).rejects.toThrow(/only descriptions/);
    const v2 = await saveNewVersion({ projectId: p.id, definition: changed, note: 'three readers', actorId: userId });
    expect(v2).toBe(2);
    await expect(saveNewVersion({ projectId: p.id, definition: changed, note: 'three readers', actorId: userId })).rejects.toBeInstanceOf(AppError);
    await importManifest({ projectId: p.id, text: 'case_id,patient_id,study_date\nV2,P2,2025-01-02\n', actorId: userId });
    const rows = await t.db.select({ ext: cases.externalId, v: cases.projectVersion }).from(cases).where(eq(cases.projectId, p.id)).orderBy(cases.externalId);
    expect(rows).toEqual([
      { ext: 'V1', v: 1 },
      { ext: 'V2', v: 2 },
    ]);
    const [pv1] = await t.db.select().from(projectVersions).where(eq(projectVersions.projectId, p.id)).orderBy(projectVersions.version);
    expect((pv1.truthPolicy as { readersPerCase: number }).readersPerCase).toBe(2);
  });

  it('the settings action saves a new version, or answers 400 with errors per part and saves nothing', async () => {
    const res = await invoke(settingsRoute.loader as never, request('/projects/versions-test/settings', { cookie }), { slug: 'versions-test' });
    const page = await res.json();
    expect(page.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const form = { intent: 'save', baseVersion: '2', note: 'BI-RADS now', ...texts(mammographyDefinition) };
    const bad = await invoke(settingsRoute.action as never, request('/projects/versions-test/settings', { cookie, form: { ...form, truthPolicy: '[]' } }), {
      slug: 'versions-test',
    });
    expect(bad.status).toBe(400);
    const body = await bad.json();
    expect(body.errors.truthPolicy[0]).toMatch(/expected object/i);
    expect(body.errors._form[0]).toMatch(/Nothing was saved/);
    const ok = await invoke(settingsRoute.action as never, request('/projects/versions-test/settings', { cookie, form }), { slug: 'versions-test' });
    expect(ok.status).toBe(302);
    expect(ok.headers.get('Location')).toContain('?v=3');
  });
});
