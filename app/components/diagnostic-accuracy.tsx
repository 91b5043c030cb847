/**
 * The dashboard's diagnostic-accuracy section: readers against the evidence-based reference
 * (which reference each figure uses is said beside it), ROC curves, the MRMC result and the
 * STARD flow diagram. Renders app/models/accuracy.server.ts's DiagnosticAccuracy.
 */
import type { DiagnosticAccuracy } from '~/models/accuracy.server.ts';
import type { AccuracyVsReference, Est } from '../../stats/roc/reader-accuracy.ts';
import { RocChart } from './roc-chart.tsx';
import { StardDiagram } from './stard-diagram.tsx';

const f3 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(3));
const est = (e: Est) => (e.value === null ? '—' : `${f3(e.value)} (${f3(e.lower)}–${f3(e.upper)})`);
const f1 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(1));
const estimable = (se: number, df: number | null) => se > 0 && (df === null || Number.isFinite(df));
const pv = (p: number | null) => (p === null || !Number.isFinite(p) ? '—' : p < 0.0001 ? '< 0.0001' : p.toFixed(4));

function ReaderTable({ a, caption }: { a: AccuracyVsReference; caption: string }) {
  return (
    <table style={{ marginTop: '0.6rem' }}>
      <caption className="hint" style={{ textAlign: 'left' }}>
        {caption}
      </caption>
      <thead>
        <tr>
          <th>Reader</th>
          <th className="num">Scored (pos/neg)</th>
          <th className="num">Unverified</th>
          <th className="num">AUC (DeLong 95% CI)</th>
          <th className="num">Sensitivity</th>
          <th className="num">Specificity</th>
          <th className="num">Accuracy</th>
          <th className="num">κ vs reference</th>
        </tr>
      </thead>
      <tbody>
        {a.readers.map((r) => (
          <tr key={r.reader}>
            <td>{r.reader}</td>
            <td className="num">
              {r.units} ({r.positives}/{r.negatives})
            </td>
            <td className="num">{r.unverified}</td>
            <td className="num">{est(r.auc)}</td>
            <td className="num">{est(r.sensitivity)}</td>
            <td className="num">{est(r.specificity)}</td>
            <td className="num">{est(r.accuracy)}</td>
            <td className="num">{est(r.kappa)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ReaderSection({ a, v, unverifiedNegative, title }: { a: DiagnosticAccuracy; v: AccuracyVsReference; unverifiedNegative: AccuracyVsReference | null; title: string }) {
  const arm = title ? ` — arm: ${title}` : '';
  if (v.readers.length === 0) return <div className="empty">No reads on units with a reference yet{arm}.</div>;
  return (
    <>
      {title ? <h4>Arm: {title}</h4> : null}
      <RocChart
        title={`ROC curves against the verified reference, ${a.field?.label ?? ''}${arm}`}
        readers={v.readers.filter((r) => r.curve.length).map((r) => ({ label: r.reader, points: r.curve, auc: r.auc.value }))}
        average={v.averageCurve.length ? { label: 'Reader average', points: v.averageCurve, auc: v.meanAuc } : null}
      />
      <ReaderTable a={v} caption={`Reference: verified cases only (default)${arm}. Unverified ratings are counted, not scored. Wilson CIs; AUC with DeLong CI.`} />
      {unverifiedNegative ? <ReaderTable a={unverifiedNegative} caption={`Sensitivity analysis${arm} — reference: verified, with unverified cases counted as negative.`} /> : null}
    </>
  );
}

export function DiagnosticAccuracySection({ a }: { a: DiagnosticAccuracy }) {
  const unitLabel = a.field && a.stard.units !== a.stard.analysed ? 'case × finding units' : 'units';
  const v = a.verified;
  const m = a.mrmc;
  return (
    <section aria-labelledby="accuracy-h" className="panel" style={{ marginTop: '1rem' }}>
      <h3 id="accuracy-h" style={{ marginTop: 0 }}>
        Diagnostic accuracy against the reference standard
      </h3>
      <p className="muted">
        Outcome: {a.outcome}. Reference: {a.reference === 'evidence' ? 'evidence (pathology, surgery, follow-up…), never the readers’ own reads' : 'the reader panel'}.
        {a.field ? ` Index test: ${a.field.label} (scale ${a.field.scale.join(' < ')}${a.field.threshold ? `; positive call at ≥ ${a.field.threshold}` : ''}).` : ''}
      </p>
      {a.note ? <div className="empty">{a.note}</div> : null}
      {v ? <ReaderSection a={a} v={v} unverifiedNegative={a.unverifiedNegative} title="" /> : null}
      {(a.arms ?? []).map((arm) => (
        <ReaderSection key={arm.key} a={a} v={arm.verified} unverifiedNegative={arm.unverifiedNegative} title={arm.label} />
      ))}
      {a.reference === 'evidence' ? (
        <>
          <h4>Multi-reader multi-case analysis</h4>
          <p className="hint">{a.mrmcNote}</p>
          {m ? (
            <table>
              <thead>
                <tr>
                  <th>Arm</th>
                  <th className="num">Reader-averaged {m.fom.label}</th>
                  <th className="num">95% CI (random readers & cases)</th>
                  <th className="num">SE</th>
                  <th className="num">Hillis df</th>
                  <th className="num">95% CI (fixed readers)</th>
                </tr>
              </thead>
              <tbody>
                {m.or.rrrc.arms.map((x, i) => (
                  <tr key={x.arm}>
                    <td>{x.arm}</td>
                    <td className="num">{f3(x.estimate)}</td>
                    <td className="num">{estimable(x.se, x.df) ? `${f3(x.ci[0])} – ${f3(x.ci[1])}` : 'not estimable'}</td>
                    <td className="num">{f3(x.se)}</td>
                    <td className="num">{x.df === null || !Number.isFinite(x.df) ? '—' : x.df.toFixed(1)}</td>
                    <td className="num">
                      {f3(m.or.frrc.arms[i].ci[0])} – {f3(m.or.frrc.arms[i].ci[1])}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {m && !m.or.rrrc.arms.every((x) => estimable(x.se, x.df)) ? (
            <p className="hint">
              “Not estimable”: the readers’ {m.fom.label} values in that arm are equal and Cov2 ≤ 0, so the random-readers SE is 0 and its df undefined; the fixed-readers CI still
              applies.
            </p>
          ) : null}
          {m && m.or.rrrc.differences.length ? (
            <table style={{ marginTop: '0.6rem' }}>
              <caption className="hint" style={{ textAlign: 'left' }}>
                Difference between arms. Random readers and cases: F({m.or.rrrc.df1}, {f1(m.or.rrrc.df2)}) = {f3(m.or.rrrc.F)}, p = {pv(m.or.rrrc.p)}.
              </caption>
              <thead>
                <tr>
                  <th>Comparison</th>
                  <th className="num">Difference</th>
                  <th className="num">95% CI (random readers & cases)</th>
                  <th className="num">SE</th>
                  <th className="num">t (Hillis df)</th>
                  <th className="num">p</th>
                  <th className="num">p (fixed readers)</th>
                </tr>
              </thead>
              <tbody>
                {m.or.rrrc.differences.map((d, i) => (
                  <tr key={d.arms.join()}>
                    <td>
                      {d.arms[0]} − {d.arms[1]}
                    </td>
                    <td className="num">{f3(d.estimate)}</td>
                    <td className="num">
                      {f3(d.ci[0])} – {f3(d.ci[1])}
                    </td>
                    <td className="num">{f3(d.se)}</td>
                    <td className="num">
                      {f3(d.statistic)} ({f1(d.df)})
                    </td>
                    <td className="num">{pv(d.p)}</td>
                    <td className="num">{pv(m.or.frrc.differences[i].p)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {m ? (
            <p className="hint">
              OR variance components (ANOVA estimates, not floored): Var(R) {f3(m.or.components.varR)}, Var(error) {f3(m.or.components.varError)}, Cov2 {f3(m.or.components.cov2)}
              {m.or.components.varR < 0 ? ' — Var(R) estimated below zero: readers differ less than case sampling alone would make them' : ''}. The same document:{' '}
              <code>GET /api/v1/projects/…/mrmc</code>, or <code>npx truthline mrmc</code> on a long CSV. Plan a study from these figures on the{' '}
              <a href="sample-size">sample-size page</a>.
            </p>
          ) : null}
        </>
      ) : null}
      <h4>STARD 2015 flow</h4>
      <StardDiagram s={a.stard} unitLabel={unitLabel} />
    </section>
  );
}
