/** The stored FROC figures: per arm and reader the localisation scores with a FROC curve, and the arms' JAFROC comparison. */
import type { FrocResult } from '~/models/froc.server.ts';
import { FrocCurve } from './froc-curve.tsx';

const f3 = (x: number | null) => (x === null ? '—' : x.toFixed(3));

export function FrocTables({ result }: { result: FrocResult }) {
  return (
    <>
      <p>
        Truth: {result.truthSource ? `the imported reference source “${result.truthSource}”` : 'the cases’ decided truth lesions'}. Version {result.version}: {result.cases} cases (
        {result.normals} normal), {result.lesions} truth lesions. Rating: {result.ratingFields.length ? result.ratingFields.join(', ') : 'none (every mark rates 1)'}. Computed{' '}
        {new Date(result.computedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC.
      </p>
      <table>
        <thead>
          <tr>
            {result.readers.some((r) => r.arm) ? <th>Arm</th> : null}
            <th>Reader</th>
            <th>Cases</th>
            <th>Normal</th>
            <th>Lesions</th>
            <th>wAFROC</th>
            <th>AFROC</th>
            <th>LLF</th>
            <th>NLs per case</th>
            <th>FROC curve</th>
          </tr>
        </thead>
        <tbody>
          {result.readers.map((r) => (
            <tr key={`${r.arm}:${r.readerId}`}>
              {result.readers.some((x) => x.arm) ? <td>{r.armLabel}</td> : null}
              <td>{r.name}</td>
              <td>{r.cases}</td>
              <td>{r.normals}</td>
              <td>{r.lesions}</td>
              <td>{r.note ? <span className="muted">{r.note}</span> : f3(r.wAFROC)}</td>
              <td>{f3(r.AFROC)}</td>
              <td>{f3(r.llf)}</td>
              <td>{f3(r.nlf)}</td>
              <td>{r.froc.length ? <FrocCurve points={r.froc} label={r.name} /> : null}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {result.comparison ? (
        <>
          <h3>Between arms (JAFROC, Obuchowski–Rockette, random readers and cases)</h3>
          <table>
            <thead>
              <tr>
                <th>Arms</th>
                <th>wAFROC difference</th>
                <th>95% CI</th>
                <th>F</th>
                <th>p</th>
                <th>Readers × cases</th>
              </tr>
            </thead>
            <tbody>
              {result.comparison.map((c) => (
                <tr key={c.arms.join(':')}>
                  <td>
                    {c.labels[0]} − {c.labels[1]}
                  </td>
                  <td>{f3(c.difference)}</td>
                  <td>
                    {f3(c.ci[0])} to {f3(c.ci[1])}
                  </td>
                  <td>
                    F({c.df1}, {c.df2.toFixed(1)}) = {c.F.toFixed(3)}
                  </td>
                  <td>{c.p < 0.001 ? '< 0.001' : c.p.toFixed(3)}</td>
                  <td>
                    {c.readers} × {c.cases}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : result.comparisonNote ? (
        <p className="muted">No comparison between arms: {result.comparisonNote}.</p>
      ) : null}
    </>
  );
}
