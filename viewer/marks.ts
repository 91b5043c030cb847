/**
 * Marks on images (viewer/marks-types.ts) as Cornerstone3D annotations. A mark is kept in image
 * pixel coordinates (x = column, y = row, (0,0) the top-left corner of the first pixel); the
 * annotation holds world coordinates, converted with Cornerstone's worldToImageCoords /
 * imageToWorldCoords, which use the same corner convention. Coordinates are rounded to 1/1000 px,
 * so a mark replayed and read back is the same numbers.
 *
 *   point   ProbeTool             1 point
 *   box     RectangleROITool      2 opposite corners (4 handles in the annotation)
 *   ellipse EllipticalROITool     2 opposite corners of its bounding box (4 axis handles)
 *   polygon SplineROITool, linear vertices clicked in turn; a double click or the first vertex closes it
 *
 * Other readers' marks (layers) are the same annotations, locked, in the layer's colour.
 */
import { cache, eventTarget, metaData, utilities, type Types } from '@cornerstonejs/core';
import {
  addTool,
  annotation as csAnnotation,
  EllipticalROITool,
  Enums as ToolEnums,
  ProbeTool,
  RectangleROITool,
  SplineROITool,
  type Types as ToolTypes,
} from '@cornerstonejs/tools';
import type { ImageRef, Mark, MarkKind, MarkLayer, MarksOptions } from './marks-types.ts';

type ToolGroup = NonNullable<ReturnType<typeof import('@cornerstonejs/tools').ToolGroupManager.getToolGroup>>;
type Annotation = ToolTypes.Annotation & { annotationUID: string; metadata: NonNullable<ToolTypes.Annotation['metadata']> };

export const MARK_TOOLS: Record<MarkKind, string> = {
  point: ProbeTool.toolName,
  box: RectangleROITool.toolName,
  ellipse: EllipticalROITool.toolName,
  polygon: SplineROITool.toolName,
};
const KIND_OF = new Map(Object.entries(MARK_TOOLS).map(([k, t]) => [t, k as MarkKind]));
const KEYS: Record<string, MarkKind> = { p: 'point', b: 'box', e: 'ellipse', g: 'polygon' };
const OWN_COLOUR = 'rgb(255, 214, 0)';

export function registerMarkTools() {
  for (const T of [ProbeTool, RectangleROITool, EllipticalROITool, SplineROITool]) addTool(T);
}

/** Adds the mark tools to a viewer's tool group: shapes only, no statistics text. */
export function addMarkTools(group: ToolGroup) {
  // No statistics: the only text is the mark's label (a lesion's name on the adjudicator's overlay).
  const quiet = { getTextLines: (data: { label?: string }) => (data.label ? [data.label] : []), calculateStats: false };
  group.addTool(ProbeTool.toolName, quiet);
  group.addTool(RectangleROITool.toolName, quiet);
  group.addTool(EllipticalROITool.toolName, quiet);
  group.addTool(SplineROITool.toolName, { ...quiet, spline: { type: 'LINEAR', drawPreviewEnabled: true, lastControlPointDeletionKeys: ['Backspace'] } });
  csAnnotation.config.style.setToolGroupToolStyles(group.id, {
    global: { color: OWN_COLOUR, colorHighlighted: 'rgb(255, 240, 120)', colorSelected: 'rgb(0, 220, 255)', lineWidth: 2 },
  });
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;

export type MarkTarget = { viewportId: string; imageIds: string[]; element: HTMLDivElement; show(index: number): void };

export type MarksHandle = {
  setTool(kind: MarkKind | null): void;
  selectMark(id: string | null): void;
  deleteSelected(): void;
  setMarks(marks: Mark[]): void;
  marks(): Mark[];
  tool(): MarkKind | null;
  destroy(): void;
};

/**
 * Binds the marks of one mounted viewer. `refs` names each image id as the case knows it
 * (SOP Instance UID and frame for DICOM, the URL for PNG/JPEG); `setPan(primary)` hands the left
 * button back to panning when no drawing tool is chosen.
 */
export function bindMarks(args: {
  options: MarksOptions;
  group: ToolGroup;
  targets: MarkTarget[];
  refs: Map<string, ImageRef>;
  render(): void;
  setPan(primary: boolean): void;
}): MarksHandle {
  const { options, group, targets, refs } = args;
  const allowed = (options.tools?.length ? options.tools : (Object.keys(MARK_TOOLS) as MarkKind[])).filter((k) => k in MARK_TOOLS);
  const imageIds = new Set(targets.flatMap((t) => t.imageIds));
  const own = new Map<string, Mark>(); // annotation uid (= mark id) → mark, in drawing order
  const layerUids = new Set<string>();
  let current: MarkKind | null = null;
  let hydrating = false;
  let dirty = false;
  let lastEmitted = '';

  const imageIdFor = (ref: ImageRef): string | undefined => {
    for (const [id, r] of refs) {
      if (!imageIds.has(id)) continue;
      if (ref.sopInstanceUid ? r.sopInstanceUid === ref.sopInstanceUid && (r.frame ?? 1) === (ref.frame ?? 1) : ref.url && r.url === ref.url) return id;
    }
    return undefined;
  };
  const targetOf = (imageId: string) => targets.find((t) => t.imageIds.includes(imageId));

  const toImage = (imageId: string, p: Types.Point3): [number, number] => {
    const [x, y] = planeComplete(imageId) ? (utilities.worldToImageCoords(imageId, p) ?? [Number.NaN, Number.NaN]) : defaultPlane(imageId).toImage(p);
    return [r3(x), r3(y)];
  };
  const toWorld = (imageId: string, xy: [number, number]) =>
    (planeComplete(imageId) ? utilities.imageToWorldCoords(imageId, xy) : defaultPlane(imageId).toWorld(xy)) as Types.Point3;

  function markOf(a: Annotation): Mark | null {
    const kind = KIND_OF.get(a.metadata.toolName);
    const imageId = a.metadata.referencedImageId;
    const handles = a.data.handles?.points as Types.Point3[] | undefined;
    if (!kind || !imageId || !handles?.length || !refs.has(imageId)) return null;
    const pts = handles.map((p) => toImage(imageId, p));
    let points: [number, number][];
    if (kind === 'point') points = [pts[0]];
    else if (kind === 'polygon') points = pts;
    else {
      const xs = pts.map((p) => p[0]);
      const ys = pts.map((p) => p[1]);
      points = [
        [Math.min(...xs), Math.min(...ys)],
        [Math.max(...xs), Math.max(...ys)],
      ];
    }
    const prev = own.get(a.annotationUID);
    const image = { ...refs.get(imageId)! };
    const spacing = prev?.spacing ?? spacingOf(imageId, image);
    return { id: a.annotationUID, kind, image, points, ...(prev?.label !== undefined ? { label: prev.label } : {}), ...(spacing ? { spacing } : {}) };
  }

  /** World handles of a mark, in the order the tool keeps them. */
  function handlesOf(m: Mark, imageId: string): Types.Point3[] | null {
    const w = (p: [number, number]) => toWorld(imageId, p);
    if (m.kind === 'point') return m.points.length >= 1 ? [w(m.points[0])] : null;
    if (m.kind === 'polygon') return m.points.length >= 3 ? m.points.map(w) : null;
    if (m.points.length < 2) return null;
    const [[ax, ay], [bx, by]] = m.points;
    const [x0, x1, y0, y1] = [Math.min(ax, bx), Math.max(ax, bx), Math.min(ay, by), Math.max(ay, by)];
    if (m.kind === 'box')
      return [
        [x0, y0],
        [x1, y0],
        [x0, y1],
        [x1, y1],
      ].map((p) => w(p as [number, number]));
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    // EllipticalROITool's handles: the ends of its two axes.
    return [
      [cx, y1],
      [cx, y0],
      [x0, cy],
      [x1, cy],
    ].map((p) => w(p as [number, number]));
  }

  function place(m: Mark, uid: string, style?: { colour: string }): boolean {
    const imageId = imageIdFor(m.image);
    const t = imageId && targetOf(imageId);
    const handles = imageId ? handlesOf(m, imageId) : null;
    if (!imageId || !t || !handles) return false;
    const opts = { annotationUID: uid, referencedImageId: imageId, toolInstance: group.getToolInstance(MARK_TOOLS[m.kind]) };
    if (m.kind === 'point') ProbeTool.hydrate(t.viewportId, handles, opts);
    else if (m.kind === 'box') RectangleROITool.hydrate(t.viewportId, handles, opts);
    else if (m.kind === 'ellipse') EllipticalROITool.hydrate(t.viewportId, handles, opts);
    else SplineROITool.hydrate(t.viewportId, handles, { ...opts, splineType: SplineROITool.SplineTypes.Linear });
    const placed = csAnnotation.state.getAnnotation(uid);
    if (!placed) return false;
    if (m.label) placed.data.label = m.label;
    if (style || !options.editable) csAnnotation.locking.setAnnotationLocked(uid, true);
    if (style) {
      const c = style.colour;
      csAnnotation.config.style.setAnnotationStyles(uid, {
        color: c,
        colorLocked: c,
        colorHighlighted: c,
        colorSelected: c,
        lineDash: '6,3',
        textBoxColor: c,
        textBoxColorLocked: c,
        textBoxColorHighlighted: c,
        textBoxColorSelected: c,
      });
    }
    return true;
  }

  const current_marks = () => [...own.values()];
  function emit() {
    dirty = false;
    const list = current_marks();
    const s = JSON.stringify(list);
    if (s === lastEmitted) return;
    lastEmitted = s;
    options.onChange?.(list);
  }

  function clearOwn() {
    for (const uid of own.keys()) csAnnotation.state.removeAnnotation(uid);
    own.clear();
  }

  function setMarks(marks: Mark[]) {
    hydrating = true;
    try {
      clearOwn();
      for (const m of marks) {
        // Kept exactly as given: read back from the annotation only once it is moved.
        if (place(m, m.id)) own.set(m.id, structuredClone(m));
        else console.warn('mark not placed (its image is not in this case, or too few points)', m.id);
      }
    } finally {
      hydrating = false;
    }
    lastEmitted = JSON.stringify(current_marks());
    args.render();
  }

  function setLayers(layers: MarkLayer[]) {
    hydrating = true;
    try {
      layers.forEach((layer, li) => {
        layer.marks.forEach((m, mi) => {
          const uid = `layer:${li}:${mi}:${layer.key}:${m.id}`;
          if (place(m, uid, { colour: layer.colour })) layerUids.add(uid);
        });
      });
    } finally {
      hydrating = false;
    }
    // How many overlay marks each viewport holds, for pages and tests to check what was placed.
    for (const t of targets) {
      const n = [...layerUids].filter((uid) => t.imageIds.includes(csAnnotation.state.getAnnotation(uid)?.metadata?.referencedImageId ?? '')).length;
      t.element.dataset.layerMarks = String(n);
    }
  }

  const isOwnTool = (a: Annotation | undefined) => Boolean(a && KIND_OF.has(a.metadata.toolName) && a.metadata.referencedImageId && imageIds.has(a.metadata.referencedImageId));
  const pending = new Set<string>();

  const onAdded = (e: Event) => {
    const a = (e as CustomEvent<{ annotation: Annotation }>).detail.annotation;
    if (hydrating || !isOwnTool(a) || layerUids.has(a.annotationUID) || own.has(a.annotationUID)) return;
    if (!options.editable || !current) return;
    pending.add(a.annotationUID);
  };
  const onCompleted = (e: Event) => {
    const a = (e as CustomEvent<{ annotation: Annotation }>).detail.annotation;
    if (!pending.delete(a.annotationUID)) return;
    const m = markOf(a);
    if (!m || degenerate(m)) {
      csAnnotation.state.removeAnnotation(a.annotationUID);
      args.render();
      return;
    }
    own.set(a.annotationUID, m);
    emit();
  };
  const onModified = (e: Event) => {
    const a = (e as CustomEvent<{ annotation: Annotation }>).detail.annotation;
    if (hydrating || !own.has(a.annotationUID)) return;
    const m = markOf(a);
    if (m) {
      own.set(a.annotationUID, m);
      dirty = true;
    }
  };
  const onRemoved = (e: Event) => {
    const a = (e as CustomEvent<{ annotation: Annotation }>).detail.annotation;
    pending.delete(a.annotationUID);
    if (hydrating || !own.delete(a.annotationUID)) return;
    emit();
  };
  let lastSelected: string | null = null;
  const onSelection = () => {
    const sel = csAnnotation.selection.getAnnotationsSelected().find((uid) => own.has(uid)) ?? null;
    if (sel === lastSelected) return;
    lastSelected = sel;
    options.onSelect?.(sel);
  };
  // A drag that moved a mark ends with the button released: one onChange per move, not per pixel.
  const onUp = () => setTimeout(() => dirty && emit(), 0);

  const E = ToolEnums.Events;
  const listeners: [string, (e: Event) => void][] = [
    [E.ANNOTATION_ADDED, onAdded],
    [E.ANNOTATION_COMPLETED, onCompleted],
    [E.ANNOTATION_MODIFIED, onModified],
    [E.ANNOTATION_REMOVED, onRemoved],
    [E.ANNOTATION_SELECTION_CHANGE, onSelection],
  ];
  for (const [name, f] of listeners) eventTarget.addEventListener(name, f);
  window.addEventListener('pointerup', onUp, true);
  window.addEventListener('mouseup', onUp, true);

  function setTool(kind: MarkKind | null) {
    if (kind && (!options.editable || !allowed.includes(kind))) return;
    // Unfinished drawing (a polygon being clicked) is dropped.
    for (const t of targets)
      for (const name of Object.values(MARK_TOOLS)) (group.getToolInstance(name) as { cancel?(el: HTMLDivElement): unknown } | undefined)?.cancel?.(t.element);
    current = kind;
    for (const [k, name] of Object.entries(MARK_TOOLS)) {
      if (k === kind) group.setToolActive(name, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Primary }] });
      else if (options.editable) group.setToolPassive(name);
      else group.setToolEnabled(name);
    }
    args.setPan(kind === null);
    for (const t of targets) t.element.dataset.markTool = kind ?? '';
    args.render();
    options.onTool?.(kind);
  }

  function selectMark(id: string | null) {
    if (id === null || !own.has(id)) {
      csAnnotation.selection.deselectAnnotation();
      onSelection();
      args.render();
      return;
    }
    const imageId = csAnnotation.state.getAnnotation(id)?.metadata?.referencedImageId;
    const t = imageId && targetOf(imageId);
    if (t) t.show(t.imageIds.indexOf(imageId));
    csAnnotation.selection.setAnnotationSelected(id, true, false);
    onSelection();
    args.render();
  }

  function deleteSelected() {
    if (!options.editable) return;
    const sel = csAnnotation.selection.getAnnotationsSelected().filter((uid) => own.has(uid));
    for (const uid of sel) csAnnotation.state.removeAnnotation(uid);
    if (sel.length) {
      csAnnotation.selection.deselectAnnotation();
      onSelection();
      args.render();
    }
  }

  const typing = (el: Element | null) =>
    el instanceof HTMLTextAreaElement ||
    el instanceof HTMLSelectElement ||
    (el instanceof HTMLInputElement && !['radio', 'checkbox', 'button', 'submit', 'range'].includes(el.type)) ||
    Boolean((el as HTMLElement | null)?.isContentEditable);
  const onKey = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(document.activeElement)) return;
    const kind = KEYS[e.key.toLowerCase()];
    if (kind && options.editable && allowed.includes(kind)) {
      e.preventDefault();
      setTool(current === kind ? null : kind);
    } else if (e.key === 'Escape') {
      if (current) setTool(null);
      else selectMark(null);
    } else if (e.key === 'Delete' || (e.key === 'Backspace' && !current)) {
      e.preventDefault();
      deleteSelected();
    }
  };
  window.addEventListener('keydown', onKey);

  setTool(null);
  setLayers(options.layers ?? []);
  setMarks(options.marks ?? []);

  return {
    setTool,
    selectMark,
    deleteSelected,
    setMarks,
    marks: current_marks,
    tool: () => current,
    destroy() {
      for (const [name, f] of listeners) eventTarget.removeEventListener(name, f);
      window.removeEventListener('pointerup', onUp, true);
      window.removeEventListener('mouseup', onUp, true);
      window.removeEventListener('keydown', onKey);
      hydrating = true;
      clearOwn();
      for (const uid of layerUids) csAnnotation.state.removeAnnotation(uid);
      layerUids.clear();
    },
  };
}

type Plane = { imagePositionPatient?: number[]; rowCosines?: number[]; columnCosines?: number[]; rowPixelSpacing?: number; columnPixelSpacing?: number };
const planeOf = (imageId: string) => (metaData.get('imagePlaneModule', imageId) ?? {}) as Plane;
const planeComplete = (imageId: string) => {
  const p = planeOf(imageId);
  return Boolean(p.imagePositionPatient && p.rowCosines && p.columnCosines);
};

/**
 * An image whose header has no position or orientation (a plain radiograph may omit them) is laid
 * out by the stack viewport at the origin, rows along x, columns along y, with its pixel spacing
 * (core's getImageDataMetadata); the same layout here, with the corner convention of
 * worldToImageCoords.
 */
function defaultPlane(imageId: string) {
  const p = planeOf(imageId);
  const img = cache.getImage(imageId) as { columnPixelSpacing?: number; rowPixelSpacing?: number } | undefined;
  const sx = p.columnPixelSpacing || img?.columnPixelSpacing || 1;
  const sy = p.rowPixelSpacing || img?.rowPixelSpacing || 1;
  const o = p.imagePositionPatient ?? [0, 0, 0];
  return {
    toImage: (w: Types.Point3): [number, number] => [(w[0] - o[0]) / sx + 0.5, (w[1] - o[1]) / sy + 0.5],
    toWorld: ([x, y]: [number, number]): Types.Point3 => [o[0] + (x - 0.5) * sx, o[1] + (y - 0.5) * sy, o[2]],
  };
}

/** Pixel spacing [row, column] mm of a DICOM image whose header gives it (web images have none). */
function spacingOf(imageId: string, ref: ImageRef): [number, number] | undefined {
  if (!ref.sopInstanceUid) return undefined;
  const p = planeOf(imageId);
  const row = Number(p.rowPixelSpacing);
  const col = Number(p.columnPixelSpacing);
  return row > 0 && col > 0 && Number.isFinite(row) && Number.isFinite(col) ? [row, col] : undefined;
}

/** A click without a drag makes a zero-size box or ellipse: not a mark. */
function degenerate(m: Mark): boolean {
  if (m.kind === 'box' || m.kind === 'ellipse') return m.points[0][0] === m.points[1][0] || m.points[0][1] === m.points[1][1];
  return false;
}

/** How the case names an image: SOP Instance UID (+ frame of a multi-frame) for DICOM, else its URL. */
export function imageRefOf(imageId: string, url: string | undefined): ImageRef {
  const sop = (metaData.get('sopCommonModule', imageId) as { sopInstanceUID?: string } | undefined)?.sopInstanceUID;
  const frames = Number((metaData.get('multiframeModule', imageId) as { NumberOfFrames?: number } | undefined)?.NumberOfFrames ?? 1);
  const frame = /\/frames\/(\d+)$/.exec(imageId)?.[1] ?? /[?&]frame=(\d+)$/.exec(imageId)?.[1];
  const ref: ImageRef = {};
  if (sop) ref.sopInstanceUid = sop;
  if (sop && frames > 1 && frame) ref.frame = Number(frame);
  if (url) ref.url = url;
  return ref;
}
