/**
 * What stopped a submit, at the top of the form: focused when it appears (after a refused submit
 * the reader's focus lands on the message, not on the button they pressed), each problem named
 * by the form's own question.
 */
import { useEffect, useRef } from 'react';
import type { ReaderForm } from '../../workflows/definition.ts';
import { FIELD_PREFIX, itemLabel } from '~/lib/reader-form.ts';

const OTHER_NAMES: Record<string, string> = {
  confidence: 'Confidence',
  comment: 'Comment',
  cannotAssessReason: 'Why the case cannot be assessed',
  reason: 'Reason for the amendment',
  rationale: 'Rationale',
  pickReadId: 'Read',
};

export function ReaderErrorSummary({ errors, form }: { errors: Record<string, string[]> | null | undefined; form: ReaderForm }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (errors && Object.keys(errors).length) ref.current?.focus();
  }, [errors]);
  if (!errors || Object.keys(errors).length === 0) return null;
  return (
    <div className="flash flash-error" role="alert" tabIndex={-1} ref={ref} id="form-errors">
      {errors._form ? <p style={{ margin: 0 }}>{errors._form.join(' ')}</p> : null}
      {Object.keys(errors).some((k) => k !== '_form') ? (
        <>
          <p style={{ margin: 0 }}>Not saved yet:</p>
          <ul style={{ margin: 0 }}>
            {Object.entries(errors)
              .filter(([k]) => k !== '_form')
              .map(([k, msgs]) => (
                <li key={k}>
                  {k.startsWith(FIELD_PREFIX) ? itemLabel(form, k.slice(FIELD_PREFIX.length)) : (OTHER_NAMES[k] ?? k)}: {msgs[0]}
                </li>
              ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}
