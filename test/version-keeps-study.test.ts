/**
 * Saving a definition from the settings page or the definition editor keeps the project's
 * reader-study design: those pages edit the four parts, and a saved version without the study
 * would silently turn the study project into a plain one (assignment reads the newest version).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { makeUser } from './fixtures/base.ts';
import { BASE, invoke, request, sessionCookie } from './fixtures/app.ts';
import { projectVersions } from '../db/schema.ts';
import { createProject, editVersionInPlace, listVersions, saveNewVersion } from '../app/models/project-setup.server.ts';
import { pneumothoraxDefinition } from '../seed/demo-projects.ts';
import { projectDefinitionSchema, studySchema } from '../workflows/definition.ts';
import * as settingsRoute from '../app/routes/projects.$slug.settings.tsx';
import * as setupRoute from '../app/routes/projects.$slug.setup.tsx';

const PARTS = ['readerForm', 'referenceStandard', 'mapping', 'truthPolicy'] as const;
const design = {
  arms: [
    { key: 'unaided', label: 'Unaided' },
    { key: 'aided', label: 'Aided by AI', aided: true },
  ],
  washoutDays: 14,
};

let t: TestDb;
let cookie: string;
let userId: string;
let projectId: string;
beforeAll(async () => {
  t = await createTestDb();
  const u = await makeUser(t.db, { canCreateProjects: true });
  userId = u.id;
  cookie = await sessionCookie(u.email);
  projectId = (await createProject({ name: 'Study keep', slug: 'study-keep', description: '', licence: '', template: 'binary_panel', actorId: u.id })).id;
  await saveNewVersion({ projectId, definition: projectDefinitionSchema.parse({ ...pneumothoraxDefinition, study: design }), note: 'a reader study', actorId: u.id });
});
afterAll(async () => t?.dispose());

const studyOf = async (version: number) =>
  (
    await t.db
      .select({ study: projectVersions.study })
      .from(projectVersions)
      .where(and(eq(projectVersions.projectId, projectId), eq(projectVersions.version, version)))
  )[0]?.study as { arms: { key: string }[]; washoutDays: number } | null;
const texts = (def: Record<string, unknown>) => Object.fromEntries(PARTS.map((p) => [p, JSON.stringify(def[p])]));

describe('a saved definition version keeps the study design', () => {
  it('the settings page: a new version and an in-place description edit keep the arms and washout', async () => {
    const v2 = (await listVersions({ projectId })).find((v) => v.version === 2)!;
    expect(v2.definition.study?.washoutDays).toBe(14);
    const def = structuredClone(pneumothoraxDefinition);
    def.readerForm.fields[0].label = 'Pneumothorax present?';
    const res = await invoke(
      settingsRoute.action as never,
      request('/projects/study-keep/settings', { cookie, form: { intent: 'save', baseVersion: '2', note: 'reworded', ...texts(def) } }),
      { slug: 'study-keep' },
    );
    expect(res.status).toBe(302);
    expect(res.headers.get('Location')).toContain('?v=3');
    expect((await studyOf(3))?.arms.map((a) => a.key)).toEqual(['unaided', 'aided']);
    expect((await studyOf(3))?.washoutDays).toBe(14);

    def.readerForm.fields[0].label = 'Is there a pneumothorax?';
    const inPlace = await invoke(
      settingsRoute.action as never,
      request('/projects/study-keep/settings', { cookie, form: { intent: 'describe', baseVersion: '3', note: 'reworded again', ...texts(def) } }),
      { slug: 'study-keep' },
    );
    expect(inPlace.status).toBe(302);
    expect((await studyOf(3))?.washoutDays).toBe(14);
  });

  it('the definition editor (JSON view): a new version keeps the study design', async () => {
    const def = structuredClone(pneumothoraxDefinition);
    def.readerForm.fields[0].label = 'Any pneumothorax?';
    const res = await invoke(
      setupRoute.action as never,
      new Request(`${BASE}/projects/study-keep/setup`, {
        method: 'POST',
        headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded', 'x-truthline-client-ip': '127.0.0.1' },
        body: new URLSearchParams([['view', 'json'], ['intent', 'save'], ['note', 'from the editor'], ...Object.entries(texts(def)).map(([k, v]) => [`json.${k}`, v])]),
      }),
      { slug: 'study-keep' },
    );
    expect(res.status).toBe(302);
    expect(res.headers.get('Location')).toBe('/projects/study-keep/setup?v=4');
    expect((await studyOf(4))?.arms.map((a) => a.key)).toEqual(['unaided', 'aided']);
  });

  it('the settings page shows the design as JSON and changes it only when told: a bad design is refused by path, empty removes it', async () => {
    const page = await (await invoke(settingsRoute.loader as never, request('/projects/study-keep/settings', { cookie }), { slug: 'study-keep' })).json();
    expect(JSON.parse(page.selected.texts.study).washoutDays).toBe(14);
    const latest = page.selected.version as number;
    const def = structuredClone(pneumothoraxDefinition);
    const post = (form: Record<string, string>) =>
      invoke(settingsRoute.action as never, request('/projects/study-keep/settings', { cookie, form: { intent: 'save', baseVersion: String(latest), ...texts(def), ...form } }), {
        slug: 'study-keep',
      });
    const bad = await post({ study: JSON.stringify({ ...design, washoutDays: -3 }), note: 'bad' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors.study[0]).toMatch(/^washoutDays: /);
    expect((await listVersions({ projectId }))[0].version).toBe(latest);
    const longer = await post({ study: JSON.stringify({ ...design, washoutDays: 21 }), note: 'three weeks' });
    expect(longer.status).toBe(302);
    expect((await studyOf(latest + 1))?.washoutDays).toBe(21);
    const none = await post({ study: '', note: 'not a study' });
    expect(none.status).toBe(302);
    expect(await studyOf(latest + 2)).toBeNull();
  });

  it('an explicit change replaces the design, and null removes it', async () => {
    const latest = (await listVersions({ projectId }))[0];
    const v = await saveNewVersion({ projectId, definition: latest.definition, study: studySchema.parse({ ...design, washoutDays: 28 }), note: 'longer washout', actorId: userId });
    expect((await studyOf(v))?.washoutDays).toBe(28);
    const none = await saveNewVersion({ projectId, definition: latest.definition, study: null, note: 'no longer a study', actorId: userId });
    expect(await studyOf(none)).toBeNull();
    const { study: _s, ...parts } = latest.definition;
    await editVersionInPlace({ projectId, version: none, definition: parts, note: 'still not a study', actorId: userId });
    expect(await studyOf(none)).toBeNull();
  });
});
