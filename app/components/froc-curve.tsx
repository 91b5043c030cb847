/** A reader's empirical FROC curve (lesion localisation fraction against non-lesion localisations per case) as a small SVG. */
export function FrocCurve({ points, label }: { points: { nlf: number; llf: number }[]; label: string }) {
  const W = 150;
  const H = 90;
  const pad = 16;
  const maxX = Math.max(1, ...points.map((p) => p.nlf));
  const x = (v: number) => pad + (v / maxX) * (W - pad - 6);
  const y = (v: number) => H - pad - v * (H - pad - 6);
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.nlf).toFixed(1)},${y(p.llf).toFixed(1)}`).join(' ');
  const last = points[points.length - 1];
  return (
    <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`FROC curve of ${label}${last ? `: LLF ${last.llf.toFixed(2)} at NLF ${last.nlf.toFixed(2)}` : ''}`}>
      <line x1={pad} y1={H - pad} x2={W - 6} y2={H - pad} stroke="currentColor" strokeWidth="1" />
      <line x1={pad} y1={6} x2={pad} y2={H - pad} stroke="currentColor" strokeWidth="1" />
      <text x={pad - 3} y={H - 4} fontSize="9">
        0
      </text>
      <text x={W - 2} y={H - 4} fontSize="9" textAnchor="end">
        NLF {maxX.toFixed(1)}
      </text>
      <text x={pad + 3} y={12} fontSize="9">
        LLF 1
      </text>
      <path d={d} fill="none" stroke="#1f6feb" strokeWidth="1.5" />
      {points.map((p, i) => (
        <circle key={i} cx={x(p.nlf)} cy={y(p.llf)} r="2" fill="#1f6feb" />
      ))}
    </svg>
  );
}
