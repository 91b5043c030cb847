/**
 * ROC curves in plain SVG (server-rendered, like the forest chart): one step curve per reader and
 * the reader average (vertical average) drawn thicker, with the chance diagonal.
 */
export type RocSeries = { label: string; points: { fpr: number; tpr: number }[]; auc: number | null };

const COLORS = ['#1f6feb', '#c24e00', '#1d7a46', '#8250df', '#b3261e', '#0b7285', '#9a6700', '#57606a'];

export function RocChart({ readers, average, title, size = 320 }: { readers: RocSeries[]; average: RocSeries | null; title: string; size?: number }) {
  const pad = 36;
  const w = size + pad + 190;
  const h = size + pad + 12;
  const x = (f: number) => pad + f * size;
  const y = (t: number) => 8 + (1 - t) * size;
  const path = (pts: { fpr: number; tpr: number }[]) => pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.fpr).toFixed(1)},${y(p.tpr).toFixed(1)}`).join('');
  const fmt = (a: number | null) => (a === null ? '—' : a.toFixed(3));
  const legend = [...readers.map((r, i) => ({ ...r, color: COLORS[i % COLORS.length], width: 1.5 })), ...(average ? [{ ...average, color: '#111', width: 3 }] : [])];
  return (
    <svg className="chart" viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img" aria-label={`${title}. ${legend.map((l) => `${l.label}: AUC ${fmt(l.auc)}`).join('; ')}`}>
      <title>{title}</title>
      {[0, 0.25, 0.5, 0.75, 1].map((t) => (
        <g key={t}>
          <line x1={x(t)} x2={x(t)} y1={y(0)} y2={y(1)} stroke="#e3e7ec" />
          <line x1={x(0)} x2={x(1)} y1={y(t)} y2={y(t)} stroke="#e3e7ec" />
          <text x={x(t)} y={y(0) + 14} fontSize="10" textAnchor="middle" fill="#5b6675">
            {t}
          </text>
          <text x={x(0) - 4} y={y(t) + 3} fontSize="10" textAnchor="end" fill="#5b6675">
            {t}
          </text>
        </g>
      ))}
      <line x1={x(0)} y1={y(0)} x2={x(1)} y2={y(1)} stroke="#aab3bf" strokeDasharray="4 3" />
      <text x={x(0.5)} y={h - 2} fontSize="11" textAnchor="middle" fill="#5b6675">
        1 − specificity
      </text>
      <text x={10} y={y(0.5)} fontSize="11" textAnchor="middle" fill="#5b6675" transform={`rotate(-90 10 ${y(0.5)})`}>
        sensitivity
      </text>
      {legend.map((l) => (
        <path key={l.label} d={path(l.points)} fill="none" stroke={l.color} strokeWidth={l.width} />
      ))}
      {legend.map((l, i) => (
        <g key={`k-${l.label}`} transform={`translate(${x(1) + 14}, ${14 + i * 18})`}>
          <line x1={0} x2={18} y1={-4} y2={-4} stroke={l.color} strokeWidth={l.width} />
          <text x={24} y={0} fontSize="11" fill="#1f2328">
            {l.label} ({fmt(l.auc)})
          </text>
        </g>
      ))}
    </svg>
  );
}
