/**
 * A case's lesions as a DICOM SR measurement report (TID 1500), written and read through dcmjs's
 * Cornerstone adapter (adapters.Cornerstone.MeasurementReport): each lesion is one TID 1501
 * measurement group — tracking identifier "Truthline:<kind>", the lesion id as its finding
 * (99TLLESION), each answer as a finding site (99TL, "key=JSON value"), the decision as a finding
 * site (99TLSOURCE) — with its outline as TID 300 SCOORD in image pixel coordinates on the
 * referenced SOP instance (POINT, POLYLINE for boxes and outlines, ELLIPSE by its axes).
 * Web images have no SOP Instance UID: they are referenced by a UID derived from the image URL
 * (2.25 + 128 bits of its SHA-256), which the import maps back through the case's images.
 */
import { createHash } from 'node:crypto';
import dcmjsModule from 'dcmjs';
import type { Lesion, LesionAnswer, LesionSource, MarkKind } from '../workflows/marks.ts';

type Code = { CodeValue: string; CodingSchemeDesignator: string; CodeMeaning: string };
type Pt = { x: number; y: number };
// dcmjs ships no types; only what this file calls.
type ToolClass = {
  toolType: string;
  utilityToolType: string;
  TID300Representation: unknown;
  getTID300RepresentationArguments(tool: Tool): Record<string, unknown>;
  getMeasurementData(group: Record<string, unknown>): Tool;
  isValidCornerstoneTrackingIdentifier(t: string): boolean;
};
type Tool = { kind: MarkKind; points: Pt[]; finding: Code; findingSites: Code[]; sopInstanceUid?: string; frame?: number };
type Dcmjs = {
  adapters: {
    Cornerstone: {
      MeasurementReport: {
        registerTool(c: ToolClass): void;
        generateReport(
          toolState: Record<string, Record<string, { data: Tool[] }>>,
          metadata: { get(type: string, imageId: string): unknown },
          options?: Record<string, unknown>,
        ): { dataset: Record<string, unknown> };
        generateToolState(dataset: Record<string, unknown>): Record<string, Tool[]>;
        CORNERSTONE_TOOL_CLASSES_BY_TOOL_TYPE: Record<string, ToolClass>;
      };
    };
  };
  utilities: { TID300: Record<string, unknown> };
  data: {
    datasetToBuffer(ds: Record<string, unknown>): Buffer;
    DicomMessage: { readFile(buf: ArrayBuffer): { dict: Record<string, unknown>; meta: Record<string, unknown> } };
    DicomMetaDictionary: { naturalizeDataset(d: Record<string, unknown>): Record<string, unknown> };
  };
};
const dcmjs = dcmjsModule as unknown as Dcmjs;

export const SR_TRACKING_PREFIX = 'Truthline:';
const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
const MAMMO_PRESENTATION = '1.2.840.10008.5.1.4.1.1.1.2';

/** The UID a web image is referenced by (stable: derived from its URL). */
export function uidForUrl(url: string): string {
  const h = createHash('sha256').update(url).digest();
  return `2.25.${BigInt(`0x${h.subarray(0, 16).toString('hex')}`).toString()}`;
}

const toArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

function bboxOf(pts: Pt[]): [Pt, Pt] {
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  return [
    { x: Math.min(...xs), y: Math.min(...ys) },
    { x: Math.max(...xs), y: Math.max(...ys) },
  ];
}

/** The SCOORD of a measurement group (inside its NUM, or directly in the group). */
function scoordOf(group: Record<string, unknown>): { GraphicType: string; GraphicData: number[]; sop?: string; frame?: number } {
  const walk = (items: Record<string, unknown>[]): Record<string, unknown> | null => {
    for (const it of items) {
      if (it.ValueType === 'SCOORD') return it;
      const inner = walk(toArray(it.ContentSequence as Record<string, unknown>[] | undefined));
      if (inner) return inner;
    }
    return null;
  };
  const s = walk(toArray(group.ContentSequence as Record<string, unknown>[]));
  if (!s) throw new Error('a measurement group has no SCOORD');
  const ref = (toArray(s.ContentSequence as Record<string, unknown>[])[0]?.ReferencedSOPSequence ?? {}) as Record<string, unknown>;
  const r = (toArray(ref)[0] ?? {}) as Record<string, unknown>;
  return {
    GraphicType: String(s.GraphicType),
    GraphicData: toArray(s.GraphicData as number[]).map(Number),
    sop: r.ReferencedSOPInstanceUID as string | undefined,
    frame: r.ReferencedFrameNumber !== undefined ? Number(r.ReferencedFrameNumber) : undefined,
  };
}

function codesOf(group: Record<string, unknown>, meaning: string): Code[] {
  return toArray(group.ContentSequence as Record<string, unknown>[])
    .filter((it) => (toArray(it.ConceptNameCodeSequence as Code[])[0]?.CodeMeaning ?? '') === meaning)
    .map((it) => toArray(it.ConceptCodeSequence as Code[])[0]!)
    .filter(Boolean);
}

function shoelace(p: Pt[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const q = p[(i + 1) % p.length]!;
    s += p[i]!.x * q.y - q.x * p[i]!.y;
  }
  return Math.abs(s) / 2;
}

function toolClass(kind: MarkKind): ToolClass {
  const T = dcmjs.utilities.TID300;
  const rep = kind === 'point' ? T.Point : kind === 'ellipse' ? T.Ellipse : T.Polyline;
  return {
    toolType: `Truthline${kind}`,
    utilityToolType: `Truthline${kind}`,
    TID300Representation: rep,
    getTID300RepresentationArguments(tool) {
      let points = tool.points;
      if (kind === 'box') {
        const [a, b] = bboxOf(points);
        points = [a, { x: b.x, y: a.y }, b, { x: a.x, y: b.y }, a];
      } else if (kind === 'ellipse') {
        // ELLIPSE: the end points of the major then the minor axis.
        const [a, b] = bboxOf(points);
        const cx = (a.x + b.x) / 2;
        const cy = (a.y + b.y) / 2;
        const horizontal = b.x - a.x >= b.y - a.y;
        points = horizontal
          ? [
              { x: a.x, y: cy },
              { x: b.x, y: cy },
              { x: cx, y: a.y },
              { x: cx, y: b.y },
            ]
          : [
              { x: cx, y: a.y },
              { x: cx, y: b.y },
              { x: a.x, y: cy },
              { x: b.x, y: cy },
            ];
      } else if (kind === 'polygon') points = [...points, points[0]!];
      // TID 300 carries the outline with a measurement: the area (and perimeter) in pixels.
      const [a, b] = bboxOf(tool.points);
      const area =
        kind === 'box' ? (b.x - a.x) * (b.y - a.y) : kind === 'ellipse' ? (Math.PI / 4) * (b.x - a.x) * (b.y - a.y) : kind === 'polygon' ? shoelace(tool.points) : undefined;
      const perimeter = kind === 'box' || kind === 'polygon' ? points.slice(1).reduce((s, p, i) => s + Math.hypot(p.x - points[i]!.x, p.y - points[i]!.y), 0) : undefined;
      return {
        points,
        trackingIdentifierTextValue: `${SR_TRACKING_PREFIX}${kind}`,
        finding: tool.finding,
        findingSites: tool.findingSites,
        use3DSpatialCoordinates: false,
        ...(area !== undefined ? { area: Math.round(area * 100) / 100, areaUnit: 'px2' } : {}),
        ...(perimeter !== undefined ? { perimeter: Math.round(perimeter * 100) / 100, unit: 'px' } : {}),
      };
    },
    getMeasurementData(group) {
      const s = scoordOf(group);
      const pts: Pt[] = [];
      for (let i = 0; i + 1 < s.GraphicData.length; i += 2) pts.push({ x: s.GraphicData[i]!, y: s.GraphicData[i + 1]! });
      let points = pts;
      if (kind === 'box' || kind === 'ellipse') points = bboxOf(pts);
      else if (kind === 'polygon' && pts.length > 3 && pts[0]!.x === pts.at(-1)!.x && pts[0]!.y === pts.at(-1)!.y) points = pts.slice(0, -1);
      return {
        kind,
        points,
        finding: codesOf(group, 'Finding')[0]!,
        findingSites: codesOf(group, 'Finding Site'),
        sopInstanceUid: s.sop,
        frame: s.frame,
      };
    },
    isValidCornerstoneTrackingIdentifier: (t) => t === `${SR_TRACKING_PREFIX}${kind}`,
  };
}

let registered = false;
function register() {
  if (registered) return;
  for (const k of ['point', 'box', 'ellipse', 'polygon'] as const) dcmjs.adapters.Cornerstone.MeasurementReport.registerTool(toolClass(k));
  registered = true;
}

export type SrCase = {
  studyInstanceUid: string;
  patientId: string;
  studyDate: string;
  /** The SR's own series and instance UIDs (stable per case, so re-exports are comparable). */
  seriesInstanceUid: string;
  sopInstanceUid: string;
};

function answerCodes(l: Lesion): Code[] {
  const out: Code[] = Object.entries(l.answers).map(([k, v]) => ({
    CodeValue: String(v).slice(0, 16),
    CodingSchemeDesignator: '99TL',
    CodeMeaning: `${k}=${JSON.stringify(v)}`.slice(0, 64),
  }));
  if (l.source) {
    out.push({ CodeValue: l.source.action, CodingSchemeDesignator: '99TLSOURCE', CodeMeaning: (l.source.note ?? l.source.action).slice(0, 64) });
    for (const m of l.source.marks) out.push({ CodeValue: m.slice(-16), CodingSchemeDesignator: '99TLMARK', CodeMeaning: m.slice(0, 64) });
  }
  // The pixel spacing the mark was drawn with (mm distances in matching), so a re-import is the same lesion.
  if (l.spacing) out.push({ CodeValue: 'spacing', CodingSchemeDesignator: '99TLSPACING', CodeMeaning: JSON.stringify(l.spacing) });
  return out;
}

/** The Part 10 bytes of a TID 1500 report holding the lesions (at least one). */
export function lesionsToSr(c: SrCase, lesions: Lesion[]): Buffer {
  if (!lesions.length) throw new Error('a measurement report needs at least one lesion');
  register();
  const toolState: Record<string, Record<string, { data: Tool[] }>> = {};
  const sopOf = new Map<string, { sop: string; frame?: number; url?: string }>();
  lesions.forEach((l, i) => {
    // One image id per lesion: the adapter makes one measurement group per image id and tool type.
    const imageId = `lesion:${i}`;
    sopOf.set(imageId, { sop: l.image.sopInstanceUid ?? uidForUrl(l.image.url ?? ''), frame: l.image.frame, url: l.image.url });
    const tool: Tool = {
      kind: l.kind,
      points: l.points.map(([x, y]) => ({ x, y })),
      finding: { CodeValue: l.id.slice(0, 16), CodingSchemeDesignator: '99TLLESION', CodeMeaning: `Lesion ${i + 1}: ${l.id}` },
      findingSites: answerCodes(l),
    };
    toolState[imageId] = { [`Truthline${l.kind}`]: { data: [tool] } };
  });
  const metadata = {
    get(type: string, imageId: string): unknown {
      const s = sopOf.get(imageId)!;
      if (type === 'generalSeriesModule') return { studyInstanceUID: c.studyInstanceUid, seriesInstanceUID: c.seriesInstanceUid };
      if (type === 'sopCommonModule') return { sopInstanceUID: s.sop, sopClassUID: s.url ? SECONDARY_CAPTURE : MAMMO_PRESENTATION };
      if (type === 'frameNumber') return s.frame ?? 1;
      return undefined;
    },
  };
  const { dataset } = dcmjs.adapters.Cornerstone.MeasurementReport.generateReport(toolState, metadata);
  Object.assign(dataset, {
    SeriesInstanceUID: c.seriesInstanceUid,
    SOPInstanceUID: c.sopInstanceUid,
    PatientID: c.patientId,
    PatientName: c.patientId,
    StudyDate: c.studyDate.replaceAll('-', ''),
    SeriesDescription: 'Truthline lesions',
  });
  (dataset._meta as Record<string, { Value: string[] }>).MediaStorageSOPInstanceUID = { Value: [c.sopInstanceUid] } as never;
  return Buffer.from(dcmjs.data.datasetToBuffer(dataset));
}

export class SrImportError extends Error {}

/**
 * Lesions from a TID 1500 report's bytes. `urlOfUid` maps the UIDs of web images back to their
 * URLs (the case's images); other references keep their SOP Instance UID and frame.
 */
export function srToLesions(bytes: Uint8Array, urlOfUid: (uid: string) => string | undefined = () => undefined): Lesion[] {
  register();
  let ds: Record<string, unknown>;
  try {
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(ab).dict);
  } catch (e) {
    throw new SrImportError(`not a DICOM file: ${e instanceof Error ? e.message : String(e)}`);
  }
  const tmpl = toArray(ds.ContentTemplateSequence as { TemplateIdentifier?: string }[])[0]?.TemplateIdentifier;
  if (tmpl !== '1500') throw new SrImportError(`not a TID 1500 measurement report (template ${tmpl ?? 'none'})`);
  const log = console.log;
  let state: Record<string, Tool[]>;
  try {
    console.log = () => {}; // the adapter logs every measurement it reads
    state = dcmjs.adapters.Cornerstone.MeasurementReport.generateToolState(ds);
  } catch (e) {
    throw new SrImportError(`the report's measurements cannot be read: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    console.log = log;
  }
  const out: (Lesion & { order: number })[] = [];
  for (const kind of ['point', 'box', 'ellipse', 'polygon'] as const) {
    for (const t of state[`Truthline${kind}`] ?? []) {
      const answers: Record<string, LesionAnswer> = {};
      let source: LesionSource | undefined;
      const marks: string[] = [];
      let spacing: [number, number] | undefined;
      for (const c of t.findingSites) {
        if (c.CodingSchemeDesignator === '99TLSPACING') {
          let v: unknown;
          try {
            v = JSON.parse(c.CodeMeaning);
          } catch {
            throw new SrImportError(`a pixel spacing that is not [row, column]: ${c.CodeMeaning}`);
          }
          if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && x > 0)) spacing = [v[0], v[1]];
        }
        if (c.CodingSchemeDesignator === '99TLMARK') marks.push(c.CodeMeaning);
        if (c.CodingSchemeDesignator === '99TL') {
          const eq = c.CodeMeaning.indexOf('=');
          answers[c.CodeMeaning.slice(0, eq)] = JSON.parse(c.CodeMeaning.slice(eq + 1)) as LesionAnswer;
        } else if (c.CodingSchemeDesignator === '99TLSOURCE') {
          const action = c.CodeValue as LesionSource['action'];
          source = { marks, action, ...(c.CodeMeaning !== action ? { note: c.CodeMeaning } : {}) };
        }
      }
      const url = t.sopInstanceUid ? urlOfUid(t.sopInstanceUid) : undefined;
      const image = url ? { url } : { sopInstanceUid: t.sopInstanceUid ?? '', ...(t.frame && t.frame !== 1 ? { frame: t.frame } : {}) };
      const named = /^Lesion (\d+): (.+)$/.exec(t.finding?.CodeMeaning ?? '');
      out.push({
        order: named ? Number(named[1]) : 1e9 + out.length,
        id: named ? named[2]! : (t.finding?.CodeValue ?? `sr${out.length + 1}`),
        kind,
        image,
        // SCOORD holds 32-bit floats; marks are kept to 1/1000 px, so that is what comes back.
        points: t.points.map((p) => [Math.round(p.x * 1000) / 1000, Math.round(p.y * 1000) / 1000]),
        answers,
        ...(spacing ? { spacing } : {}),
        ...(source ? { source } : {}),
      });
    }
  }
  return out.sort((a, b) => a.order - b.order).map(({ order: _o, ...l }) => l);
}
