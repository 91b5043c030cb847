/** The stored agreement by location: per marks item who found each lesion, κ on matched answers, outline overlap and STAPLE. */
import type { ItemAgreement, MarksAgreementResult } from '~/models/marks-agreement.server.ts';

const f3 = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(3));
const ci = (c: [number, number] | null | undefined) => (c ? `${f3(c[0])} to ${f3(c[1])}` : '—');

function Item({ it }: { it: ItemAgreement }) {
  if (it.lesions === 0) return <p>No reader marked a lesion on these cases.</p>;
  return (
    <>
      <p>
        {it.lesions} lesions on {it.cases} cases. Found by: {it.byCount.map((n, k) => `${k + 1} reader${k ? 's' : ''}: ${n}`).join('; ')}.
        {it.leftOut ? ` ${it.leftOut} cases left out: their marks could not be matched (a mark without a valid image reference or points).` : null}
      </p>
      <table aria-label={`Detection by reader: ${it.label}`}>
        <caption>Lesions each reader found, on the cases that reader read</caption>
        <thead>
          <tr>
            <th>Reader</th>
            <th>Cases</th>
            <th>Lesions found</th>
            <th>Missed (found by others)</th>
          </tr>
        </thead>
        <tbody>
          {it.perReader.map((r) => (
            <tr key={r.reader}>
              <td>{r.name}</td>
              <td>{r.cases}</td>
              <td>{r.found}</td>
              <td>{r.missed}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {it.pairs.length ? (
        <table aria-label={`Detection agreement per reader pair: ${it.label}`}>
          <caption>Detection agreement per reader pair</caption>
          <thead>
            <tr>
              <th>Readers</th>
              <th>Cases both read</th>
              <th>Found by both</th>
              <th>Only the first</th>
              <th>Only the second</th>
              <th>Positive agreement</th>
            </tr>
          </thead>
          <tbody>
            {it.pairs.map((p) => (
              <tr key={p.readers.join('|')}>
                <td>
                  {p.names[0]} – {p.names[1]}
                </td>
                <td>{p.cases}</td>
                <td>{p.both}</td>
                <td>{p.onlyFirst}</td>
                <td>{p.onlySecond}</td>
                <td>{f3(p.positiveAgreement)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {it.answers.length ? (
        <table aria-label={`Answers on matched lesions: ${it.label}`}>
          <caption>Answers on the lesions found by at least two readers</caption>
          <thead>
            <tr>
              <th>Answer</th>
              <th>Lesions found by ≥ 2 readers</th>
              <th>Fleiss κ</th>
              <th>95% CI</th>
              <th>Krippendorff α</th>
            </tr>
          </thead>
          <tbody>
            {it.answers.map((a) => (
              <tr key={a.field}>
                <td>{a.label}</td>
                <td>{a.lesions}</td>
                <td>{a.note ? <span className="muted">{a.note}</span> : f3(a.kappa)}</td>
                <td>{ci(a.ci)}</td>
                <td>{f3(a.alpha)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {it.overlap.dice && it.overlap.iou ? (
        <p>
          Outline overlap ({it.overlap.lesions} lesions outlined by ≥ 2 readers, {it.overlap.dice.images} images): Dice {f3(it.overlap.dice.mean)} (95% CI{' '}
          {ci(it.overlap.dice.bca ?? it.overlap.dice.percentile)}), IoU {f3(it.overlap.iou.mean)} (95% CI {ci(it.overlap.iou.bca ?? it.overlap.iou.percentile)}).{' '}
          <span className="muted">{it.overlap.method}; BCa shown when defined, else percentile.</span>
        </p>
      ) : (
        <p>No lesion outlined (box, ellipse or polygon) by two readers: no Dice/IoU.</p>
      )}
      {it.staple.lesions ? (
        <table aria-label={`STAPLE per reader: ${it.label}`}>
          <caption>STAPLE on the {it.staple.lesions} outline lesions (mean over the lesions each reader outlined)</caption>
          <thead>
            <tr>
              <th>Reader</th>
              <th>Lesions</th>
              <th>Sensitivity</th>
              <th>Specificity</th>
            </tr>
          </thead>
          <tbody>
            {it.staple.readers.map((r) => (
              <tr key={r.reader}>
                <td>{r.name}</td>
                <td>{r.lesions}</td>
                <td>{f3(r.sensitivity)}</td>
                <td>{f3(r.specificity)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>No lesion with two readers' outlines: no STAPLE.</p>
      )}
    </>
  );
}

export function MarksAgreementTables({ result }: { result: MarksAgreementResult | null }) {
  return (
    <>
      <h2>Agreement by location</h2>
      <p className="muted">
        Cases used: every case of the version with at least two readers' reads, decided or not (cannot-assess reads left out): agreement is about the readers, and cases still in
        dispute are where they disagree. Per case the readers' marks are matched into lesions by the item's match rule (radius in pixels for points, IoU for outlines; complete
        linkage and the Hungarian assignment of stats/marks). A reader pair is compared on the cases both read; positive agreement = 2·both / (2·both + only one). κ and α use the
        answers on lesions found by at least two readers (nominal). Outline lesions: STAPLE (Warfield, Zou &amp; Wells 2004), checked against ITK's STAPLEImageFilter, each lesion's
        outlines rasterised on a grid 10 pixels wider than them (specificity depends on that background).
      </p>
      {!result ? (
        <p>Not computed yet: Compute FROC scores computes it too, whatever the truth lesions chosen.</p>
      ) : result.cases === 0 ? (
        <p>No case has two readers' reads yet.</p>
      ) : (
        <>
          <p>
            Version {result.version}: {result.cases} cases with at least two readers' reads. Computed {new Date(result.computedAt).toISOString().slice(0, 16).replace('T', ' ')}{' '}
            UTC.
          </p>
          {result.items.map((it) => (
            <section key={it.key}>
              <h3>{it.label}</h3>
              <Item it={it} />
            </section>
          ))}
        </>
      )}
    </>
  );
}
