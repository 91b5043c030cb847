/**
 * Lesions out and back in the field's formats: DICOM SR (TID 1500) through dcmjs, checked by
 * dcmtk's dsrdump (Debian package dcmtk, installed by .ci/run), and COCO JSON; bad input is
 * refused with the field named.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cocoToLesions, lesionsToCoco } from '../formats/coco.ts';
import { lesionsToSr, SrImportError, srToLesions, uidForUrl } from '../formats/dicom-sr.ts';
import type { Lesion } from '../workflows/marks.ts';
import { LESION_COLUMNS, lesionRows } from '../app/models/marks-export.server.ts';
import type { TruthRecord } from '../app/models/export.server.ts';

const url = '/demo-images/mammo-marks-001-right.png';
const lesions: Lesion[] = [
  {
    id: 'L1',
    kind: 'point',
    image: { url },
    points: [[102, 99]],
    answers: { type: 'mass', birads: '4' },
    source: { marks: ['8a3c2b54-1111-2222-3333-444455556666:m1', 'r2:m1'], action: 'agreed' },
  },
  {
    id: 'L2',
    kind: 'box',
    image: { url },
    points: [
      [200.5, 199],
      [261, 259],
    ],
    answers: { type: 'calcification', birads: '4' },
    source: { marks: ['r1:m2', 'r2:m2'], action: 'merge', note: 'Fine pleomorphic calcifications' },
  },
  {
    id: 'N1',
    kind: 'ellipse',
    image: { sopInstanceUid: '1.2.3.4' },
    // Drawn on a DICOM view: kept to 1/1000 px, with the view's pixel spacing.
    points: [
      [10.123, 20.457],
      [40.001, 30.999],
    ],
    answers: { birads: '3' },
    spacing: [0.2, 0.2],
    source: { marks: [], action: 'new' },
  },
  {
    id: 'N2',
    kind: 'polygon',
    image: { url },
    points: [
      [1, 1],
      [20, 2],
      [10, 15],
    ],
    answers: { type: 'distortion' },
  },
];
const srCase = { studyInstanceUid: '1.2.826.0.1.3680043.10.1234.9.1', patientId: 'MK-P001', studyDate: '2025-03-03', seriesInstanceUid: '2.25.1', sopInstanceUid: '2.25.2' };
const hasDsrdump = (() => {
  try {
    execFileSync('dsrdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('DICOM SR (TID 1500)', () => {
  const bytes = lesionsToSr(srCase, lesions);
  it('re-imports identical lesions (dcmjs reads back what dcmjs wrote)', () => {
    expect(srToLesions(bytes, (u) => (u === uidForUrl(url) ? url : undefined))).toEqual(lesions);
  });
  it.skipIf(!hasDsrdump)('dcmtk dsrdump reads it: one measurement group per lesion, the outlines as SCOORD', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'h20b-sr-')), 'lesions.dcm');
    fs.writeFileSync(file, bytes);
    const dump = execFileSync('dsrdump', [file], { encoding: 'utf8' });
    expect(dump).toContain('Enhanced SR Document');
    expect(dump).toContain('"Imaging Measurement Report"');
    expect(dump.match(/"Measurement Group"/g)).toHaveLength(4);
    expect(dump).toContain('(POINT,102/99)');
    expect(dump).toContain('(POLYLINE,200.5/199,');
    expect(dump).toMatch(/\(ELLIPSE,10\.12\d*\/25\.72\d*,/);
    expect(dump).toContain('(merge,99TLSOURCE,"Fine pleomorphic calcifications")');
  });
  it('refuses bytes that are not a TID 1500 report, naming why', () => {
    expect(() => srToLesions(new Uint8Array([1, 2, 3]))).toThrow(SrImportError);
    expect(() => srToLesions(new Uint8Array([1, 2, 3]))).toThrow(/not a DICOM file/);
  });
});

describe('COCO JSON', () => {
  const images = [{ url, width: 256, height: 320 }];
  it('boxes and polygons out and back (points and ellipses have no COCO form)', () => {
    const coco = lesionsToCoco(images, lesions, 'type');
    expect(coco.annotations.map((a) => a.bbox)).toEqual([
      [200.5, 199, 60.5, 60],
      [1, 1, 19, 14],
    ]);
    expect(coco.categories.map((c) => c.name)).toEqual(['calcification', 'distortion', 'lesion', 'mass']);
    const back = cocoToLesions(JSON.stringify(coco), 'type');
    expect(back).toEqual([
      {
        id: 'L2',
        kind: 'box',
        image: { url },
        points: [
          [200.5, 199],
          [261, 259],
        ],
        answers: { type: 'calcification', birads: '4' },
      },
      {
        id: 'N2',
        kind: 'polygon',
        image: { url },
        points: [
          [1, 1],
          [20, 2],
          [10, 15],
        ],
        answers: { type: 'distortion' },
      },
    ]);
  });
  it('names the annotation and field of bad input', () => {
    const coco = lesionsToCoco(images, lesions, 'type');
    coco.annotations[1]!.bbox = [1, 'x' as never, 2, 3];
    expect(() => cocoToLesions(JSON.stringify(coco), 'type')).toThrow('annotations[1].bbox[1]: expected a number');
    expect(() => cocoToLesions('{', 'type')).toThrow(/^not JSON/);
    expect(() => cocoToLesions(JSON.stringify({ images: [], annotations: [{ image_id: 9 }] }), 'type')).toThrow('annotations[0].image_id: no image 9');
  });
});

describe('lesions table of the complete export', () => {
  const record = {
    case_id: 'MK-ACC-001',
    case_uuid: '00000000-0000-4000-8000-000000000001',
    finding: null,
    truth_state: 'verified',
    truth_version: 2,
    rule_version: 'agreement-rules@1+marks@1',
    decider_id: 'adj-1',
    decided_at: '2025-03-04T10:00:00.000Z',
    truth_value: { recall: true, lesions },
  } as unknown as TruthRecord;
  it('one row per lesion with its image, geometry, answers and provenance (flat for CSV, structured for JSON Lines)', () => {
    const flat = lesionRows([record, { ...record, truth_value: null } as TruthRecord], { structured: false });
    expect(flat).toHaveLength(lesions.length);
    expect(Object.keys(flat[0]!)).toEqual([...LESION_COLUMNS]);
    expect(flat[1]).toMatchObject({
      case_id: 'MK-ACC-001',
      item: 'lesions',
      lesion_id: 'L2',
      sop_instance_uid: null,
      frame: null,
      image_url: url,
      kind: 'box',
      points: '[[200.5,199],[261,259]]',
      x_min: 200.5,
      y_max: 259,
      answers: '{"type":"calcification","birads":"4"}',
      source_action: 'merge',
      source_marks: 'r1:m2;r2:m2',
      source_note: 'Fine pleomorphic calcifications',
      decider_id: 'adj-1',
    });
    expect(flat[2]).toMatchObject({ lesion_id: 'N1', sop_instance_uid: '1.2.3.4', frame: 1, image_url: null, pixel_spacing: '0.2\\0.2', source_marks: '' });
    const structured = lesionRows([record], { structured: true });
    expect(structured[2]).toMatchObject({ points: lesions[2]!.points, pixel_spacing: [0.2, 0.2], answers: { birads: '3' }, source_marks: [] });
  });
});
