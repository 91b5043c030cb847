/** FHIR R4 evidence import: case matching, mapping of codes, rules on text, provenance, all or nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { eq, inArray } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { buildProject, type Fixture } from './fixtures/workflow.ts';
import { mammographyDefinition } from '../seed/demo-projects.ts';
import { cases, evidence, patients } from '../db/schema.ts';
import { FhirImportFailed, formatFhirError, importFhirEvidence, previewFhirImport } from '../app/models/fhir-import.server.ts';
import { compileRules } from '../reports/index.ts';

const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, 'fixtures/fhir', name), 'utf8');
const definition = {
  ...mammographyDefinition,
  mapping: {
    ...mammographyDefinition.mapping,
    rules: [
      ...mammographyDefinition.mapping.rules,
      { kind: 'pathology' as const, resultCodes: ['http://snomed.info/sct|82711006'], value: true, requiresWindow: false },
      { kind: 'pathology' as const, resultCodes: ['367647000'], value: false, requiresWindow: false },
      { kind: 'report' as const, resultCodes: ['mass:negated'], value: false, requiresWindow: false },
    ],
  },
};
const rules = compileRules({
  name: 'mammo',
  version: 2,
  findings: [
    { finding: 'mass', phrases: ['mass'] },
    { finding: 'calcification', phrases: ['calcifications', 'calcification'] },
  ],
});

let t: TestDb;
let f: Fixture;
let refs: string[];
let pseudonym: string;
beforeAll(async () => {
  t = await createTestDb();
  f = await buildProject(t.db, { definition, cases: 3 });
  const rows = await t.db
    .select({ id: cases.id, e: cases.externalId, p: patients.pseudonym })
    .from(cases)
    .innerJoin(patients, eq(patients.id, cases.patientId))
    .where(inArray(cases.id, f.caseIds));
  const byId = new Map(rows.map((r) => [r.id, r]));
  refs = f.caseIds.map((id) => byId.get(id)!.e!);
  pseudonym = rows[0].p;
  await t.db.update(cases).set({ studyInstanceUid: '1.2.826.0.1.3680043.8.498.1' }).where(eq(cases.id, f.caseIds[1]));
}, 120_000);
afterAll(async () => t?.dispose());

const rowsOf = async () => t.db.select().from(evidence).where(inArray(evidence.caseId, f.caseIds));

describe('FHIR import', () => {
  it('errors name file line, resource and path; nothing is written', async () => {
    const ndjson = fixture('bulk.ndjson').replace('ACC-2', 'no-such-accession');
    const e = await importFhirEvidence({ projectId: f.projectId, text: ndjson, actorId: f.lead, db: t.db }).catch((x) => x);
    expect(e).toBeInstanceOf(FhirImportFailed);
    expect((e as FhirImportFailed).errors.map((x) => formatFhirError(x, 'bulk.ndjson'))).toEqual([
      'bulk.ndjson:1: DiagnosticReport/r1 identifier: no case of this project matches (accession no-such-accession; patient p2 on 2024-02-10)',
      'bulk.ndjson:2: DiagnosticReport/r2 effectiveDateTime: not a FHIR dateTime with a day: "2024-13-01"',
      'bulk.ndjson:3: Observation/o2 value[x]: no valueCodeableConcept, interpretation or valueString: nothing to record',
      expect.stringMatching(/^bulk\.ndjson:4: invalid JSON/),
    ]);
    expect(await rowsOf()).toHaveLength(0);
  });

  it('patient + date matching several cases is refused, asking for an accession', async () => {
    const obs = {
      resourceType: 'Observation',
      id: 'o9',
      code: { coding: [{ system: 'http://loinc.org', code: '22637-3' }] },
      subject: { reference: `Patient/${pseudonym}` },
      effectiveDateTime: '2024-01-15',
      valueString: 'Benign.',
    };
    const p = await previewFhirImport({ projectId: f.projectId, text: JSON.stringify(obs, null, 1), db: t.db });
    expect(p.errors.map((x) => formatFhirError(x))).toEqual([`Observation/o9 subject: matches 3 cases (patient ${pseudonym} on 2024-01-15); give an accession number`]);
  });

  it('a Bundle: accession via ImagingStudy, StudyInstanceUID, codes through the mapping, text through the rules', async () => {
    const bundle = fixture('bundle-pathology.json').replace('"value": "ACC-1"', `"value": "${refs[0]}"`).replace('urn:oid:1.2.826.0.1.3680043.8.498.1', 'urn:oid:9.9.9');
    const ndjson = [
      JSON.stringify({
        resourceType: 'DiagnosticReport',
        id: 'us-2',
        meta: { versionId: '7' },
        subject: { reference: 'Patient/x' },
        effectiveDateTime: '2024-02-10',
        imagingStudy: [{ identifier: { system: 'urn:dicom:uid', value: 'urn:oid:1.2.826.0.1.3680043.8.498.1' } }],
        conclusion: 'IMPRESSION: No suspicious mass. Possible calcifications.',
      }),
    ].join('\n');
    const preview = await previewFhirImport({ projectId: f.projectId, text: ndjson, rules, db: t.db });
    expect(preview.errors).toEqual([]);
    expect(preview.rows.map((r) => [r.resource, r.caseRef, r.matchedBy, r.resultCode, r.source, r.status, r.trigger])).toEqual([
      ['DiagnosticReport/us-2', refs[1], 'study_uid', 'mass:negated', 'rules', 'negated', 'no suspicious (negated, gennegex)'],
      ['DiagnosticReport/us-2', refs[1], 'study_uid', 'calcification:uncertain', 'rules', 'uncertain', 'possible (uncertain, truthline)'],
    ]);

    // The Observation has no accession and its patient is unknown: it is left out of this file.
    const bundleDoc = JSON.parse(bundle);
    bundleDoc.entry = bundleDoc.entry.filter((e: { resource: { resourceType: string } }) => e.resource.resourceType !== 'Observation');
    const r1 = await importFhirEvidence({ projectId: f.projectId, text: JSON.stringify(bundleDoc), rules, actorId: f.lead, db: t.db });
    expect(r1).toEqual({ recorded: 2, duplicates: 0, refused: 0, cases: 1, resources: 1 });
    const r2 = await importFhirEvidence({ projectId: f.projectId, text: ndjson, rules, actorId: f.lead, db: t.db });
    expect(r2).toMatchObject({ recorded: 2, cases: 1 });

    const rows = await rowsOf();
    const coded = rows.find((r) => r.resultCode === 'http://snomed.info/sct|82711006')!;
    expect(coded).toMatchObject({ caseId: f.caseIds[0], kind: 'pathology', evidenceDate: '2024-03-05' });
    expect(coded.extraction).toEqual({
      method: 'fhir',
      resource: 'DiagnosticReport/path-1',
      versionId: '3',
      code: { system: 'http://snomed.info/sct', code: '82711006', display: 'Infiltrating duct carcinoma' },
      path: 'entry[1].resource.conclusionCode[0]',
      scope: 'case',
    });
    expect(coded.findingId).toBeNull();
    expect(coded.text).toMatch(/Invasive ductal carcinoma/);
    const fromText = rows.find((r) => r.resultCode === 'mass:negated')!;
    expect(fromText.extraction).toMatchObject({
      method: 'fhir+rule',
      resource: 'DiagnosticReport/us-2',
      versionId: '7',
      rule: 'mammo',
      version: 2,
      triggers: 'truthline-context@1',
      finding: 'mass',
      status: 'negated',
    });

    // The same resource versions again: nothing new.
    const again = await importFhirEvidence({ projectId: f.projectId, text: ndjson, rules, actorId: f.lead, db: t.db });
    expect(again).toMatchObject({ recorded: 0, duplicates: 2 });
  });

  it('every conclusionCode concept the mapping knows is a case-wide result of its own; codings of one concept count once; errors name the resource and path', async () => {
    const report = {
      resourceType: 'DiagnosticReport',
      id: 'multi-1',
      meta: { versionId: '1' },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'PAT' }] }],
      identifier: [{ type: { coding: [{ code: 'ACSN' }] }, value: refs[2] }],
      effectiveDateTime: '2024-04-01',
      conclusionCode: [
        // One concept, two codings (SNOMED CT and a local code): one result.
        {
          coding: [
            { system: 'http://snomed.info/sct', code: '82711006', display: 'Infiltrating duct carcinoma' },
            { system: 'urn:local', code: 'IDC' },
          ],
        },
        // A second concept the mapping knows: a second result.
        { coding: [{ system: 'http://snomed.info/sct', code: '367647000', display: 'Benign' }] },
        // A concept the mapping does not know: no row (another concept was mapped).
        { coding: [{ system: 'http://snomed.info/sct', code: '000000' }] },
      ],
    };
    const p = await previewFhirImport({ projectId: f.projectId, text: JSON.stringify(report), db: t.db });
    expect(p.errors).toEqual([]);
    expect(p.rows.map((r) => [r.resultCode, r.source, (r.extraction as { path: string }).path, (r.extraction as { scope: string }).scope])).toEqual([
      ['http://snomed.info/sct|82711006', 'mapped_code', 'conclusionCode[0]', 'case'],
      ['367647000', 'mapped_code', 'conclusionCode[1]', 'case'],
    ]);
    const r = await importFhirEvidence({ projectId: f.projectId, text: JSON.stringify(report), actorId: f.lead, db: t.db });
    expect(r).toMatchObject({ recorded: 2, cases: 1 });
    const rows = (await rowsOf()).filter((x) => (x.extraction as { resource?: string }).resource === 'DiagnosticReport/multi-1');
    expect(rows.map((x) => [x.caseId, x.findingId, x.resultCode]).sort()).toEqual(
      [
        [f.caseIds[2], null, '367647000'],
        [f.caseIds[2], null, 'http://snomed.info/sct|82711006'],
      ].sort(),
    );

    const bad = { ...report, id: 'multi-2', effectiveDateTime: '2024-04-31' };
    const e = await previewFhirImport({ projectId: f.projectId, text: JSON.stringify({ resourceType: 'Bundle', entry: [{ resource: bad }] }), db: t.db });
    expect(e.errors.map((x) => formatFhirError(x))).toEqual(['line 1: DiagnosticReport/multi-2 entry[0].resource.effectiveDateTime: not a FHIR dateTime with a day: "2024-04-31"']);
  });
});
