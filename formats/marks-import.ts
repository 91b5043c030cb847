/**
 * Marks from other tools' files, before they are matched to a project's cases: COCO JSON
 * (boxes and polygon segmentations per image; CVAT, Label Studio, detection models) and DICOM SR
 * TID 1500 measurement reports (ours through dcmjs's adapter, exactly; any other tool's
 * measurement groups through their SCOORD). A file that cannot be read throws one
 * MarksFileError naming where (a JSON path, or the SR content item path); what is readable comes
 * back with the place of every lesion, so later problems (an unknown image or case) can name it too.
 */
import dcmjsModule from 'dcmjs';
import type { Lesion, LesionAnswer, MarkKind } from '../workflows/marks.ts';
import { srToLesions } from './dicom-sr.ts';

export const MARKS_FILE_FORMATS = ['coco', 'sr'] as const;
export type MarksFileFormat = (typeof MARKS_FILE_FORMATS)[number];

export class MarksFileError extends Error {
  constructor(
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`);
  }
}

/** One lesion as read from the file, with where it is (for problems found later). */
export type FileLesion = {
  where: string;
  lesion: Lesion;
  /** COCO: the image's file_name and, when the file says it, the case id it belongs to. */
  fileName?: string;
  caseId?: string;
};
export type MarksFile = { format: MarksFileFormat; studyInstanceUid?: string; lesions: FileLesion[] };

/** A DICOM Part 10 file has "DICM" at byte 128. */
export function isDicom(bytes: Uint8Array): boolean {
  return bytes.length > 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

export function readMarksFile(bytes: Uint8Array, { urlOfUid }: { urlOfUid?: (uid: string) => string | undefined } = {}): MarksFile {
  if (isDicom(bytes)) return readSr(bytes, urlOfUid ?? (() => undefined));
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new MarksFileError('file', 'neither a DICOM file nor UTF-8 JSON text');
  }
  return readCoco(text.replace(/^\uFEFF/, ''));
}

// ── COCO ─────────────────────────────────────────────────────────────────────

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const r3 = (v: number) => Math.round(v * 1000) / 1000;

function num(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new MarksFileError(where, `expected a number, found ${JSON.stringify(v) ?? 'nothing'}`);
  return v;
}

function idOf(v: unknown, where: string): number | string {
  if ((typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v !== '')) return v;
  throw new MarksFileError(where, `expected an id (a number or text), found ${JSON.stringify(v) ?? 'nothing'}`);
}

const LESION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** COCO JSON: `images`, `annotations` and (optionally) `categories`; errors name the JSON path. */
export function readCoco(text: string): MarksFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new MarksFileError('file', `not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (Array.isArray(doc)) throw new MarksFileError('$', 'a list: COCO results without their images cannot be placed; give the COCO object with images and annotations');
  if (!isObj(doc)) throw new MarksFileError('$', 'expected a COCO object with images and annotations');
  if (!Array.isArray(doc.images)) throw new MarksFileError('$.images', 'expected a list of images');
  if (!Array.isArray(doc.annotations)) throw new MarksFileError('$.annotations', 'expected a list of annotations');
  if (doc.categories !== undefined && !Array.isArray(doc.categories)) throw new MarksFileError('$.categories', 'expected a list of categories');

  const images = new Map<number | string, { fileName: string; caseId?: string }>();
  doc.images.forEach((im, i) => {
    const at = `$.images[${i}]`;
    if (!isObj(im)) throw new MarksFileError(at, 'expected an object');
    const id = idOf(im.id, `${at}.id`);
    if (typeof im.file_name !== 'string' || !im.file_name.trim()) throw new MarksFileError(`${at}.file_name`, 'expected the image reference as text');
    if (im.case_id !== undefined && (typeof im.case_id !== 'string' || !im.case_id.trim())) throw new MarksFileError(`${at}.case_id`, 'expected a case id as text');
    if (images.has(id)) throw new MarksFileError(`${at}.id`, `image id ${JSON.stringify(id)} is used twice`);
    images.set(id, { fileName: im.file_name.trim(), ...(typeof im.case_id === 'string' ? { caseId: im.case_id.trim() } : {}) });
  });
  const categories = new Map<number | string, string>();
  ((doc.categories ?? []) as unknown[]).forEach((c, i) => {
    const at = `$.categories[${i}]`;
    if (!isObj(c)) throw new MarksFileError(at, 'expected an object');
    if (typeof c.name !== 'string') throw new MarksFileError(`${at}.name`, 'expected a name');
    categories.set(idOf(c.id, `${at}.id`), c.name);
  });

  const out: FileLesion[] = [];
  const ids = new Set<string>();
  doc.annotations.forEach((a, i) => {
    const at = `$.annotations[${i}]`;
    if (!isObj(a)) throw new MarksFileError(at, 'expected an object');
    const imageId = idOf(a.image_id, `${at}.image_id`);
    const image = images.get(imageId);
    if (!image) throw new MarksFileError(`${at}.image_id`, `no image with id ${JSON.stringify(imageId)} in $.images`);
    const attrs = a.attributes === undefined ? {} : a.attributes;
    if (!isObj(attrs)) throw new MarksFileError(`${at}.attributes`, 'expected an object');
    const answers: Record<string, LesionAnswer> = {};
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'lesion_id' || k === 'kind') continue;
      if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) answers[k] = v;
      else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) answers[k] = v as string[];
      else throw new MarksFileError(`${at}.attributes.${k}`, 'expected text, a number, true/false or a list of text');
    }
    if (a.category_id !== undefined) {
      const cid = idOf(a.category_id, `${at}.category_id`);
      const name = categories.get(cid);
      if (name === undefined) throw new MarksFileError(`${at}.category_id`, `no category with id ${JSON.stringify(cid)} in $.categories`);
      if (name !== 'lesion') answers.category = name;
    }
    // Detection results carry the model's confidence.
    if (a.score !== undefined) answers.score = num(a.score, `${at}.score`);

    const rawId = attrs.lesion_id ?? (a.id !== undefined ? `coco${String(idOf(a.id, `${at}.id`))}` : `coco${i + 1}`);
    if (typeof rawId !== 'string' || !LESION_ID.test(rawId)) throw new MarksFileError(`${at}.attributes.lesion_id`, 'a lesion id is 1–64 letters, digits, _ or -');

    const seg = a.segmentation;
    const polygons: number[][] = [];
    if (seg !== undefined && seg !== null) {
      if (isObj(seg)) throw new MarksFileError(`${at}.segmentation`, 'an RLE mask: only polygon segmentations can be imported as outlines');
      if (!Array.isArray(seg)) throw new MarksFileError(`${at}.segmentation`, 'expected a list of polygons [[x1, y1, x2, y2, …]]');
      seg.forEach((poly, k) => {
        const ps = `${at}.segmentation[${k}]`;
        if (!Array.isArray(poly)) throw new MarksFileError(ps, 'expected a polygon [x1, y1, x2, y2, …]');
        if (poly.length < 6 || poly.length % 2) throw new MarksFileError(ps, `a polygon needs at least 3 x, y pairs; found ${poly.length} numbers`);
        polygons.push(poly.map((v, j) => num(v, `${ps}[${j}]`)));
      });
    }
    const declared = attrs.kind;
    if (declared !== undefined && declared !== 'box' && declared !== 'polygon') throw new MarksFileError(`${at}.attributes.kind`, 'expected "box" or "polygon"');
    const asBox = declared === 'box' || (declared === undefined && !polygons.length);
    const base = { fileName: image.fileName, ...(image.caseId ? { caseId: image.caseId } : {}) };
    if (asBox) {
      if (!Array.isArray(a.bbox) || a.bbox.length !== 4) throw new MarksFileError(`${at}.bbox`, 'expected [x, y, width, height]');
      const [x, y, w, h] = a.bbox.map((v, k) => num(v, `${at}.bbox[${k}]`)) as [number, number, number, number];
      if (w <= 0 || h <= 0) throw new MarksFileError(`${at}.bbox`, `a box needs a positive width and height, found ${w} × ${h}`);
      add(`${at}.bbox`, rawId, 'box', [
        [r3(x), r3(y)],
        [r3(x + w), r3(y + h)],
      ]);
    } else {
      if (!polygons.length) throw new MarksFileError(`${at}.segmentation`, 'a polygon annotation without a polygon');
      // A multi-part segmentation is one lesion per part (a mark is one outline).
      polygons.forEach((poly, k) => {
        const pts: [number, number][] = [];
        for (let j = 0; j < poly.length; j += 2) pts.push([r3(poly[j]!), r3(poly[j + 1]!)]);
        add(`${at}.segmentation[${k}]`, polygons.length > 1 ? `${rawId}-${k + 1}`.slice(0, 64) : rawId, 'polygon', pts);
      });
    }
    function add(where: string, id: string, kind: MarkKind, points: [number, number][]) {
      if (ids.has(`${image!.fileName}\u0000${id}`)) throw new MarksFileError(where, `lesion id ${id} is used twice on image ${image!.fileName}`);
      ids.add(`${image!.fileName}\u0000${id}`);
      out.push({ where, ...base, lesion: { id, kind, image: { url: image!.fileName }, points, answers: { ...answers } } });
    }
  });
  return { format: 'coco', lesions: out };
}

// ── DICOM SR ─────────────────────────────────────────────────────────────────

type Item = Record<string, unknown>;
type Code = { CodeValue?: string; CodingSchemeDesignator?: string; CodeMeaning?: string };
const arr = <T>(x: T | T[] | undefined | null): T[] => (x === undefined || x === null ? [] : Array.isArray(x) ? x : [x]);
const conceptOf = (it: Item): Code => arr(it.ConceptNameCodeSequence as Code | Code[])[0] ?? {};
const isConcept = (it: Item, value: string) => conceptOf(it).CodeValue === value;

type DcmjsData = {
  data: {
    DicomMessage: { readFile(buf: ArrayBuffer): { dict: Record<string, unknown> } };
    DicomMetaDictionary: { naturalizeDataset(d: Record<string, unknown>): Item };
  };
};
const dcmjs = dcmjsModule as unknown as DcmjsData;

const TRUTHLINE_TRACKING = 'Truthline:';

function readSr(bytes: Uint8Array, urlOfUid: (uid: string) => string | undefined): MarksFile {
  let ds: Item;
  try {
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(ab).dict);
  } catch (e) {
    throw new MarksFileError('file', `not a readable DICOM file (${e instanceof Error ? e.message : String(e)})`);
  }
  const tmpl = arr(ds.ContentTemplateSequence as Item[])[0]?.TemplateIdentifier;
  if (ds.Modality !== 'SR' && !arr(ds.ContentSequence as Item[]).length)
    throw new MarksFileError('(0008,0060) Modality', `${String(ds.Modality ?? 'none')}: not a structured report`);
  if (tmpl !== '1500') throw new MarksFileError('(0040,A504) ContentTemplateSequence', `template ${String(tmpl ?? 'none')}: not a TID 1500 measurement report`);
  const study = typeof ds.StudyInstanceUID === 'string' ? ds.StudyInstanceUID : undefined;

  // Where each measurement group is, in content item paths, and which are ours.
  const root = arr(ds.ContentSequence as Item[]);
  const mi = root.findIndex((it) => isConcept(it, '126010'));
  if (mi < 0) throw new MarksFileError('ContentSequence', 'no Imaging Measurements (126010) container');
  const groups = arr(root[mi]!.ContentSequence as Item[])
    .map((g, i) => ({ g, where: `ContentSequence[${mi}].ContentSequence[${i}]` }))
    .filter(({ g }) => isConcept(g, '125007'));
  const tracking = (g: Item) => String(arr(g.ContentSequence as Item[]).find((it) => isConcept(it, '112039'))?.TextValue ?? '');
  const ours = groups.filter(({ g }) => tracking(g).startsWith(TRUTHLINE_TRACKING));
  const others = groups.filter(({ g }) => !tracking(g).startsWith(TRUTHLINE_TRACKING));

  const out: FileLesion[] = [];
  if (ours.length) {
    // Our own reports keep answers, provenance and spacing: read them as they were written.
    let lesions: Lesion[];
    try {
      lesions = srToLesions(bytes, urlOfUid);
    } catch (e) {
      throw new MarksFileError(ours[0]!.where, e instanceof Error ? e.message : String(e));
    }
    lesions.forEach((l, i) => out.push({ where: ours[i]?.where ?? `measurement group ${i + 1}`, lesion: l }));
  }
  const ids = new Set(out.map((l) => l.lesion.id));
  others.forEach(({ g, where }, k) => {
    let n = k + 1;
    while (ids.has(`sr${n}`)) n++;
    const l = genericGroup(g, where, urlOfUid, `sr${n}`);
    ids.add(l.id);
    out.push({ where, lesion: l });
  });
  return { format: 'sr', ...(study ? { studyInstanceUid: study } : {}), lesions: out };
}

/** A measurement group of another tool: its SCOORD (in a NUM or directly), finding and tracking id. */
function genericGroup(g: Item, where: string, urlOfUid: (uid: string) => string | undefined, fallbackId: string): Lesion {
  let found: { it: Item; where: string } | null = null;
  const walk = (items: Item[], at: string) => {
    items.forEach((it, i) => {
      if (found) return;
      const here = `${at}.ContentSequence[${i}]`;
      if (it.ValueType === 'SCOORD') found = { it, where: here };
      else walk(arr(it.ContentSequence as Item[]), here);
    });
  };
  walk(arr(g.ContentSequence as Item[]), where);
  if (!found) throw new MarksFileError(where, 'a measurement group without a SCOORD (no location)');
  const { it, where: sw } = found as { it: Item; where: string };
  const type = String(it.GraphicType ?? '');
  const data = arr(it.GraphicData as number[]).map(Number);
  if (data.length % 2 || data.some((v) => !Number.isFinite(v))) throw new MarksFileError(`${sw}.GraphicData`, `expected x, y pairs of numbers, found ${data.length} values`);
  const pts: [number, number][] = [];
  for (let i = 0; i < data.length; i += 2) pts.push([r3(data[i]!), r3(data[i + 1]!)]);
  let kind: MarkKind;
  let points: [number, number][];
  const bbox = (p: [number, number][]): [number, number][] => [
    [Math.min(...p.map((q) => q[0])), Math.min(...p.map((q) => q[1]))],
    [Math.max(...p.map((q) => q[0])), Math.max(...p.map((q) => q[1]))],
  ];
  if (type === 'POINT') {
    if (pts.length !== 1) throw new MarksFileError(`${sw}.GraphicData`, `a POINT has 1 x, y pair, found ${pts.length}`);
    [kind, points] = ['point', pts];
  } else if (type === 'ELLIPSE') {
    if (pts.length !== 4) throw new MarksFileError(`${sw}.GraphicData`, `an ELLIPSE has 4 points (its axes), found ${pts.length}`);
    [kind, points] = ['ellipse', bbox(pts)];
  } else if (type === 'CIRCLE') {
    if (pts.length !== 2) throw new MarksFileError(`${sw}.GraphicData`, `a CIRCLE has its centre and a point on it, found ${pts.length} points`);
    const [[cx, cy], [px, py]] = pts as [[number, number], [number, number]];
    const r = Math.hypot(px - cx, py - cy);
    [kind, points] = [
      'ellipse',
      [
        [r3(cx - r), r3(cy - r)],
        [r3(cx + r), r3(cy + r)],
      ],
    ];
  } else if (type === 'POLYLINE' || type === 'POLYGON') {
    const open = pts.length > 1 && pts[0]![0] === pts.at(-1)![0] && pts[0]![1] === pts.at(-1)![1] ? pts.slice(0, -1) : pts;
    if (open.length < 3) throw new MarksFileError(`${sw}.GraphicData`, `a ${type} outline needs at least 3 vertices, found ${open.length} (a line is not a region)`);
    const [a, b] = bbox(open) as [[number, number], [number, number]];
    const axisBox = open.length === 4 && open.every(([x, y]) => (x === a[0] || x === b[0]) && (y === a[1] || y === b[1]));
    [kind, points] = axisBox ? ['box', [a, b]] : ['polygon', open];
  } else throw new MarksFileError(`${sw}.GraphicType`, `${type || 'none'}: only POINT, POLYLINE, POLYGON, ELLIPSE and CIRCLE can be imported`);

  const ref = arr(arr(it.ContentSequence as Item[])[0]?.ReferencedSOPSequence as Item[])[0];
  const sop = typeof ref?.ReferencedSOPInstanceUID === 'string' ? ref.ReferencedSOPInstanceUID : undefined;
  if (!sop) throw new MarksFileError(`${sw}.ContentSequence[0].ReferencedSOPSequence`, 'the SCOORD names no image (ReferencedSOPInstanceUID)');
  const frame = ref?.ReferencedFrameNumber !== undefined ? Number(arr(ref.ReferencedFrameNumber as number[])[0]) : undefined;
  const url = urlOfUid(sop);
  const answers: Record<string, LesionAnswer> = {};
  const items = arr(g.ContentSequence as Item[]);
  const finding = items.find((x) => isConcept(x, '121071'));
  const findingCode = finding ? (arr(finding.ConceptCodeSequence as Code[])[0] ?? {}) : null;
  if (findingCode?.CodeMeaning) answers.finding = findingCode.CodeMeaning;
  const site = items.find((x) => isConcept(x, '363698007'));
  const siteCode = site ? (arr(site.ConceptCodeSequence as Code[])[0] ?? {}) : null;
  if (siteCode?.CodeMeaning) answers.finding_site = siteCode.CodeMeaning;
  // Other tools' tracking identifiers name the tool, not the lesion (often the same in every group).
  const tracked = String(items.find((x) => isConcept(x, '112039'))?.TextValue ?? '');
  if (tracked) answers.tracking = tracked;
  return {
    id: fallbackId,
    kind,
    image: url ? { url } : { sopInstanceUid: sop, ...(frame && frame !== 1 ? { frame } : {}) },
    points,
    answers,
  };
}
