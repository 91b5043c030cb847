/**
 * The Truthline image viewer, on Cornerstone3D. Built by esbuild (scripts/build-viewer.ts) into
 * public/viewer/ and loaded by the read pages on the client only:
 *
 *   const { mount } = await import('/viewer/viewer.js');
 *   const handle = await mount(element, images, protocol);
 *
 * Mouse: left-drag pans, right-drag sets window/level (readout bottom left), the wheel zooms at
 * the cursor (scrolls slices in a stack; Ctrl+wheel zooms there). The page never scrolls under
 * an image. Keyboard actions go through the handle and act on the active viewport.
 */
import { init as coreInit, RenderingEngine, Enums, imageLoader, metaData, utilities, type Types } from '@cornerstonejs/core';
import { init as dicomInit, wadouri, wadors } from '@cornerstonejs/dicom-image-loader';
import { init as toolsInit, addTool, ToolGroupManager, WindowLevelTool, PanTool, Enums as ToolEnums, SynchronizerManager } from '@cornerstonejs/tools';
import { registerWebLoader } from './web-loader.ts';
import { addMarkTools, bindMarks, imageRefOf, registerMarkTools, type MarksHandle } from './marks.ts';
import type { ImageRef, Mark, MarkKind, MarksOptions } from './marks-types.ts';
import type { HangingProtocol } from '../imaging/hanging-protocol.ts';
import { hang, type ImageAttributes } from '../imaging/hang.ts';
import type { ViewerImage } from '../imaging/refs.ts';
import { presetsFor, type Preset } from './presets.ts';
import { loadDicomWeb } from './dicomweb.ts';

export type { ViewerImage, HangingProtocol, Mark, MarkKind, MarksOptions };
export type MountOptions = {
  /** The reader's marks and other readers' overlays; without it the viewer has no drawing tools. */
  marks?: MarksOptions;
  /** Zoom and pan move every viewport together (default: on when there are several). */
  linked?: boolean;
};
export type ViewerHandle = {
  /** Marks (no-ops when mounted without `marks`). Keys: P B E G choose a tool, Escape ends it, Delete removes the selected mark. */
  setTool(kind: MarkKind | null): void;
  selectMark(id: string | null): void;
  deleteSelected(): void;
  setMarks(marks: Mark[]): void;
  setLinked(on: boolean): void;
  linked(): boolean;
  prev(): void;
  next(): void;
  zoom(factor: number): void;
  pan(dx: number, dy: number): void;
  reset(): void;
  invert(): void;
  nextPreset(): void;
  fullscreen(): void;
  zoomed(): boolean;
  destroy(): void;
};

let initialised: Promise<void> | null = null;
function initOnce(): Promise<void> {
  initialised ??= (async () => {
    coreInit();
    dicomInit({ maxWebWorkers: 1 });
    toolsInit();
    registerWebLoader();
    addTool(WindowLevelTool);
    addTool(PanTool);
    registerMarkTools();
  })();
  return initialised;
}

let counter = 0;
/** Which mount an element shows: the latest one started on it. */
const owner = new WeakMap<HTMLElement, number>();

/** What a mount overtaken by a newer one on the same element returns: it draws nothing, so nothing to undo. */
function idleHandle(): ViewerHandle {
  const none = () => undefined;
  return {
    setTool: none,
    selectMark: none,
    deleteSelected: none,
    setMarks: none,
    setLinked: none,
    linked: () => false,
    prev: none,
    next: none,
    zoom: none,
    pan: none,
    reset: none,
    invert: none,
    nextPreset: none,
    fullscreen: none,
    zoomed: () => false,
    destroy: none,
  };
}
/** The images of the latest mount loading: a prefetch waits for them. */
let mounting: Promise<unknown> = Promise.resolve();

type Cell = {
  id: string;
  label: string;
  stack: boolean;
  align: 'center' | 'left' | 'right';
  imageIds: string[];
  el: HTMLDivElement;
  readout: HTMLDivElement;
  position: HTMLDivElement;
  presets: Preset[];
  preset: number;
};

function imageIdsFor(images: ViewerImage[]): Promise<string[][]> {
  return Promise.all(
    images.map(async (im) => {
      if (im.kind === 'dicom') return [`wadouri:${new URL(im.url, location.href).href}`];
      if (im.kind === 'web') return [`web:${new URL(im.url, location.href).href}`];
      if (im.kind === 'dicomweb') return loadDicomWeb(im);
      return [];
    }),
  );
}

/** Header attributes the hanging protocol and the labels use. */
function attributesOf(imageId: string): ImageAttributes {
  const out: ImageAttributes = {};
  const put = (k: keyof ImageAttributes, v: unknown) => {
    if (typeof v === 'string' && v.trim()) out[k] = v.trim();
  };
  if (imageId.startsWith('wadouri:')) {
    const ds = wadouri.dataSetCacheManager.get(imageId.slice('wadouri:'.length).replace(/[?&]frame=\d+$/, ''));
    if (ds) {
      put('Modality', ds.string('x00080060'));
      put('ImageLaterality', ds.string('x00200062'));
      put('Laterality', ds.string('x00200060'));
      put('ViewPosition', ds.string('x00185101'));
      put('BodyPartExamined', ds.string('x00180015'));
      put('SeriesDescription', ds.string('x0008103e'));
    }
  } else if (imageId.startsWith('wadors:')) {
    const m = wadors.metaDataManager.get(imageId) as Record<string, { Value?: unknown[] }> | undefined;
    const v = (tag: string) => m?.[tag]?.Value?.[0];
    put('Modality', v('00080060'));
    put('ImageLaterality', v('00200062'));
    put('Laterality', v('00200060'));
    put('ViewPosition', v('00185101'));
    put('BodyPartExamined', v('00180015'));
    put('SeriesDescription', v('0008103E'));
  } else {
    out.Modality = (metaData.get('generalSeriesModule', imageId) as { modality?: string } | undefined)?.modality;
  }
  return out;
}

const el = (tag: string, cls: string, parent: HTMLElement) => {
  const e = document.createElement(tag) as HTMLDivElement;
  e.className = cls;
  parent.appendChild(e);
  return e;
};

/**
 * Loads the images of a case the reader will open next into the viewer's cache, one at a time,
 * so that case opens without waiting for the network. Returns how many images were cached.
 */
export async function prefetch(images: ViewerImage[]): Promise<{ loaded: number; failed: number }> {
  await initOnce();
  await mounting; // the case on screen first
  let loaded = 0;
  let failed = 0;
  const groups = await Promise.all(images.map((im) => imageIdsFor([im]).catch(() => [[]] as string[][])));
  for (const id of groups.flat(2)) {
    try {
      await imageLoader.loadAndCacheImage(id);
      loaded++;
    } catch {
      failed++;
    }
  }
  return { loaded, failed };
}

export async function mount(element: HTMLElement, images: ViewerImage[], protocol?: HangingProtocol, options: MountOptions = {}): Promise<ViewerHandle> {
  const n = ++counter;
  // Each mount draws only into its own root and the latest mount owns the element. A mount still
  // loading when a newer one starts (a reader moving on before a large study arrived) must not
  // clear what the newer one drew, neither when it finishes nor when it is destroyed: before, the
  // stale mount's replaceChildren() emptied the element under the next case's viewports.
  owner.set(element, n);
  element.classList.add('tv-root');
  const root = document.createElement('div');
  root.className = 'tv-mount';
  root.style.display = 'contents';
  element.replaceChildren(root);
  const superseded = () => owner.get(element) !== n;
  const abandoned = (): ViewerHandle => {
    root.remove();
    return idleHandle();
  };
  const status = el('div', 'tv-status', root);
  status.textContent = 'Loading images…';
  status.setAttribute('role', 'status');
  await initOnce();
  if (superseded()) return abandoned();

  // Headers first: the protocol places images by their DICOM attributes.
  const groups = await imageIdsFor(images);
  if (superseded()) return abandoned();
  const flat = groups.flat();
  const failed: string[] = [];
  const loading = Promise.all(
    flat.map((id) =>
      imageLoader.loadAndCacheImage(id).catch((e: unknown) => {
        failed.push(id);
        console.error('image failed to load', id, e);
      }),
    ),
  );
  mounting = loading;
  await loading;
  if (superseded()) return abandoned();
  const usable = flat.filter((id) => !failed.includes(id));
  const refs = new Map<string, ImageRef>();
  images.forEach((im, i) => {
    for (const id of groups[i]) if (!failed.includes(id)) refs.set(id, imageRefOf(id, im.kind === 'web' ? im.url : undefined));
  });
  const attrs = usable.map(attributesOf);
  const placed = hang(protocol, attrs);
  const rows = protocol?.rows ?? 1;
  const columns = protocol?.columns ?? 1;

  root.replaceChildren();
  const grid = el('div', 'tv-grid', root);
  grid.style.gridTemplateRows = `repeat(${rows}, minmax(0, 1fr))`;
  grid.style.gridTemplateColumns = `repeat(${columns}, minmax(0, 1fr))`;
  if (failed.length) {
    const warn = el('div', 'tv-error', root);
    warn.setAttribute('role', 'alert');
    warn.textContent = `${failed.length} image${failed.length > 1 ? 's' : ''} could not be loaded.`;
  }
  if (usable.length === 0) {
    const empty = el('div', 'tv-empty', grid);
    empty.textContent = flat.length ? 'The images of this case could not be loaded.' : 'This case has no images.';
  }

  const engine = new RenderingEngine(`tl-engine-${n}`);
  const cells: Cell[] = placed.map((p, i) => {
    const box = el('div', 'tv-cell', grid);
    const vpEl = el('div', 'tv-vp', box);
    vpEl.oncontextmenu = (e) => e.preventDefault();
    const ids = p.images.map((k) => usable[k]);
    const first = ids[0] ? attrs[usable.indexOf(ids[0])] : {};
    const lat = first.ImageLaterality ?? first.Laterality ?? '';
    const view = first.ViewPosition ?? '';
    const label = el('div', 'tv-label', box);
    label.textContent = [p.label, [lat, view].filter(Boolean).join(' ')].filter((s, k, a) => s && a.indexOf(s) === k).join(' · ') || (first.Modality ?? '');
    box.dataset.viewport = p.label || `viewport ${i + 1}`;
    box.dataset.laterality = lat;
    box.dataset.view = view;
    box.setAttribute('aria-label', `${p.label || 'Image'}${lat || view ? ` (${[lat, view].filter(Boolean).join(' ')})` : ''}`);
    const readout = el('div', 'tv-readout', box);
    const position = el('div', 'tv-position', box);
    // An image hung against the viewport's left edge (the left breast, back to back) has its chest
    // wall there: the label and readout go to the outer, empty side rather than over the tissue.
    box.dataset.align = p.align;
    if (p.align === 'left') {
      for (const o of [label, readout]) Object.assign(o.style, { left: 'auto', right: '0.5rem', textAlign: 'right' });
      Object.assign(position.style, { right: 'auto', left: '0.5rem' });
    }
    return { id: `tl-vp-${n}-${i}`, label: p.label, stack: p.stack, align: p.align, imageIds: ids, el: vpEl, readout, position, presets: presetsFor(first.Modality), preset: 0 };
  });
  engine.setViewports(
    cells
      .filter((c) => c.imageIds.length)
      .map((c) => ({ viewportId: c.id, type: Enums.ViewportType.STACK, element: c.el, defaultOptions: { background: [0, 0, 0] as Types.Point3 } })),
  );

  const toolGroupId = `tl-tools-${n}`;
  const tools = ToolGroupManager.createToolGroup(toolGroupId)!;
  tools.addTool(WindowLevelTool.toolName);
  tools.addTool(PanTool.toolName);
  tools.setToolActive(WindowLevelTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Secondary }] });
  tools.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Primary }] });

  let active = cells.find((c) => c.imageIds.length) ?? cells[0];
  const vpOf = (c: Cell) => (c.imageIds.length ? (engine.getViewport(c.id) as Types.IStackViewport) : null);
  const showReadout = (c: Cell) => {
    const vp = vpOf(c);
    if (!vp) return;
    const { voiRange, invert } = vp.getProperties();
    if (voiRange) {
      // Shown as DICOM window width/centre; the exact range the display maps to black..white is kept for tests.
      const { windowWidth, windowCenter } = utilities.windowLevel.toWindowLevel(voiRange.lower, voiRange.upper);
      c.readout.textContent = `W ${Math.round(windowWidth)} L ${Math.round(windowCenter)}${invert ? ' · inverted' : ''}`;
      c.readout.dataset.lower = String(voiRange.lower);
      c.readout.dataset.upper = String(voiRange.upper);
      c.readout.dataset.invert = String(Boolean(invert));
    }
    c.position.textContent = c.imageIds.length > 1 ? `${vp.getCurrentImageIdIndex() + 1} / ${c.imageIds.length}` : '';
  };

  const cleanups: (() => void)[] = [];
  await Promise.all(
    cells.map(async (c) => {
      const vp = vpOf(c);
      if (!vp) return;
      tools.addViewport(c.id, engine.id);
      await vp.setStack(c.imageIds, 0);
      fit(vp, c.align);
      vp.render();
      const onVoi = () => showReadout(c);
      c.el.addEventListener(Enums.Events.VOI_MODIFIED, onVoi);
      c.el.addEventListener(Enums.Events.STACK_NEW_IMAGE, onVoi);
      const activate = () => {
        active = c;
        for (const o of cells) o.el.parentElement!.classList.toggle('tv-active', o === c);
      };
      const onWheel = (e: WheelEvent) => {
        e.preventDefault();
        e.stopPropagation();
        activate();
        if (c.stack && c.imageIds.length > 1 && !e.ctrlKey) {
          vp.scroll(e.deltaY > 0 ? 1 : -1);
        } else {
          const r = c.el.getBoundingClientRect();
          zoomAt(vp, [e.clientX - r.left, e.clientY - r.top], e.deltaY < 0 ? 1.15 : 1 / 1.15);
        }
      };
      // Capture: before the tools' listeners, and not passive so the page does not scroll.
      c.el.addEventListener('wheel', onWheel, { passive: false, capture: true });
      c.el.addEventListener('pointerdown', activate);
      cleanups.push(() => c.el.removeEventListener('wheel', onWheel, { capture: true }));
      showReadout(c);
    }),
  );
  if (active) active.el.parentElement!.classList.add('tv-active');

  // Linked zoom/pan: a camera change in one viewport is replayed in the others as the same zoom
  // factor and the same shift on screen, mirrored between back-to-back (left/right aligned) views.
  const shown = cells.filter((c) => c.imageIds.length);
  const cellOf = (id: string) => cells.find((c) => c.id === id)!;
  const sync = SynchronizerManager.createSynchronizer(`tl-zoompan-${n}`, Enums.Events.CAMERA_MODIFIED, (_s, source, target, evt) => {
    const { previousCamera: prev, camera } = (evt as CustomEvent<Types.EventTypes.CameraModifiedEventDetail>).detail;
    const sv = engine.getViewport(source.viewportId) as Types.IStackViewport;
    const tv = engine.getViewport(target.viewportId) as Types.IStackViewport;
    if (!sv || !tv || !prev?.parallelScale || !camera.parallelScale || !prev.focalPoint) return;
    const ratio = prev.parallelScale / camera.parallelScale;
    const p = sv.worldToCanvas(prev.focalPoint);
    const sw = sv.canvas.clientWidth || 1;
    const sh = sv.canvas.clientHeight || 1;
    let dx = ((p[0] - sw / 2) / sw) * tv.canvas.clientWidth;
    const dy = ((p[1] - sh / 2) / sh) * tv.canvas.clientHeight;
    const a = cellOf(source.viewportId).align;
    const b = cellOf(target.viewportId).align;
    if ((a === 'left' && b === 'right') || (a === 'right' && b === 'left')) dx = -dx;
    if (Math.abs(ratio - 1) < 1e-9 && Math.abs(dx) < 1e-6 && Math.abs(dy) < 1e-6) return;
    const tc = tv.getCamera();
    if (tc.parallelScale) tv.setCamera({ parallelScale: tc.parallelScale / ratio });
    panBy(tv, dx, dy);
    tv.render();
  });
  for (const c of shown) sync.add({ renderingEngineId: engine.id, viewportId: c.id });
  let linked = options.linked ?? shown.length > 1;
  sync.setEnabled(linked);
  cleanups.push(() => SynchronizerManager.destroySynchronizer(sync.id));
  const showZoom = (c: Cell) => {
    const vp = vpOf(c);
    if (vp) c.el.parentElement!.dataset.zoom = vp.getZoom().toFixed(3);
  };
  for (const c of shown) {
    const f = () => showZoom(c);
    c.el.addEventListener(Enums.Events.CAMERA_MODIFIED, f);
    cleanups.push(() => c.el.removeEventListener(Enums.Events.CAMERA_MODIFIED, f));
    showZoom(c);
  }
  /** Runs `f` without linked viewports following (resizing, resetting every viewport). */
  const unlinked = (f: () => void) => {
    sync.setEnabled(false);
    try {
      f();
    } finally {
      sync.setEnabled(linked);
    }
  };

  const ro = new ResizeObserver(() => unlinked(() => engine.resize(true, true)));
  ro.observe(grid);
  cleanups.push(() => ro.disconnect());

  let marks: MarksHandle | null = null;
  if (options.marks) {
    addMarkTools(tools);
    marks = bindMarks({
      options: options.marks,
      group: tools,
      targets: shown.map((c) => ({
        viewportId: c.id,
        imageIds: c.imageIds,
        element: c.el,
        show: (i: number) => {
          const vp = vpOf(c);
          if (vp && i >= 0 && vp.getCurrentImageIdIndex() !== i) void vp.setImageIdIndex(i);
        },
      })),
      refs,
      render: () => engine.render(),
      setPan: (primary) => {
        if (primary) tools.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Primary }] });
        else tools.setToolDisabled(PanTool.toolName);
      },
    });
    cleanups.unshift(() => marks?.destroy());
  }

  const act = (f: (vp: Types.IStackViewport, c: Cell) => void) => {
    const vp = active && vpOf(active);
    if (vp) {
      f(vp, active);
      vp.render();
      showReadout(active);
    }
  };
  // [ and ] step through the active stack, else move the active viewport through the case's images.
  const step = (d: number) =>
    act((vp, c) => {
      if (c.imageIds.length > 1) return vp.scroll(d, false, true);
      const withImages = cells.filter((x) => x.imageIds.length);
      const k = withImages.indexOf(c);
      const next = withImages[(k + d + withImages.length) % withImages.length];
      if (next && next !== c) {
        active = next;
        for (const o of cells) o.el.parentElement!.classList.toggle('tv-active', o === next);
      }
    });

  let zoomedFlag = false;
  let destroyed = false;
  element.dataset.linked = String(linked);
  return {
    prev: () => step(-1),
    next: () => step(1),
    zoom: (f) =>
      act((vp) => {
        vp.setZoom(Math.min(20, Math.max(0.25, vp.getZoom() * f)));
        zoomedFlag = true;
      }),
    pan: (dx, dy) => act((vp) => panBy(vp, dx, dy)),
    reset: () =>
      act((vp, c) => {
        unlinked(() => {
          // Linked viewports move together, so they are reset together.
          for (const o of linked ? shown : [c]) {
            const ov = vpOf(o)!;
            ov.resetCamera();
            fit(ov, o.align);
            if (ov !== vp) ov.render();
          }
        });
        vp.resetProperties();
        c.preset = 0;
        zoomedFlag = false;
      }),
    invert: () => act((vp) => vp.setProperties({ invert: !vp.getProperties().invert })),
    nextPreset: () =>
      act((vp, c) => {
        if (!c.presets.length) return;
        c.preset = (c.preset + 1) % (c.presets.length + 1);
        const p = c.presets[c.preset - 1];
        if (!p) vp.resetProperties();
        else vp.setProperties({ voiRange: utilities.windowLevel.toLowHighRange(p.window, p.level) });
      }),
    fullscreen: () => {
      if (document.fullscreenElement) void document.exitFullscreen();
      else void element.requestFullscreen?.();
    },
    zoomed: () =>
      zoomedFlag ||
      cells.some((c) => {
        const vp = vpOf(c);
        return vp ? Math.abs(vp.getZoom() - 1) > 0.01 : false;
      }),
    setTool: (k) => marks?.setTool(k),
    selectMark: (id) => marks?.selectMark(id),
    deleteSelected: () => marks?.deleteSelected(),
    setMarks: (m) => marks?.setMarks(m),
    setLinked: (on) => {
      linked = on;
      sync.setEnabled(on);
      element.dataset.linked = String(on);
    },
    linked: () => linked,
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      for (const f of cleanups) f();
      ToolGroupManager.destroyToolGroup(toolGroupId);
      engine.destroy();
      root.remove();
      if (owner.get(element) === n) owner.delete(element);
    },
  };
}

function zoomAt(vp: Types.IStackViewport, canvasPoint: Types.Point2, factor: number) {
  const cam = vp.getCamera();
  const zoom = vp.getZoom();
  const f = Math.min(20, Math.max(0.25, zoom * factor)) / zoom;
  if (!cam.focalPoint || !cam.position || !cam.parallelScale || f === 1) return;
  const p = vp.canvasToWorld(canvasPoint);
  const focal = cam.focalPoint.map((v, i) => p[i] + (v - p[i]) / f) as Types.Point3;
  const d = focal.map((v, i) => v - cam.focalPoint![i]);
  const position = cam.position.map((v, i) => v + d[i]) as Types.Point3;
  vp.setCamera({ parallelScale: cam.parallelScale / f, focalPoint: focal, position });
  vp.render();
}

/** Fit to the viewport (Cornerstone's reset), then push the image to the protocol's edge. */
function fit(vp: Types.IStackViewport, align: 'center' | 'left' | 'right') {
  if (align === 'center') return;
  const { dimensions, imageData } = vp.getImageData() ?? {};
  if (!dimensions || !imageData) return;
  const xs = [0, dimensions[0] - 1].map((i) => vp.worldToCanvas(imageData.indexToWorld!([i, 0, 0]) as Types.Point3)[0]);
  const width = vp.canvas.clientWidth;
  const dx = align === 'right' ? width - Math.max(...xs) : -Math.min(...xs);
  panBy(vp, dx, 0);
}

function panBy(vp: Types.IStackViewport, dx: number, dy: number) {
  const cam = vp.getCamera();
  if (!cam.focalPoint || !cam.position) return;
  const a = vp.canvasToWorld([0, 0]);
  const b = vp.canvasToWorld([dx, dy]);
  const d = a.map((v, i) => v - b[i]);
  vp.setCamera({ focalPoint: cam.focalPoint.map((v, i) => v + d[i]) as Types.Point3, position: cam.position.map((v, i) => v + d[i]) as Types.Point3 });
}
