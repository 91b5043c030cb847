import { Form } from '@remix-run/react';
import type { Lesion } from '../../workflows/marks.ts';

export type StudyCaseView = {
  position: number;
  total: number;
  sessionLabel: string | null;
  kind: 'study' | 'calibration';
  arm: { key: string; label: string; aided: boolean } | null;
  ai: { modelName: string; modelVersion: string; score: number; label: string }[];
  aiMarks: { source: string; lesions: Lesion[] }[];
  calibration: { truth: { label: string; answer: string }[]; explanation: string | null } | null;
  skipReasons: { value: string; label: string }[];
  canSkip: boolean;
};

/**
 * The study's part of the reading page: where the reader is in their own workload, the arm, the
 * AI results (aided arm only), a calibration case's known answer after the reader's read, and
 * skipping with a reason. Everything here is the reader's own or fixed by the design: nothing
 * changes with another reader's answer.
 */
export function StudyCasePanel({ study, slug, caseId, onNext }: { study: StudyCaseView; slug: string; caseId: string; onNext: () => void }) {
  return (
    <div className="study-case" data-testid="study-panel">
      <p className="muted" style={{ marginTop: 0 }}>
        <strong>
          Case {study.position} of {study.total}
        </strong>
        {study.sessionLabel ? ` · ${study.sessionLabel}` : ''}
        {study.kind === 'calibration' ? (
          <span className="badge" style={{ marginLeft: '0.5rem' }}>
            Calibration — not part of the study results
          </span>
        ) : null}
      </p>
      {study.arm?.aided ? (
        <section className="panel" aria-labelledby="ai-h" data-testid="ai-panel" style={{ borderLeft: '4px solid #5b6bd5' }}>
          <h2 id="ai-h" style={{ marginTop: 0, fontSize: '1.05rem' }}>
            AI result
          </h2>
          {study.ai.length ? (
            <ul style={{ margin: 0 }}>
              {study.ai.map((a) => (
                <li key={`${a.modelName} ${a.modelVersion}`}>
                  <strong>{a.label}</strong> · score {a.score.toFixed(2)}{' '}
                  <span className="muted">
                    ({a.modelName} {a.modelVersion})
                  </span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted" style={{ margin: 0 }}>
              The AI model gave no result for this case.
            </p>
          )}
          {study.aiMarks.length ? (
            <p className="muted" style={{ margin: '0.4rem 0 0' }} data-testid="ai-marks">
              {study.aiMarks.map((m) => `${m.source}: ${m.lesions.length} ${m.lesions.length === 1 ? 'mark' : 'marks'}`).join(' · ')} — drawn on the images, locked.
            </p>
          ) : null}
        </section>
      ) : null}
      {study.calibration ? (
        <section className="panel" aria-labelledby="calib-h" data-testid="calibration-answer" role="status">
          <h2 id="calib-h" style={{ marginTop: 0, fontSize: '1.05rem' }}>
            The known answer
          </h2>
          <ul style={{ margin: 0 }}>
            {study.calibration.truth.map((t) => (
              <li key={t.label}>
                {t.label}: <strong>{t.answer}</strong>
              </li>
            ))}
          </ul>
          {study.calibration.explanation ? <p>{study.calibration.explanation}</p> : null}
          <button type="button" onClick={onNext}>
            Next case
          </button>
        </section>
      ) : null}
      {study.canSkip ? (
        <details>
          <summary>Skip this case…</summary>
          <Form method="post" action={`/projects/${slug}/study/skip/${caseId}`} className="row" style={{ gap: '0.5rem', marginTop: '0.5rem' }}>
            <label htmlFor="skip-reason">Reason</label>
            <select id="skip-reason" name="reason" required defaultValue="">
              <option value="" disabled>
                Choose…
              </option>
              {study.skipReasons.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </select>
            <button type="submit" className="secondary">
              Skip
            </button>
          </Form>
        </details>
      ) : null}
    </div>
  );
}
