import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { formatFhirError, parseFhir } from './parse.ts';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, '../../test/fixtures/fhir', name), 'utf8');

describe('FHIR R4 evidence parsing', () => {
  it('HL7 example f201 (CT head-neck): conclusion, conclusionCode, subject, date', () => {
    const r = parseFhir(fixture('diagnosticreport-example-f201-brainct.json'));
    expect(r.errors).toEqual([]);
    expect(r.items).toEqual([
      {
        resource: 'DiagnosticReport/f201',
        versionId: null,
        kind: 'report',
        date: '2012-12-01',
        patient: 'f201',
        accessions: [],
        studyUids: [],
        codes: [{ system: 'http://snomed.info/sct', code: '188340000', display: 'Malignant tumor of craniopharyngeal duct' }],
        concepts: [{ path: 'conclusionCode[0]', codes: [{ system: 'http://snomed.info/sct', code: '188340000', display: 'Malignant tumor of craniopharyngeal duct' }] }],
        text: 'CT brains: large tumor sphenoid/clivus.',
        line: 0,
        path: '',
      },
    ]);
  });
  it('HL7 example "ultrasound": text only', () => {
    const r = parseFhir(fixture('diagnosticreport-example-ultrasound.json'));
    expect(r.items[0]).toMatchObject({ resource: 'DiagnosticReport/ultrasound', codes: [], text: 'Unremarkable study', patient: 'example' });
  });
  it('a Bundle: pathology category, presentedForm text, ImagingStudy UID and accession, Observation', () => {
    const r = parseFhir(fixture('bundle-pathology.json'));
    expect(r.errors).toEqual([]);
    expect(r.skipped).toEqual({ ImagingStudy: 1, Patient: 1 });
    expect(r.items[0]).toMatchObject({
      resource: 'DiagnosticReport/path-1',
      versionId: '3',
      kind: 'pathology',
      date: '2024-03-05',
      accessions: ['ACC-1'],
      studyUids: ['1.2.826.0.1.3680043.8.498.1'],
      codes: [{ code: '82711006' }],
      path: 'entry[1].resource',
    });
    expect(r.items[0].text).toMatch(/^FINDINGS: Spiculated mass.*\nIMPRESSION: Invasive ductal carcinoma/s);
    expect(r.items[1]).toMatchObject({
      resource: 'Observation/obs-1',
      kind: 'pathology',
      date: '2024-04-01',
      patient: 'p2',
      codes: [{ code: '367647000', display: 'Fibroadenoma' }],
    });
  });
  it('NDJSON: good lines read, bad ones named by line, resource and path', () => {
    const r = parseFhir(fixture('bulk.ndjson'));
    expect(r.items.map((i) => [i.resource, i.line, i.accessions])).toEqual([['DiagnosticReport/r1', 1, ['ACC-2']]]);
    expect(r.errors.map((e) => formatFhirError(e, 'bulk.ndjson'))).toEqual([
      'bulk.ndjson:2: DiagnosticReport/r2 effectiveDateTime: not a FHIR dateTime with a day: "2024-13-01"',
      'bulk.ndjson:3: Observation/o2 value[x]: no valueCodeableConcept, interpretation or valueString: nothing to record',
      expect.stringMatching(/^bulk\.ndjson:4: invalid JSON/),
    ]);
  });
  it('not FHIR, empty, broken base64', () => {
    expect(parseFhir('').errors[0].message).toMatch(/empty/);
    expect(parseFhir('{"a":1}').errors[0]).toMatchObject({ path: 'resourceType', message: 'not a FHIR resource (no resourceType)' });
    expect(parseFhir('{"resourceType":"Bundle"}').errors[0]).toMatchObject({ path: 'entry' });
    const bad = { resourceType: 'DiagnosticReport', id: 'x', effectiveDateTime: '2024-01-01', presentedForm: [{ contentType: 'text/plain', data: '%%%' }] };
    expect(parseFhir(JSON.stringify(bad)).errors.map((e) => formatFhirError(e))).toEqual([
      // one line of JSON is also one line of NDJSON
      'line 1: DiagnosticReport/x presentedForm[0].data: not base64',
      'line 1: DiagnosticReport/x conclusion: no conclusion, conclusionCode or text presentedForm: nothing to record',
    ]);
  });
  it('an Observation is pathology only when its category or LOINC code says so; others are skipped, not taken for pathology', () => {
    const obs = (extra: Record<string, unknown>) =>
      JSON.stringify({ resourceType: 'Observation', id: 'x', status: 'final', effectiveDateTime: '2024-01-01', valueString: 'benign', ...extra });
    const sp = { category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'SP' }] }] };
    const loinc = { code: { coding: [{ system: 'http://loinc.org', code: '22637-3' }] } };
    const imaging = { category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'imaging' }] }] };
    const vitals = { category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }] };
    expect(parseFhir(obs(sp)).items.map((i) => i.kind)).toEqual(['pathology']);
    expect(parseFhir(obs(loinc)).items.map((i) => i.kind)).toEqual(['pathology']);
    expect(parseFhir(obs(imaging)).items.map((i) => i.kind)).toEqual(['report']);
    for (const other of [vitals, {}]) {
      const r = parseFhir(obs(other));
      expect(r.items).toEqual([]);
      expect(r.errors).toEqual([]);
      expect(r.skipped).toEqual({ 'Observation (not pathology or imaging)': 1 });
    }
  });
});
