/**
 * The case image viewer: several images, zoom, pan, brightness/contrast (8-bit PNG/JPEG, applied
 * as CSS filters), reset. Keyboard: [ ] previous/next image, + − zoom, arrows pan when zoomed,
 * 0 resets. Shortcuts never fire inside text inputs (see useReaderKeys).
 */
import { useCallback, useEffect, useRef, useState } from 'react';

export type ViewerApi = { prev(): void; next(): void; zoom(f: number): void; pan(dx: number, dy: number): void; reset(): void; zoomed(): boolean };

export function ImageViewer({ images, apiRef }: { images: string[]; apiRef?: React.MutableRefObject<ViewerApi | null> }) {
  const [index, setIndex] = useState(0);
  const [scale, setScale] = useState(1);
  const [offset, setOffset] = useState({ x: 0, y: 0 });
  const [brightness, setBrightness] = useState(100);
  const [contrast, setContrast] = useState(100);
  const drag = useRef<{ x: number; y: number } | null>(null);

  const reset = useCallback(() => {
    setScale(1);
    setOffset({ x: 0, y: 0 });
    setBrightness(100);
    setContrast(100);
  }, []);
  const go = useCallback((d: number) => setIndex((i) => (images.length ? (i + d + images.length) % images.length : 0)), [images.length]);
  const zoom = useCallback((f: number) => setScale((s) => Math.min(8, Math.max(1, s * f))), []);
  const pan = useCallback((dx: number, dy: number) => setOffset((o) => ({ x: o.x + dx, y: o.y + dy })), []);

  useEffect(() => {
    if (apiRef) apiRef.current = { prev: () => go(-1), next: () => go(1), zoom, pan, reset, zoomed: () => scale > 1 };
  }, [apiRef, go, zoom, pan, reset, scale]);
  useEffect(() => {
    if (scale === 1) setOffset({ x: 0, y: 0 });
  }, [scale]);

  if (images.length === 0) return <div className="empty">This case has no images.</div>;
  const src = images[index];
  const isDicomWeb = src.startsWith('dicomweb:');
  return (
    <section className="viewer" aria-label="Images">
      <div
        className="viewer-stage"
        onWheel={(e) => zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15)}
        onMouseDown={(e) => (drag.current = { x: e.clientX, y: e.clientY })}
        onMouseMove={(e) => {
          if (!drag.current || scale === 1) return;
          pan(e.clientX - drag.current.x, e.clientY - drag.current.y);
          drag.current = { x: e.clientX, y: e.clientY };
        }}
        onMouseUp={() => (drag.current = null)}
        onMouseLeave={() => (drag.current = null)}
      >
        {isDicomWeb ? (
          <p className="muted" style={{ color: '#ccc', padding: '1rem' }}>
            DICOMweb image ({src}): server-side rendering is not configured on this installation.
          </p>
        ) : (
          <img
            src={src}
            alt={`Image ${index + 1} of ${images.length}`}
            draggable={false}
            style={{
              transform: `translate(${offset.x}px, ${offset.y}px) scale(${scale})`,
              filter: `brightness(${brightness}%) contrast(${contrast}%)`,
            }}
          />
        )}
      </div>
      <div className="viewer-tools">
        <span aria-live="polite">
          Image {index + 1} / {images.length}
        </span>
        <button type="button" className="secondary" onClick={() => go(-1)} aria-label="Previous image ([)" disabled={images.length < 2}>
          ‹ Prev
        </button>
        <button type="button" className="secondary" onClick={() => go(1)} aria-label="Next image (])" disabled={images.length < 2}>
          Next ›
        </button>
        <button type="button" className="secondary" onClick={() => zoom(1.25)} aria-label="Zoom in (+)">
          +
        </button>
        <button type="button" className="secondary" onClick={() => zoom(0.8)} aria-label="Zoom out (−)">
          −
        </button>
        <label className="inline">
          Brightness
          <input type="range" min={20} max={300} value={brightness} onChange={(e) => setBrightness(Number(e.target.value))} />
        </label>
        <label className="inline">
          Contrast
          <input type="range" min={20} max={400} value={contrast} onChange={(e) => setContrast(Number(e.target.value))} />
        </label>
        <button type="button" className="secondary" onClick={reset} aria-label="Reset view (0)">
          Reset
        </button>
      </div>
    </section>
  );
}
