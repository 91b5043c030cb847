/**
 * The case image viewer: the Cornerstone3D bundle (viewer/, built into /viewer/viewer.js) mounted
 * on the client only. The server render shows an empty stage; the bundle loads after hydration.
 * Keyboard (useReaderKeys): [ ] step, + − zoom, arrows pan, i invert, w window presets,
 * f full screen, 0 reset. Never inside a text field.
 */
import { useEffect, useRef, useState } from 'react';
import { viewerImages, type ViewerImage } from '../../imaging/refs.ts';
import type { HangingProtocol } from '../../imaging/hanging-protocol.ts';
import type { MarkKind, Mark, MarksOptions } from '../../viewer/marks-types.ts';

export type ViewerApi = {
  prev(): void;
  next(): void;
  zoom(f: number): void;
  pan(dx: number, dy: number): void;
  reset(): void;
  invert(): void;
  nextPreset(): void;
  fullscreen(): void;
  zoomed(): boolean;
  /** Marks (no-ops unless the viewer was given `marks`). */
  setTool(kind: MarkKind | null): void;
  selectMark(id: string | null): void;
  deleteSelected(): void;
  setMarks(marks: Mark[]): void;
  setLinked(on: boolean): void;
  linked(): boolean;
};
type ViewerModule = {
  mount(el: HTMLElement, images: ViewerImage[], protocol?: HangingProtocol, options?: { marks?: MarksOptions; linked?: boolean }): Promise<ViewerApi & { destroy(): void }>;
  prefetch(images: ViewerImage[]): Promise<{ loaded: number; failed: number }>;
};

const VIEWER_SRC = '/viewer/viewer.js';

export function ImageViewer({
  images,
  caseUrl,
  protocol,
  apiRef,
  marks,
}: {
  images: string[];
  caseUrl: string;
  protocol?: HangingProtocol;
  apiRef?: React.MutableRefObject<ViewerApi | null>;
  /**
   * The reader's marks (viewer/marks-types.ts). Read when the viewer mounts (a new case or new
   * images); later changes go through apiRef.current.setMarks. Callbacks always reach the latest props.
   */
  marks?: MarksOptions;
}) {
  const stage = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  // Ready for which images: after a client navigation the section must not say "ready" for the
  // next case while it still shows (or has just cleared) the case left behind.
  const [readyFor, setReadyFor] = useState<string | null>(null);
  const [linked, setLinked] = useState(false);
  const marksRef = useRef(marks);
  marksRef.current = marks;
  const key = JSON.stringify([images, caseUrl, protocol ?? null, marks ? [marks.editable, marks.tools ?? null, marks.layers ?? null] : null]);
  const ready = readyFor === key;

  useEffect(() => {
    let cancelled = false;
    let handle: (ViewerApi & { destroy(): void }) | null = null;
    setError(null);
    (import(/* @vite-ignore */ VIEWER_SRC) as Promise<ViewerModule>)
      .then((m) => {
        const mk = marksRef.current;
        const options = mk
          ? {
              marks: {
                ...mk,
                onChange: (list: Mark[]) => marksRef.current?.onChange?.(list),
                onSelect: (id: string | null) => marksRef.current?.onSelect?.(id),
              },
            }
          : {};
        return m.mount(stage.current!, viewerImages(images, caseUrl), protocol, options);
      })
      .then((h) => {
        if (cancelled) return h.destroy();
        handle = h;
        if (apiRef) apiRef.current = h;
        setLinked(h.linked());
        setReadyFor(key);
      })
      .catch((e: unknown) => {
        if (!cancelled) setError(`The viewer could not start: ${e instanceof Error ? e.message : String(e)}`);
      });
    return () => {
      cancelled = true;
      handle?.destroy();
      if (apiRef) apiRef.current = null;
    };
    // `key` stands for images, caseUrl and protocol.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  const call = (f: (v: ViewerApi) => void) => () => apiRef?.current && f(apiRef.current);
  return (
    <section className="viewer" aria-label="Images" data-ready={ready ? 'true' : 'false'} data-case={caseUrl}>
      <div className="viewer-stage tv-host" ref={stage} />
      {error ? (
        <div className="flash flash-error" role="alert">
          {error}
        </div>
      ) : null}
      {/* Accessible names are the visible words; the key is in aria-keyshortcuts and the tooltip. */}
      <div className="viewer-tools">
        <button type="button" className="secondary" onClick={call((v) => v.prev())} aria-keyshortcuts="[" title="Previous image ([)" disabled={!ready}>
          ‹ Previous
        </button>
        <button type="button" className="secondary" onClick={call((v) => v.next())} aria-keyshortcuts="]" title="Next image (])" disabled={!ready}>
          Next ›
        </button>
        <button type="button" className="secondary" onClick={call((v) => v.zoom(1.25))} aria-keyshortcuts="+" title="Zoom in (+)" disabled={!ready}>
          Zoom in
        </button>
        <button type="button" className="secondary" onClick={call((v) => v.zoom(0.8))} aria-keyshortcuts="-" title="Zoom out (−)" disabled={!ready}>
          Zoom out
        </button>
        <button type="button" className="secondary" onClick={call((v) => v.nextPreset())} aria-keyshortcuts="w" title="Window preset (w)" disabled={!ready}>
          Window
        </button>
        <button type="button" className="secondary" onClick={call((v) => v.invert())} aria-keyshortcuts="i" title="Invert (i)" disabled={!ready}>
          Invert
        </button>
        <button type="button" className="secondary" onClick={call((v) => v.reset())} aria-keyshortcuts="0" title="Reset view (0)" disabled={!ready}>
          Reset
        </button>
        <button type="button" className="secondary" onClick={call((v) => v.fullscreen())} aria-keyshortcuts="f" title="Full screen (f)" disabled={!ready}>
          Full screen
        </button>
        <button
          type="button"
          className="secondary"
          aria-pressed={linked}
          onClick={call((v) => {
            v.setLinked(!v.linked());
            setLinked(v.linked());
          })}
          disabled={!ready}
        >
          {linked ? 'Linked' : 'Link views'}
        </button>
        <span className="tv-hint">Drag: pan · right-drag: window/level · wheel: zoom (stack: scroll, Ctrl+wheel zoom)</span>
      </div>
    </section>
  );
}

/**
 * Loads the images of the case reserved next for the reader into the viewer's cache while they
 * work on this one (the viewer waits for the current case's images first).
 */
export function usePrefetchNext(slug: string, next: { caseId: string; images: string[] } | null | undefined) {
  const key = next ? JSON.stringify([slug, next.caseId, next.images]) : '';
  useEffect(() => {
    if (!next || !next.images.length) return;
    let cancelled = false;
    const timer = setTimeout(() => {
      (import(/* @vite-ignore */ VIEWER_SRC) as Promise<ViewerModule>)
        .then((m) => (cancelled ? null : m.prefetch(viewerImages(next.images, `/projects/${slug}/cases/${next.caseId}`))))
        .catch(() => undefined); // a failed prefetch only means the next case loads as usual
    }, 500);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
    // `key` stands for slug and next.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
}
