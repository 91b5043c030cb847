/**
 * The definition editor: the checker's messages (by path, in words), the structured form's
 * round trip (what the editor renders decodes back to the same definition: switching views loses
 * nothing), and the setup route (row operations, refused saves naming the problem, a new version).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { createTestDb, type TestDb } from './db.ts';
import { makeUser } from './fixtures/base.ts';
import { BASE, invoke, sessionCookie } from './fixtures/app.ts';
import { createProject, listVersions, parseDefinition } from '../app/models/project-setup.server.ts';
import { mammographyDefinition, pneumothoraxDefinition } from '../seed/demo-projects.ts';
import { checkDefinition, pathInWords, validateDefinition } from '../workflows/definition-check.ts';
import { projectDefinitionSchema, type ProjectDefinition } from '../workflows/definition.ts';
import { canonicalJson } from '../workflows/canonical-json.ts';
import { BLANK_DEFINITION } from '../workflows/definition-blank.ts';
import { DefinitionEditor } from '../app/components/definition-editor.tsx';
import { applyOp, decodeDraft, type Draft } from '../app/components/definition-editor-form.ts';
import { CHOICES, layoutOf } from '../app/components/definition-editor.server.ts';
import * as setupRoute from '../app/routes/projects.$slug.setup.tsx';

const withMammo = (change: (d: ProjectDefinition) => void) => {
  const d = structuredClone(mammographyDefinition);
  change(d);
  return projectDefinitionSchema.parse(d);
};

describe('the definition checker', () => {
  it('passes the demo definitions and the blank template', () => {
    for (const d of [mammographyDefinition, pneumothoraxDefinition, BLANK_DEFINITION])
      expect(validateDefinition(d)).toEqual({ ok: true, definition: projectDefinitionSchema.parse(d) });
  });

  it('names a mapping to a field that does not exist, by path and in words', () => {
    const def = withMammo((d) => {
      d.mapping.expectation = { field: 'birads_score', positive: ['4'], negative: ['1'] };
    });
    const problems = checkDefinition(def);
    expect(problems).toEqual([
      { path: ['mapping', 'expectation', 'field'], message: 'the expected answers refer to the field "birads_score", which the reader form does not have' },
    ]);
    expect(pathInWords(problems[0].path, def)).toBe('Evidence mapping › expected answers › field');
  });

  it('names expected values that are not on the field’s scale, listing the scale', () => {
    const def = withMammo((d) => {
      d.mapping.expectation = { field: 'birads', positive: ['4', '6'], negative: ['1'] };
    });
    const [p, ...rest] = checkDefinition(def);
    expect(rest).toEqual([]);
    expect(p.path).toEqual(['mapping', 'expectation', 'positive', 1]);
    expect(p.message).toBe('"6" is not an answer on the scale of “BI-RADS assessment” (its answers are "1", "2", "3", "4", "5", "0")');
    expect(pathInWords(p.path, def)).toBe('Evidence mapping › expected answers › expected positive 2 ("6")');
  });

  it('names a follow-up window whose start is after its end', () => {
    const def = withMammo((d) => {
      d.truthPolicy.followUpWindow = { startDays: 400, endDays: 365, onClose: 'unverified' };
    });
    expect(checkDefinition(def)).toEqual([{ path: ['truthPolicy', 'followUpWindow', 'startDays'], message: 'the follow-up window starts on day 400, after it ends (day 365)' }]);
  });

  it('names a question by its number and label, and schema problems in plain words', () => {
    const raw = structuredClone(mammographyDefinition) as unknown as { readerForm: { fields: Record<string, unknown>[] } };
    raw.readerForm.fields[0].key = 'Bad Key';
    (raw.readerForm.fields[0].options as { value: string }[])[1].value = '';
    const r = validateDefinition(raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const words = r.problems.map((p) => `${pathInWords(p.path, raw)}: ${p.message}`);
    expect(words).toEqual([
      'Reader form › question 1 “BI-RADS assessment” › key: use lowercase letters, digits and _; start with a letter',
      'Reader form › question 1 “BI-RADS assessment” › answer 2 “2 — Benign” › value: this is required',
    ]);
  });

  it('the JSON editor of the settings page reports the same problems under their part', () => {
    const texts = Object.fromEntries(
      Object.entries(withMammo((d) => (d.truthPolicy.followUpWindow = { startDays: 30, endDays: 10, onClose: 'unverified' }))).map(([k, v]) => [k, JSON.stringify(v)]),
    ) as Record<'readerForm' | 'referenceStandard' | 'mapping' | 'truthPolicy', string>;
    const r = parseDefinition(texts);
    expect(!r.ok && r.errors.truthPolicy).toEqual(['followUpWindow.startDays: the follow-up window starts on day 30, after it ends (day 10)']);
  });
});

/** The inputs a browser would post for this markup: name/value pairs in document order. */
function formEntries(html: string): [string, string][] {
  const unescape = (s: string) =>
    s
      .replace(/&quot;/g, '"')
      .replace(/&#x27;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const attrs = (s: string) => Object.fromEntries([...s.matchAll(/([\w-]+)(?:="([^"]*)")?/g)].map((m) => [m[1], unescape(m[2] ?? '')]));
  const out: [string, string][] = [];
  for (const m of html.matchAll(/<input\b([^>]*)>|<textarea\b([^>]*)>([\s\S]*?)<\/textarea>|<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
    if (m[1] !== undefined) {
      const a = attrs(m[1]);
      if (!a.name || (a.type === 'checkbox' && !('checked' in a))) continue;
      out.push([a.name, a.value ?? '']);
    } else if (m[2] !== undefined) {
      const a = attrs(m[2]);
      if (a.name) out.push([a.name, unescape(m[3])]);
    } else {
      const a = attrs(m[4]);
      const options = [...m[5].matchAll(/<option\b([^>]*)>/g)].map((o) => attrs(o[1]));
      const chosen = options.find((o) => 'selected' in o) ?? options[0];
      if (a.name && chosen) out.push([a.name, chosen.value ?? '']);
    }
  }
  return out;
}

const render = (draft: Draft) => renderToStaticMarkup(createElement(DefinitionEditor, { draft, choices: CHOICES, layout: layoutOf((draft.readerForm as Draft).hangingProtocol) }));

describe('the structured editor as a form', () => {
  it('decodes what it renders back to the same definition (nothing lost between views)', () => {
    const mammo = withMammo((d) => {
      d.truthPolicy.followUpWindow = { startDays: 0, endDays: 365, onClose: 'lost_to_follow_up' };
      d.readerForm.marks = [
        {
          key: 'lesions',
          label: 'Mark each lesion',
          scope: 'case',
          required: false,
          tools: ['point', 'box'],
          fields: [{ key: 'size', label: 'Size', kind: 'numeric', unit: 'mm', min: 0, max: 200, scope: 'case', required: true }],
        },
      ];
    });
    for (const def of [mammo, projectDefinitionSchema.parse(pneumothoraxDefinition), projectDefinitionSchema.parse(BLANK_DEFINITION)]) {
      const draft = structuredClone(def) as unknown as Draft;
      const back = decodeDraft(formEntries(render(draft)), draft);
      expect(canonicalJson(projectDefinitionSchema.parse(back))).toBe(canonicalJson(def));
    }
  });

  it('typed values replace the draft’s; an emptied optional input removes the property; an unchecked part is removed', () => {
    const draft = structuredClone(projectDefinitionSchema.parse(mammographyDefinition)) as unknown as Draft;
    const entries = formEntries(render(draft)).map(([k, v]): [string, string] => {
      if (k === 'd.readerForm.fields.0.label') return [k, 'BI-RADS category'];
      if (k === 'd.readerForm.fields.0.help|o') return [k, '  '];
      if (k === 'd.mapping.rules.0.resultCodes|l') return [k, 'MALIGNANT, DCIS,\nLCIS'];
      return [k, v];
    });
    const expectationOn = entries.findIndex(([k, v]) => k === 'd.mapping.expectation.$on|b' && v === 'true');
    if (expectationOn >= 0) entries.splice(expectationOn, 1);
    const back = decodeDraft(entries, draft) as unknown as ProjectDefinition;
    expect(back.readerForm.fields[0].label).toBe('BI-RADS category');
    expect('help' in back.readerForm.fields[0]).toBe(false);
    expect(back.mapping.rules[0].resultCodes).toEqual(['MALIGNANT', 'DCIS', 'LCIS']);
    expect(back.mapping.expectation).toBeUndefined();
  });

  it('adds rows of each kind, moves and removes them, and says where to focus', () => {
    const draft = structuredClone(BLANK_DEFINITION) as unknown as Draft;
    expect(applyOp(draft, 'add|readerForm.fields|ordinal')).toBe('readerForm.fields.1');
    expect(applyOp(draft, 'add|readerForm.fields.1.options|option')).toBe('readerForm.fields.1.options.2');
    expect(applyOp(draft, 'add|readerForm.fields|numeric')).toBe('readerForm.fields.2');
    expect(applyOp(draft, 'up|readerForm.fields.2')).toBe('readerForm.fields.1');
    const fields = (draft.readerForm as { fields: { kind: string; key: string; options?: unknown[] }[] }).fields;
    expect(fields.map((f) => f.kind)).toEqual(['binary', 'numeric', 'ordinal']);
    expect(fields[2].options).toHaveLength(3);
    expect(new Set(fields.map((f) => f.key)).size).toBe(3);
    expect(applyOp(draft, 'remove|readerForm.fields.0')).toBe('readerForm.fields.0');
    expect(fields.map((f) => f.kind)).toEqual(['numeric', 'ordinal']);
    expect(applyOp(draft, 'up|readerForm.fields.0')).toBeNull();
  });
});

describe('the setup route', () => {
  let t: TestDb;
  let cookie: string;
  let projectId: string;
  beforeAll(async () => {
    t = await createTestDb();
    const u = await makeUser(t.db, { canCreateProjects: true });
    cookie = await sessionCookie(u.email);
    projectId = (await createProject({ name: 'Editor', slug: 'editor-test', description: '', licence: '', template: 'birads_evidence', actorId: u.id })).id;
  });
  afterAll(async () => t?.dispose());

  const post = async (entries: [string, string][]) =>
    invoke(
      setupRoute.action as never,
      new Request(`${BASE}/projects/editor-test/setup`, {
        method: 'POST',
        headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded', 'x-truthline-client-ip': '127.0.0.1' },
        body: new URLSearchParams(entries),
      }),
      { slug: 'editor-test' },
    );
  const structured = (draft: Draft, extra: [string, string][]) =>
    [['view', 'structured'], ['base', JSON.stringify(draft)], ['hanging', 'keep'], ...formEntries(render(draft)), ...extra] as [string, string][];

  it('adds a question on the server and answers the draft with it, saving nothing', async () => {
    const loaded = await (
      await invoke(setupRoute.loader as never, new Request(`${BASE}/projects/editor-test/setup`, { headers: { Cookie: cookie } }), { slug: 'editor-test' })
    ).json();
    const res = await post(structured(loaded.draft, [['op', 'add|readerForm.fields|binary']]));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.draft.readerForm.fields.map((f: { kind: string }) => f.kind)).toEqual(['ordinal', 'binary']);
    expect(body.focus).toBe('readerForm.fields.1');
    expect(await listVersions({ projectId })).toHaveLength(1);
  });

  it('refuses to save a definition with problems, naming each by path and in words; nothing saved', async () => {
    const draft = structuredClone(mammographyDefinition) as unknown as Draft;
    const res = await post(
      structured(draft, [
        ['intent', 'save'],
        ['d.truthPolicy.followUpWindow.$on|b', 'true'],
        ['d.truthPolicy.followUpWindow.startDays|n', '90'],
        ['d.truthPolicy.followUpWindow.endDays|n', '30'],
      ]),
    );
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.problems).toEqual([
      {
        path: 'truthPolicy.followUpWindow.startDays',
        where: 'Truth policy › follow-up window › starts (days after the study)',
        message: 'the follow-up window starts on day 90, after it ends (day 30)',
      },
    ]);
    expect(body.message).toMatch(/Nothing was saved/);
  });

  it('switches to the JSON view and back without losing anything, and saves a new version from either', async () => {
    const draft = structuredClone(pneumothoraxDefinition) as unknown as Draft;
    const toJson = await (await post(structured(draft, [['intent', 'view-json']]))).json();
    expect(toJson.view).toBe('json');
    const texts = Object.fromEntries(['readerForm', 'referenceStandard', 'mapping', 'truthPolicy'].map((p) => [`json.${p}`, JSON.stringify(toJson.draft[p])]));
    const back = await (await post([['view', 'json'], ['intent', 'view-structured'], ...Object.entries(texts)])).json();
    expect(back.view).toBe('structured');
    expect(canonicalJson(projectDefinitionSchema.parse(back.draft))).toBe(canonicalJson(projectDefinitionSchema.parse(pneumothoraxDefinition)));
    const bad = await post([['view', 'json'], ['intent', 'save'], ...Object.entries({ ...texts, 'json.mapping': '{nope' })]);
    expect(bad.status).toBe(400);
    expect((await bad.json()).problems[0]).toMatchObject({ path: 'mapping', where: 'Evidence mapping', message: expect.stringMatching(/^not valid JSON/) });
    const saved = await post([['view', 'json'], ['intent', 'save'], ['note', 'pneumothorax instead'], ...Object.entries(texts)]);
    expect(saved.status).toBe(302);
    expect(saved.headers.get('Location')).toBe('/projects/editor-test/setup?v=2');
    // A wording change in place keeps the version's note when the note field is left empty.
    const v2 = (await listVersions({ projectId })).find((v) => v.version === 2)!;
    const reworded = structured(v2.definition as unknown as Draft, [
      ['intent', 'describe'],
      ['baseVersion', '2'],
    ]).map(([k, v]): [string, string] => (k === 'd.readerForm.fields.0.label' ? [k, 'Is there a pneumothorax?'] : [k, v]));
    const described = await post(reworded);
    expect(described.status).toBe(302);
    const after = (await listVersions({ projectId })).find((v) => v.version === 2)!;
    expect(after.note).toBe('pneumothorax instead');
    expect(after.definition.readerForm.fields[0].label).toBe('Is there a pneumothorax?');
  });
});
