/**
 * Reading other tools' marks files (formats/marks-import.ts): COCO JSON and DICOM SR TID 1500,
 * ours (export → import gives the same lesions) and others' (no Truthline attributes or codes),
 * and malformed files refused with the JSON path or SR content item named.
 */
import dcmjsModule from 'dcmjs';
import { describe, expect, it } from 'vitest';
import { lesionsToCoco } from '../formats/coco.ts';
import { lesionsToSr, uidForUrl } from '../formats/dicom-sr.ts';
import { MarksFileError, readCoco, readMarksFile } from '../formats/marks-import.ts';
import type { Lesion } from '../workflows/marks.ts';
import { SOP_CLASS, uid, writePart10 } from '../imaging/part10.ts';

const url = '/demo-images/mammo-marks-001-right.png';
const enc = (o: unknown) => new TextEncoder().encode(typeof o === 'string' ? o : JSON.stringify(o));

const lesions: Lesion[] = [
  { id: 'L1', kind: 'point', image: { url }, points: [[102, 99]], answers: { type: 'mass', birads: '4' }, source: { marks: ['r1:m1', 'r2:m1'], action: 'agreed' } },
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
    id: 'N1',
    kind: 'ellipse',
    image: { sopInstanceUid: '1.2.3.4' },
    points: [
      [10.123, 20.457],
      [40.001, 30.999],
    ],
    answers: { birads: '3' },
    spacing: [0.2, 0.2],
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

function failsAt(f: () => unknown): { where: string; message: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof MarksFileError) return { where: e.where, message: e.message };
    throw e;
  }
  throw new Error('did not fail');
}

describe('COCO JSON', () => {
  it('export → import: boxes and polygons come back as they were (points and ellipses have no COCO form)', () => {
    const coco = lesionsToCoco([{ url, width: 512, height: 512 }], lesions, 'type');
    const back = readMarksFile(enc(coco));
    expect(back.format).toBe('coco');
    // The category field's value comes back as `category`; the other answers as they were.
    expect(back.lesions.map((l) => l.lesion)).toEqual([
      { ...lesions[1], answers: { category: 'calcification', birads: '4' } },
      { ...lesions[3], answers: { category: 'distortion' } },
    ]);
    expect(back.lesions.map((l) => l.where)).toEqual(['$.annotations[0].bbox', '$.annotations[1].segmentation[0]']);
  });

  it("another tool's file: bbox only = box, polygon segmentation = outline, several parts = several lesions, score and case_id kept", () => {
    const f = readCoco(
      JSON.stringify({
        images: [{ id: 7, file_name: 'https://img.example/a.png', width: 100, height: 100, case_id: 'C-9' }],
        categories: [{ id: 1, name: 'mass' }],
        annotations: [
          { id: 11, image_id: 7, category_id: 1, bbox: [10, 20, 30, 40], score: 0.91 },
          {
            id: 12,
            image_id: 7,
            category_id: 1,
            bbox: [0, 0, 9, 9],
            segmentation: [
              [0, 0, 9, 0, 9, 9],
              [20, 20, 30, 20, 25, 28],
            ],
          },
        ],
      }),
    );
    expect(f.lesions.map((l) => [l.lesion.id, l.lesion.kind, l.lesion.points.length, l.caseId, l.lesion.answers])).toEqual([
      ['coco11', 'box', 2, 'C-9', { category: 'mass', score: 0.91 }],
      ['coco12-1', 'polygon', 3, 'C-9', { category: 'mass' }],
      ['coco12-2', 'polygon', 3, 'C-9', { category: 'mass' }],
    ]);
    expect(f.lesions[0]!.lesion.points).toEqual([
      [10, 20],
      [40, 60],
    ]);
  });

  it.each([
    ['{"images": [', 'file', /not JSON/],
    ['[]', '$', /COCO results without their images/],
    [{ annotations: [] }, '$.images', /a list of images/],
    [{ images: [{ id: 1 }], annotations: [] }, '$.images[0].file_name', /image reference/],
    [
      {
        images: [
          { id: 1, file_name: 'a' },
          { id: 1, file_name: 'b' },
        ],
        annotations: [],
      },
      '$.images[1].id',
      /used twice/,
    ],
    [{ images: [{ id: 1, file_name: 'a' }], annotations: [{ image_id: 2, bbox: [0, 0, 1, 1] }] }, '$.annotations[0].image_id', /no image with id 2/],
    [{ images: [{ id: 1, file_name: 'a' }], annotations: [{ image_id: 1, bbox: [0, 0, 'x', 1] }] }, '$.annotations[0].bbox[2]', /expected a number, found "x"/],
    [{ images: [{ id: 1, file_name: 'a' }], annotations: [{ image_id: 1, bbox: [0, 0, 1] }] }, '$.annotations[0].bbox', /\[x, y, width, height\]/],
    [{ images: [{ id: 1, file_name: 'a' }], annotations: [{ image_id: 1, bbox: [0, 0, 0, 5] }] }, '$.annotations[0].bbox', /positive width and height/],
    [{ images: [{ id: 1, file_name: 'a' }], annotations: [{ image_id: 1, segmentation: [[1, 2, 3, 4]] }] }, '$.annotations[0].segmentation[0]', /at least 3 x, y pairs/],
    [{ images: [{ id: 1, file_name: 'a' }], annotations: [{ image_id: 1, segmentation: { counts: 'x', size: [2, 2] } }] }, '$.annotations[0].segmentation', /RLE/],
    [{ images: [{ id: 1, file_name: 'a' }], annotations: [{ image_id: 1, category_id: 3, bbox: [0, 0, 1, 1] }] }, '$.annotations[0].category_id', /no category with id 3/],
    [
      { images: [{ id: 1, file_name: 'a' }], annotations: [{ image_id: 1, bbox: [0, 0, 1, 1], attributes: { note: { a: 1 } } }] },
      '$.annotations[0].attributes.note',
      /text, a number/,
    ],
    [
      { images: [{ id: 1, file_name: 'a' }], annotations: [{ image_id: 1, bbox: [0, 0, 1, 1], attributes: { lesion_id: 'a b' } }] },
      '$.annotations[0].attributes.lesion_id',
      /letters, digits/,
    ],
    [
      {
        images: [{ id: 1, file_name: 'a' }],
        annotations: [
          { image_id: 1, bbox: [0, 0, 1, 1], attributes: { lesion_id: 'x' } },
          { image_id: 1, bbox: [0, 0, 1, 1], attributes: { lesion_id: 'x' } },
        ],
      },
      '$.annotations[1].bbox',
      /lesion id x is used twice/,
    ],
  ])('refuses %j naming %s', (doc, where, message) => {
    const e = failsAt(() => readMarksFile(enc(doc as never)));
    expect(e.where).toBe(where);
    expect(e.message).toMatch(message);
    expect(e.message.startsWith(`${where}: `)).toBe(true);
  });

  it('refuses bytes that are neither DICOM nor UTF-8', () => {
    expect(failsAt(() => readMarksFile(new Uint8Array([0xff, 0xfe, 0x00, 0xc3])))).toMatchObject({ where: 'file', message: /neither a DICOM file nor UTF-8/ });
  });
});

type Ds = Record<string, unknown>;
type DcmjsRW = {
  data: {
    DicomMessage: { readFile(b: ArrayBuffer): { dict: Ds; meta: Ds } };
    DicomMetaDictionary: { naturalizeDataset(d: Ds): Ds };
    datasetToBuffer(d: Ds): Buffer;
  };
};
const dcmjs = dcmjsModule as unknown as DcmjsRW;

/** Our SR rewritten as another tool would write it (tracking ids, codes), through dcmjs. */
function edited(bytes: Buffer, edit: (ds: Ds) => void): Uint8Array {
  const msg = dcmjs.data.DicomMessage.readFile(new Uint8Array(bytes).slice().buffer);
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(msg.dict);
  ds._meta = msg.meta;
  edit(ds);
  return new Uint8Array(dcmjs.data.datasetToBuffer(ds));
}
const arr = (x: unknown): Ds[] => (Array.isArray(x) ? x : x ? [x as Ds] : []);
const groupsOf = (ds: Ds) => arr(arr(ds.ContentSequence).find((i) => arr(i.ConceptNameCodeSequence)[0]?.CodeValue === '126010')!.ContentSequence);

describe('DICOM SR (TID 1500)', () => {
  const bytes = lesionsToSr(srCase, lesions);

  it('export → import: our report gives back the same lesions and its study', () => {
    const f = readMarksFile(bytes, { urlOfUid: (u) => (u === uidForUrl(url) ? url : undefined) });
    expect(f.format).toBe('sr');
    expect(f.studyInstanceUid).toBe(srCase.studyInstanceUid);
    expect(f.lesions.map((l) => l.lesion)).toEqual(lesions);
    f.lesions.forEach((l, i) => expect(l.where).toMatch(new RegExp(`^ContentSequence\\[\\d+\\]\\.ContentSequence\\[${i}\\]$`)));
  });

  it("another tool's report: geometry from each group's SCOORD, finding kept, ids sr1…", () => {
    const other = edited(bytes, (ds) => {
      for (const g of groupsOf(ds))
        for (const it of arr(g.ContentSequence)) if (arr(it.ConceptNameCodeSequence)[0]?.CodeValue === '112039') it.TextValue = 'OtherViewer:Annotation';
    });
    const f = readMarksFile(other);
    expect(f.lesions.map((l) => [l.lesion.id, l.lesion.kind, l.lesion.image])).toEqual([
      ['sr1', 'point', { sopInstanceUid: uidForUrl(url) }],
      ['sr2', 'box', { sopInstanceUid: uidForUrl(url) }],
      ['sr3', 'ellipse', { sopInstanceUid: '1.2.3.4' }],
      ['sr4', 'polygon', { sopInstanceUid: uidForUrl(url) }],
    ]);
    expect(f.lesions.map((l) => l.lesion.points)).toEqual(lesions.map((l) => l.points));
    expect(f.lesions[0]!.lesion.answers).toMatchObject({ tracking: 'OtherViewer:Annotation', finding: 'Lesion 1: L1' });
  });

  it('refuses a DICOM image (not a report), naming its modality', () => {
    const image = writePart10(
      { SOPClassUID: SOP_CLASS.MG, SOPInstanceUID: uid(9, 9), StudyInstanceUID: uid(9), SeriesInstanceUID: uid(9, 1), Modality: 'MG' },
      { rows: 2, columns: 2, pixels: new Uint16Array(4), bitsStored: 12 },
    );
    expect(failsAt(() => readMarksFile(new Uint8Array(image)))).toMatchObject({ where: '(0008,0060) Modality', message: '(0008,0060) Modality: MG: not a structured report' });
  });

  it('refuses a report that is not TID 1500, and a group without a usable location, naming the item', () => {
    const notMeasurement = edited(bytes, (ds) => {
      ds.ContentTemplateSequence = [{ MappingResource: 'DCMR', TemplateIdentifier: '2000' }];
    });
    expect(failsAt(() => readMarksFile(notMeasurement))).toMatchObject({ where: '(0040,A504) ContentTemplateSequence', message: /template 2000/ });

    const line = edited(bytes, (ds) => {
      const g = groupsOf(ds)[1]!;
      for (const it of arr(g.ContentSequence)) if (arr(it.ConceptNameCodeSequence)[0]?.CodeValue === '112039') it.TextValue = 'OtherViewer:Length';
      const walk = (items: Ds[]) => {
        for (const it of items) {
          if (it.ValueType === 'SCOORD') it.GraphicData = [1, 1, 5, 5];
          walk(arr(it.ContentSequence));
        }
      };
      walk(arr(g.ContentSequence));
    });
    const e = failsAt(() => readMarksFile(line));
    expect(e.where).toMatch(/^ContentSequence\[\d+\]\.ContentSequence\[1\](\.ContentSequence\[\d+\])+\.GraphicData$/);
    expect(e.message).toMatch(/at least 3 vertices, found 2/);
  });

  it("an SR saved by dcmjs's own Cornerstone tools (as OHIF saves it): ellipse, arrow = point, freehand = outline; a length is refused as no region", () => {
    type Report = { generateReport(state: unknown, meta: unknown): { dataset: Ds } };
    const report = (dcmjsModule as unknown as { adapters: { Cornerstone: { MeasurementReport: Report } } }).adapters.Cornerstone.MeasurementReport;
    const sop = '1.2.826.0.1.3680043.10.1234.77.1';
    const meta = {
      get(type: string) {
        if (type === 'generalSeriesModule') return { studyInstanceUID: '1.2.3.77', seriesInstanceUID: '1.2.3.77.1' };
        if (type === 'sopCommonModule') return { sopInstanceUID: sop, sopClassUID: '1.2.840.10008.5.1.4.1.1.1.2' };
        if (type === 'frameNumber') return 1;
        return undefined;
      },
    };
    const write = (state: Record<string, unknown>) => {
      const { dataset } = report.generateReport({ 'wadouri:x': state }, meta);
      return new Uint8Array(dcmjs.data.datasetToBuffer(dataset));
    };
    const quiet = console.log;
    console.log = () => {};
    let good: Uint8Array;
    let length: Uint8Array;
    try {
      good = write({
        EllipticalRoi: { data: [{ handles: { start: { x: 10, y: 20 }, end: { x: 50, y: 40 } }, cachedStats: { area: 1256 } }] },
        ArrowAnnotate: { data: [{ handles: { start: { x: 70, y: 80 }, end: { x: 90, y: 100 } }, text: 'spiculated mass' }] },
        FreehandRoi: {
          data: [
            {
              handles: {
                points: [
                  { x: 1, y: 1 },
                  { x: 30, y: 2 },
                  { x: 15, y: 25 },
                ],
              },
              cachedStats: { area: 340, perimeter: 80 },
            },
          ],
        },
      });
      length = write({ Length: { data: [{ handles: { start: { x: 1, y: 1 }, end: { x: 9, y: 9 } }, length: 11.3 }] } });
    } finally {
      console.log = quiet;
    }
    const f = readMarksFile(good);
    expect(f.studyInstanceUid).toBe('1.2.3.77');
    expect(f.lesions.map((l) => [l.lesion.kind, l.lesion.points, l.lesion.image, l.lesion.answers.tracking])).toEqual([
      [
        'ellipse',
        [
          [10, 20],
          [50, 40],
        ],
        { sopInstanceUid: sop },
        'cornerstoneTools@^4.0.0:EllipticalRoi',
      ],
      ['point', [[70, 80]], { sopInstanceUid: sop }, 'cornerstoneTools@^4.0.0:ArrowAnnotate'],
      [
        'polygon',
        [
          [1, 1],
          [30, 2],
          [15, 25],
        ],
        { sopInstanceUid: sop },
        'cornerstoneTools@^4.0.0:FreehandRoi',
      ],
    ]);
    expect(f.lesions[1]!.lesion.answers.finding).toBe('spiculated mass');
    const e = failsAt(() => readMarksFile(length));
    expect(e.where).toMatch(/\.GraphicData$/);
    expect(e.message).toMatch(/a POLYLINE outline needs at least 3 vertices, found 2 \(a line is not a region\)/);
  });
});
