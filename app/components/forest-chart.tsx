/**
 * A forest chart in plain SVG (server-rendered, no library): one row per estimate with its CI
 * whisker, a reference line at 0 and gridlines. Plain SVG because the charts are few and
 * simple, must render without client JS, and a charting library would add weight for nothing.
 */
export type ForestRow = { label: string; value: number | null; lower: number | null; upper: number | null; note?: string };

export function ForestChart({ rows, title, min = -0.2, max = 1, width = 640 }: { rows: ForestRow[]; title: string; min?: number; max?: number; width?: number }) {
  const lo = Math.min(min, ...rows.map((r) => r.lower ?? r.value ?? min));
  const hi = Math.max(max, ...rows.map((r) => r.upper ?? r.value ?? max));
  const left = 230;
  const right = 90;
  const rowH = 26;
  const top = 12;
  const axis = 28;
  const height = top + rows.length * rowH + axis;
  const plotW = width - left - right;
  const x = (v: number) => left + ((v - lo) / (hi - lo)) * plotW;
  const ticks: number[] = [];
  const step = hi - lo > 1.5 ? 0.5 : 0.2;
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) ticks.push(Math.round(t * 100) / 100);
  const fmt = (v: number | null) => (v === null ? '—' : v.toFixed(3));
  const desc = rows.map((r) => `${r.label}: ${fmt(r.value)} (95% CI ${fmt(r.lower)} to ${fmt(r.upper)})`).join('; ');
  return (
    <svg className="chart" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={`${title}. ${desc}`}>
      <title>{title}</title>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={x(t)} x2={x(t)} y1={top - 4} y2={height - axis} stroke={t === 0 ? '#5b6675' : '#e3e7ec'} strokeWidth={t === 0 ? 1.5 : 1} />
          <text x={x(t)} y={height - axis + 16} fontSize="11" textAnchor="middle" fill="#5b6675">
            {t.toFixed(1)}
          </text>
        </g>
      ))}
      {rows.map((r, i) => {
        const y = top + i * rowH + rowH / 2;
        return (
          <g key={`${r.label}-${i}`}>
            <text x={left - 10} y={y + 4} fontSize="12" textAnchor="end" fill="#1b2430">
              {r.label.length > 34 ? `${r.label.slice(0, 33)}…` : r.label}
            </text>
            {r.lower !== null && r.upper !== null ? (
              <>
                <line x1={x(r.lower)} x2={x(r.upper)} y1={y} y2={y} stroke="#1f5fbf" strokeWidth={2} />
                <line x1={x(r.lower)} x2={x(r.lower)} y1={y - 5} y2={y + 5} stroke="#1f5fbf" strokeWidth={2} />
                <line x1={x(r.upper)} x2={x(r.upper)} y1={y - 5} y2={y + 5} stroke="#1f5fbf" strokeWidth={2} />
              </>
            ) : null}
            {r.value !== null ? <rect x={x(r.value) - 5} y={y - 5} width={10} height={10} fill="#0f2a4d" /> : null}
            <text x={width - right + 8} y={y + 4} fontSize="12" fill="#1b2430">
              {fmt(r.value)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** A horizontal stacked bar of counts (e.g. cases by workflow state), with a legend. */
export function StackedBar({ parts, title, width = 640 }: { parts: { label: string; n: number; color: string }[]; title: string; width?: number }) {
  const total = parts.reduce((s, p) => s + p.n, 0);
  let acc = 0;
  const desc = parts.map((p) => `${p.label} ${p.n}`).join(', ');
  return (
    <svg className="chart" viewBox={`0 0 ${width} 64`} width={width} height={64} role="img" aria-label={`${title}: ${desc}`}>
      <title>{title}</title>
      {total === 0 ? (
        <rect x={0} y={8} width={width} height={22} fill="#e3e7ec" />
      ) : (
        parts.map((p) => {
          const w = (p.n / total) * width;
          const r = <rect key={p.label} x={acc} y={8} width={w} height={22} fill={p.color} />;
          acc += w;
          return r;
        })
      )}
      {parts.map((p, i) => (
        <g key={`l-${p.label}`} transform={`translate(${i * (width / Math.max(parts.length, 1))}, 44)`}>
          <rect width={10} height={10} fill={p.color} />
          <text x={14} y={9} fontSize="11" fill="#1b2430">
            {p.label} {p.n}
          </text>
        </g>
      ))}
    </svg>
  );
}
