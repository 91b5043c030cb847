/**
 * The marks a reader draws, structurally identical to viewer/marks-types.ts (OWNERS.md). stats/
 * imports nothing of the app, so the type is restated here; TypeScript's structural typing makes
 * the viewer's Mark assignable to this one.
 */
export type MarkKind = 'point' | 'box' | 'ellipse' | 'polygon';
export type ImageRef = { sopInstanceUid?: string; frame?: number; url?: string };
/** Image pixel coordinates: x = column, y = row, (0,0) = top-left corner of the first pixel.
 *  point: 1 point; box and ellipse: 2 opposite corners of the bounding box; polygon: >= 3 vertices. */
export type Mark = { id: string; kind: MarkKind; image: ImageRef; points: [number, number][]; label?: string };

/**
 * DICOM Pixel Spacing (0028,0030) order: [row spacing, column spacing] in mm, i.e. [mm per pixel
 * along y, mm per pixel along x].
 */
export type PixelSpacing = readonly [number, number];

/** One key per image: SOP Instance UID and frame, else the URL. */
export function imageKey(image: ImageRef): string {
  if (image.sopInstanceUid) return `sop:${image.sopInstanceUid}#${image.frame ?? 1}`;
  if (image.url) return `url:${image.url}`;
  throw new MarkError('a mark needs image.sopInstanceUid or image.url');
}

export class MarkError extends Error {
  constructor(
    message: string,
    readonly markId?: string,
  ) {
    super(markId === undefined ? message : `mark ${markId}: ${message}`);
    this.name = 'MarkError';
  }
}

/** Throws a MarkError naming the mark when its points do not fit its kind. */
export function checkMark(m: Mark): void {
  const n = m.points?.length ?? 0;
  const need = m.kind === 'point' ? n === 1 : m.kind === 'polygon' ? n >= 3 : n === 2;
  if (!need) throw new MarkError(`${m.kind} has ${n} point(s)`, m.id);
  for (const p of m.points)
    if (!Array.isArray(p) || p.length !== 2 || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) throw new MarkError('points must be finite [x, y] pairs', m.id);
}
