/**
 * One image with marks drawn over it in image pixel coordinates (an SVG whose viewBox is the
 * image's natural size, so a mark replays exactly whatever the display size). Draws with the
 * mouse when a tool is active: point = click, box/ellipse = drag corner to corner, polygon =
 * click the vertices and click the first one again (or Escape) to close.
 *
 * This is the thin adapter for web (PNG/JPEG) images until the Cornerstone viewer's
 * marks API (viewer/marks-types.ts, h14v) is in the bundle; the marks it produces have the same
 * shape, so the read, the machine and the exports do not change when the viewer takes over.
 */
import { useRef, useState } from 'react';
import type { MarkKind } from '../../viewer/marks-types.ts';

export type StageMark = { id: string; kind: MarkKind; points: [number, number][]; colour: string; label: string; selected?: boolean; dashed?: boolean };

function Shape({ m, scale }: { m: StageMark; scale: number }) {
  const sw = (m.selected ? 3 : 2) * scale;
  const common = { stroke: m.colour, strokeWidth: sw, fill: m.selected ? `${m.colour}33` : 'none', strokeDasharray: m.dashed ? `${6 * scale} ${4 * scale}` : undefined };
  const [a, b] = m.points;
  let shape: JSX.Element;
  let at: [number, number] = a!;
  if (m.kind === 'point') {
    shape = (
      <>
        <circle cx={a![0]} cy={a![1]} r={6 * scale} {...common} />
        <circle cx={a![0]} cy={a![1]} r={1.5 * scale} fill={m.colour} />
      </>
    );
  } else if (m.kind === 'box' || m.kind === 'ellipse') {
    const x0 = Math.min(a![0], b![0]);
    const y0 = Math.min(a![1], b![1]);
    const w = Math.abs(b![0] - a![0]);
    const h = Math.abs(b![1] - a![1]);
    at = [x0, y0];
    shape = m.kind === 'box' ? <rect x={x0} y={y0} width={w} height={h} {...common} /> : <ellipse cx={x0 + w / 2} cy={y0 + h / 2} rx={w / 2} ry={h / 2} {...common} />;
  } else {
    shape = <polygon points={m.points.map((p) => p.join(',')).join(' ')} {...common} />;
  }
  return (
    <g data-mark={m.id}>
      {shape}
      <text x={at[0] + 8 * scale} y={at[1] - 6 * scale} fill={m.colour} fontSize={12 * scale} fontWeight={700} stroke="#000" strokeWidth={0.6 * scale} paintOrder="stroke">
        {m.label}
      </text>
    </g>
  );
}

export function MarksStage({
  src,
  alt,
  marks,
  tool,
  onDraw,
  onSelect,
}: {
  src: string;
  alt: string;
  marks: StageMark[];
  tool: MarkKind | null;
  onDraw?: (kind: MarkKind, points: [number, number][]) => void;
  onSelect?: (id: string | null) => void;
}) {
  const svg = useRef<SVGSVGElement>(null);
  const [size, setSize] = useState<[number, number] | null>(null);
  const [drag, setDrag] = useState<[number, number][] | null>(null);
  const [poly, setPoly] = useState<[number, number][]>([]);
  const toImage = (e: React.MouseEvent): [number, number] => {
    const r = svg.current!.getBoundingClientRect();
    const [w, h] = size!;
    const round = (x: number) => Math.round(x * 10) / 10;
    return [round(((e.clientX - r.left) / r.width) * w), round(((e.clientY - r.top) / r.height) * h)];
  };
  const scale = size ? Math.max(size[0], size[1]) / 400 : 1;
  const closePolygon = (pts: [number, number][]) => {
    if (pts.length >= 3) onDraw?.('polygon', pts);
    setPoly([]);
  };
  return (
    <div
      className="marks-stage"
      style={{ position: 'relative', display: 'inline-block', width: '100%', maxWidth: 360, background: '#000', cursor: tool ? 'crosshair' : 'default' }}
    >
      <img
        src={src}
        alt={alt}
        style={{ display: 'block', width: '100%', height: 'auto' }}
        onLoad={(e) => setSize([e.currentTarget.naturalWidth, e.currentTarget.naturalHeight])}
        draggable={false}
      />
      {size ? (
        <svg
          ref={svg}
          viewBox={`0 0 ${size[0]} ${size[1]}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={`Marks on ${alt}`}
          style={{ position: 'absolute', inset: 0, width: '100%', height: '100%' }}
          onMouseDown={(e) => {
            if (!tool || !onDraw || e.button !== 0) return;
            e.preventDefault();
            const p = toImage(e);
            if (tool === 'point') onDraw('point', [p]);
            else if (tool === 'polygon') {
              const first = poly[0];
              if (first && poly.length >= 3 && Math.hypot(first[0] - p[0], first[1] - p[1]) < 8 * scale) closePolygon(poly);
              else setPoly([...poly, p]);
            } else setDrag([p, p]);
          }}
          onMouseMove={(e) => {
            if (drag) setDrag([drag[0]!, toImage(e)]);
          }}
          onMouseUp={(e) => {
            if (!drag || !tool) return;
            const end = toImage(e);
            setDrag(null);
            if (Math.abs(end[0] - drag[0]![0]) >= 2 && Math.abs(end[1] - drag[0]![1]) >= 2) onDraw?.(tool, [drag[0]!, end]);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape' && poly.length) closePolygon(poly);
          }}
        >
          {marks.map((m) => (
            <g key={m.id} onClick={() => !tool && onSelect?.(m.id)} style={{ cursor: tool ? undefined : 'pointer' }}>
              <Shape m={m} scale={scale} />
            </g>
          ))}
          {drag ? <Shape m={{ id: 'drawing', kind: tool === 'ellipse' ? 'ellipse' : 'box', points: drag, colour: '#ffd400', label: '' }} scale={scale} /> : null}
          {poly.length ? <polyline points={poly.map((p) => p.join(',')).join(' ')} stroke="#ffd400" strokeWidth={2 * scale} fill="none" /> : null}
        </svg>
      ) : null}
    </div>
  );
}
