/**
 * The case image viewer: the Cornerstone3D bundle (viewer/, built into /viewer/viewer.js) mounted
 * on the client only. The server render shows an empty stage; the bundle loads after hydration.
 * Keyboard (useReaderKeys): [ ] step, + − zoom, arrows pan, i invert, w window presets,
 * f full screen, 0 reset. Never inside a text field.
 */
import { useEffect, useRef, useState } from 'react';
import { viewerImages, type ViewerImage } from '../../imaging/refs.ts';
import type { HangingProtocol } from '../../imaging/hanging-protocol.ts';

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
};
type ViewerModule = { mount(el: HTMLElement, images: ViewerImage[], protocol?: HangingProtocol): Promise<ViewerApi & { destroy(): void }> };

const VIEWER_SRC = '/viewer/viewer.js';

export function ImageViewer({
  images,
  caseUrl,
  protocol,
  apiRef,
}: {
  images: string[];
  caseUrl: string;
  protocol?: HangingProtocol;
  apiRef?: React.MutableRefObject<ViewerApi | null>;
}) {
  const stage = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const key = JSON.stringify([images, caseUrl, protocol ?? null]);

  useEffect(() => {
    let cancelled = false;
    let handle: (ViewerApi & { destroy(): void }) | null = null;
    setError(null);
    setReady(false);
    (import(/* @vite-ignore */ VIEWER_SRC) as Promise<ViewerModule>)
      .then((m) => m.mount(stage.current!, viewerImages(images, caseUrl), protocol))
      .then((h) => {
        if (cancelled) return h.destroy();
        handle = h;
        if (apiRef) apiRef.current = h;
        setReady(true);
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
    <section className="viewer" aria-label="Images" data-ready={ready ? 'true' : 'false'}>
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
        <span className="tv-hint">Drag: pan · right-drag: window/level · wheel: zoom (stack: scroll, Ctrl+wheel zoom)</span>
      </div>
    </section>
  );
}
