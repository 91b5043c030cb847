/**
 * Lesions as COCO JSON (boxes and polygons; points and ellipses have no COCO annotation and are
 * left out) and back, with errors naming the field. Image ids follow the order of `images`;
 * the category is the value of one lesion field (e.g. type), the other answers ride in
 * `attributes` as CVAT writes them.
 */
import type { Lesion, LesionAnswer } from '../workflows/marks.ts';

export type CocoImage = { url: string; width: number; height: number };
export type Coco = {
  images: { id: number; file_name: string; width: number; height: number }[];
  categories: { id: number; name: string }[];
  annotations: {
    id: number;
    image_id: number;
    category_id: number;
    bbox: [number, number, number, number];
    area: number;
    iscrowd: 0;
    segmentation: number[][];
    attributes: Record<string, unknown>;
  }[];
};

export function lesionsToCoco(images: CocoImage[], lesions: Lesion[], categoryField: string): Coco {
  const cats = [...new Set(lesions.map((l) => String(l.answers[categoryField] ?? 'lesion')))].sort();
  const out: Coco = {
    images: images.map((im, i) => ({ id: i + 1, file_name: im.url, width: im.width, height: im.height })),
    categories: cats.map((name, i) => ({ id: i + 1, name })),
    annotations: [],
  };
  for (const l of lesions) {
    if (l.kind !== 'box' && l.kind !== 'polygon') continue;
    const imageId = images.findIndex((im) => im.url === l.image.url) + 1;
    if (!imageId) continue;
    const xs = l.points.map((p) => p[0]);
    const ys = l.points.map((p) => p[1]);
    const [x0, y0, x1, y1] = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
    const seg = l.kind === 'box' ? [x0, y0, x1, y0, x1, y1, x0, y1] : l.points.flat();
    const { [categoryField]: _c, ...attributes } = l.answers;
    out.annotations.push({
      id: out.annotations.length + 1,
      image_id: imageId,
      category_id: cats.indexOf(String(l.answers[categoryField] ?? 'lesion')) + 1,
      bbox: [x0, y0, x1 - x0, y1 - y0],
      area: l.kind === 'box' ? (x1 - x0) * (y1 - y0) : polygonArea(l.points),
      iscrowd: 0,
      segmentation: [seg],
      attributes: { ...attributes, lesion_id: l.id, kind: l.kind },
    });
  }
  return out;
}

function polygonArea(p: [number, number][]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const q = p[(i + 1) % p.length]!;
    s += p[i]![0] * q[1] - q[0] * p[i]![1];
  }
  return Math.abs(s) / 2;
}

export class CocoImportError extends Error {}

const num = (v: unknown, where: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new CocoImportError(`${where}: expected a number`);
  return v;
};

/** Lesions from COCO JSON text; an error names the annotation and field ("annotations[3].bbox: …"). */
export function cocoToLesions(text: string, categoryField: string): Lesion[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CocoImportError(`not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const d = doc as Partial<Coco>;
  if (!Array.isArray(d.images)) throw new CocoImportError('images: expected a list');
  if (!Array.isArray(d.annotations)) throw new CocoImportError('annotations: expected a list');
  const cats = new Map((d.categories ?? []).map((c) => [c.id, c.name]));
  const files = new Map(d.images.map((im) => [im.id, im.file_name]));
  return d.annotations.map((a, i) => {
    const at = `annotations[${i}]`;
    const url = files.get(a.image_id);
    if (url === undefined) throw new CocoImportError(`${at}.image_id: no image ${JSON.stringify(a.image_id)}`);
    if (!Array.isArray(a.bbox) || a.bbox.length !== 4) throw new CocoImportError(`${at}.bbox: expected [x, y, width, height]`);
    const [x, y, w, h] = a.bbox.map((v, k) => num(v, `${at}.bbox[${k}]`)) as [number, number, number, number];
    const attrs = (a.attributes ?? {}) as Record<string, unknown>;
    const kind = attrs.kind === 'polygon' ? 'polygon' : 'box';
    const seg = Array.isArray(a.segmentation) && Array.isArray(a.segmentation[0]) ? a.segmentation[0] : null;
    const points: [number, number][] = [];
    if (kind === 'polygon') {
      if (!seg || seg.length < 6 || seg.length % 2) throw new CocoImportError(`${at}.segmentation: a polygon needs at least 3 x, y pairs`);
      for (let k = 0; k < seg.length; k += 2) points.push([num(seg[k], `${at}.segmentation[0][${k}]`), num(seg[k + 1], `${at}.segmentation[0][${k + 1}]`)]);
    } else points.push([x, y], [x + w, y + h]);
    const { lesion_id: id, kind: _k, ...answers } = attrs;
    const category = cats.get(a.category_id);
    if (category === undefined) throw new CocoImportError(`${at}.category_id: no category ${JSON.stringify(a.category_id)}`);
    return {
      id: typeof id === 'string' ? id : `coco${a.id}`,
      kind,
      image: { url },
      points,
      answers: { ...(category === 'lesion' ? {} : { [categoryField]: category }), ...(answers as Record<string, LesionAnswer>) },
    };
  });
}

/** One case of a project-wide COCO file: its id as the manifest names it, its images, its lesions. */
export type CocoCase = { caseId: string; images: { url: string; width?: number; height?: number }[]; lesions: Lesion[] };
export type ProjectCoco = {
  info: { description: string; date_created: string; left_out: { points: number; ellipses: number; unplaced: number } };
  images: { id: number; file_name: string; case_id: string; width?: number; height?: number }[];
  categories: Coco['categories'];
  annotations: Coco['annotations'];
};

/**
 * Several cases' lesions as one COCO file: every image carries the case id (`case_id`, what the
 * marks import places by), width and height when known; the category is the lesion's answer to
 * `categoryField`, the other answers ride in `attributes` with the lesion id and kind, so
 * `cocoCasesToLesions(casesToCoco(x))` gives back x's boxes (corners as min, max) and polygons.
 * Points and ellipses have no COCO annotation: they are counted in `info.left_out`, as are lesions
 * on an image the case does not list (a DICOM image named by its SOP Instance UID alone).
 */
export function casesToCoco(input: { cases: CocoCase[]; categoryField: string; description: string; now?: Date }): ProjectCoco {
  const cat = (l: Lesion) => String(l.answers[input.categoryField] ?? 'lesion');
  const cats = [...new Set(input.cases.flatMap((c) => c.lesions.filter((l) => l.kind === 'box' || l.kind === 'polygon').map(cat)))].sort();
  const out: ProjectCoco = {
    info: { description: input.description, date_created: (input.now ?? new Date()).toISOString(), left_out: { points: 0, ellipses: 0, unplaced: 0 } },
    images: [],
    categories: cats.map((name, i) => ({ id: i + 1, name })),
    annotations: [],
  };
  for (const c of input.cases) {
    const ids = new Map<string, number>();
    for (const im of c.images) {
      if (ids.has(im.url)) continue;
      const id = out.images.length + 1;
      ids.set(im.url, id);
      out.images.push({
        id,
        file_name: im.url,
        case_id: c.caseId,
        ...(im.width && im.height ? { width: im.width, height: im.height } : {}),
      });
    }
    for (const l of c.lesions) {
      if (l.kind === 'point' || l.kind === 'ellipse') {
        out.info.left_out[l.kind === 'point' ? 'points' : 'ellipses']++;
        continue;
      }
      const imageId = l.image.url === undefined ? undefined : ids.get(l.image.url);
      if (imageId === undefined) {
        out.info.left_out.unplaced++;
        continue;
      }
      const xs = l.points.map((p) => p[0]);
      const ys = l.points.map((p) => p[1]);
      const [x0, y0, x1, y1] = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
      const { [input.categoryField]: _c, ...attributes } = l.answers;
      out.annotations.push({
        id: out.annotations.length + 1,
        image_id: imageId,
        category_id: cats.indexOf(cat(l)) + 1,
        bbox: [x0, y0, x1 - x0, y1 - y0],
        area: l.kind === 'box' ? (x1 - x0) * (y1 - y0) : polygonArea(l.points),
        iscrowd: 0,
        segmentation: [l.kind === 'box' ? [x0, y0, x1, y0, x1, y1, x0, y1] : l.points.flat()],
        attributes: { ...attributes, lesion_id: l.id, kind: l.kind },
      });
    }
  }
  return out;
}

/** The inverse of casesToCoco: lesions per case id (images without `case_id` under ""), in file order. */
export function cocoCasesToLesions(text: string, categoryField: string): Map<string, Lesion[]> {
  const lesions = cocoToLesions(text, categoryField);
  const doc = JSON.parse(text) as { images: { id: number; file_name: string; case_id?: unknown }[]; annotations: { image_id: number }[] };
  const caseOf = new Map(doc.images.map((im) => [im.id, typeof im.case_id === 'string' ? im.case_id : '']));
  const out = new Map<string, Lesion[]>();
  lesions.forEach((l, i) => {
    const c = caseOf.get(doc.annotations[i]!.image_id) ?? '';
    out.set(c, [...(out.get(c) ?? []), l]);
  });
  return out;
}
