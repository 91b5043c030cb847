/**
 * The STARD 2015 participant flow diagram in plain SVG: eligible → excluded (with reasons) →
 * index test (per reader) → reference standard (verified / unverified / lost to follow-up) →
 * inconclusive. Counts come from app/models/accuracy.server.ts.
 */
import type { StardCounts } from '~/models/accuracy.server.ts';

function Box({ x, y, w, lines, muted = false }: { x: number; y: number; w: number; lines: string[]; muted?: boolean }) {
  const h = 10 + lines.length * 16;
  return (
    <g>
      <rect x={x} y={y} width={w} height={h} rx={4} fill={muted ? '#f6f8fa' : '#fff'} stroke="#8c959f" />
      {lines.map((l, i) => (
        <text key={i} x={x + 8} y={y + 18 + i * 16} fontSize="12" fill="#1f2328" fontWeight={i === 0 ? 600 : 400}>
          {l}
        </text>
      ))}
    </g>
  );
}

function Arrow({ x1, y1, x2, y2 }: { x1: number; y1: number; x2: number; y2: number }) {
  return <line x1={x1} y1={y1} x2={x2} y2={y2} stroke="#57606a" strokeWidth={1.5} markerEnd="url(#stard-arrow)" />;
}

export function StardDiagram({ s, unitLabel }: { s: StardCounts; unitLabel: string }) {
  const readers = s.indexTest.slice(0, 8);
  const W = 720;
  const main = 300;
  const mx = 40;
  const side = 380;
  const rowsIdx = Math.max(2, readers.length + 1);
  const yIdx = 170;
  const yRef = yIdx + 26 + rowsIdx * 16;
  const H = yRef + 90;
  const r = s.reference;
  const title = `STARD 2015 flow: ${s.eligible} eligible cases; ${s.withdrawn} withdrawn, ${s.excludedByReview} excluded on review; ${s.analysed} analysed (${s.units} ${unitLabel}); reference verified ${r.verified}, unverified ${r.unverified}, lost to follow-up ${r.lostToFollowUp}; inconclusive ${s.inconclusive}`;
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={title}>
      <title>{title}</title>
      <defs>
        <marker id="stard-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" fill="#57606a" />
        </marker>
      </defs>
      <Box x={mx} y={10} w={main} lines={[`Eligible cases: ${s.eligible}`, 'imported into this version']} />
      <Arrow x1={mx + main / 2} y1={52} x2={mx + main / 2} y2={100} />
      <Arrow x1={mx + main / 2} y1={76} x2={side} y2={76} />
      <Box
        x={side}
        y={50}
        w={300}
        muted
        lines={[`Excluded: ${s.withdrawn + s.excludedByReview}`, `withdrawn: ${s.withdrawn}`, `exclusion review / cannot assess: ${s.excludedByReview}`]}
      />
      <Box x={mx} y={100} w={main} lines={[`Analysed cases: ${s.analysed}`, `${s.units} ${unitLabel}`]} />
      <Arrow x1={mx + main / 2} y1={142} x2={mx + main / 2} y2={yIdx} />
      <Box
        x={mx}
        y={yIdx}
        w={main}
        lines={[
          'Received the index test (reads)',
          ...readers.map((x) => `${x.reader}${x.arm ? ` (${x.arm})` : ''}: ${x.units}${x.cannotAssess ? ` (+${x.cannotAssess} not assessable)` : ''}`),
          ...(s.indexTest.length > readers.length ? [`… ${s.indexTest.length - readers.length} more readers`] : []),
        ]}
      />
      <Arrow x1={mx + main / 2} y1={yRef - 18} x2={mx + main / 2} y2={yRef} />
      <Box x={mx} y={yRef} w={main} lines={['Reference standard', `verified: ${r.verified}`, `unverified: ${r.unverified}`, `lost to follow-up: ${r.lostToFollowUp}`]} />
      <Arrow x1={mx + main} y1={yRef + 40} x2={side} y2={yRef + 40} />
      <Box x={side} y={yRef + 14} w={300} muted lines={[`Inconclusive: ${s.inconclusive}`, `reference pending: ${r.pending}`, `discordant evidence: ${r.discordant}`]} />
    </svg>
  );
}
