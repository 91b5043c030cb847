/**
 * Renders a project's reader form: binary, nominal, ordinal (with descriptions and answers
 * outside the scale), multi-label checklist, numeric with unit and range, per-finding sections.
 * Used by the reader's case page, the adjudicator (disputed items only) and the lead's preview.
 */
import type { Field, FindingDef, ReaderForm } from '../../workflows/definition.ts';
import { formItems } from '../../workflows/form-items.ts';
import { fieldName } from '~/lib/reader-form.ts';

type Errors = Record<string, string[]> | null | undefined;

function Options({ name, field, value, disabled, errorId }: { name: string; field: Field; value: unknown; disabled?: boolean; errorId?: string }) {
  // Each group is named by its question (the item label above it).
  const labelledBy = `${name}-label`;
  const radios = (opts: { value: string; label: string; description?: string }[], extra?: { value: string; label: string; description?: string }[]) => (
    <div className="options" role="radiogroup" aria-labelledby={labelledBy} aria-describedby={errorId}>
      {opts.map((o, i) => (
        <label key={o.value} className="option">
          <input type="radio" name={name} value={o.value} defaultChecked={value === o.value} disabled={disabled} data-key={i + 1} />
          <span>
            <kbd aria-hidden="true">{i + 1}</kbd> {o.label}
            {o.description ? <span className="hint"> — {o.description}</span> : null}
          </span>
        </label>
      ))}
      {extra?.length ? (
        <div className="outside-scale">
          {extra.map((o, j) => {
            // Answers outside the scale take the keys after the scale's (BI-RADS 0 → 6 after 1–5).
            const k = opts.length + j + 1;
            return (
              <label key={o.value} className="option">
                <input type="radio" name={name} value={o.value} defaultChecked={value === o.value} disabled={disabled} data-key={k <= 9 ? k : undefined} />
                <span>
                  {k <= 9 ? <kbd aria-hidden="true">{k}</kbd> : null} {o.label}
                  {o.description ? <span className="hint"> — {o.description}</span> : null}
                </span>
              </label>
            );
          })}
        </div>
      ) : null}
    </div>
  );
  switch (field.kind) {
    case 'binary':
      return (
        <div className="options" role="radiogroup" aria-labelledby={labelledBy} aria-describedby={errorId}>
          {[
            { v: true, label: field.trueLabel },
            { v: false, label: field.falseLabel },
          ].map((o, i) => (
            <label key={String(o.v)} className="option">
              <input type="radio" name={name} value={String(o.v)} defaultChecked={value === o.v} disabled={disabled} data-key={i + 1} />
              <span>
                <kbd aria-hidden="true">{i + 1}</kbd> {o.label}
              </span>
            </label>
          ))}
        </div>
      );
    case 'nominal':
      return radios(field.options);
    case 'ordinal':
      return radios(field.options, field.outsideScale);
    case 'multi_label':
      return (
        <div className="options" role="group" aria-labelledby={labelledBy} aria-describedby={errorId}>
          {field.options.map((o, i) => (
            <label key={o.value} className="option">
              <input type="checkbox" name={name} value={o.value} defaultChecked={Array.isArray(value) && value.includes(o.value)} disabled={disabled} data-key={i + 1} />
              <span>
                <kbd aria-hidden="true">{i + 1}</kbd> {o.label}
                {o.description ? <span className="hint"> — {o.description}</span> : null}
              </span>
            </label>
          ))}
        </div>
      );
    case 'numeric':
      return (
        <div className="row">
          <input
            type="number"
            name={name}
            min={field.min}
            max={field.max}
            step={field.step ?? 'any'}
            aria-labelledby={labelledBy}
            defaultValue={typeof value === 'number' ? value : undefined}
            disabled={disabled}
            aria-describedby={errorId}
            style={{ maxWidth: '10rem' }}
          />
          <span>{field.unit}</span>
          {field.min !== undefined || field.max !== undefined ? (
            <span className="hint">
              range {field.min ?? '−∞'} – {field.max ?? '∞'}
            </span>
          ) : null}
        </div>
      );
  }
}

export function ReaderFormFields({
  form,
  values,
  errors,
  only,
  disabled,
}: {
  form: ReaderForm;
  values?: Record<string, unknown> | null;
  errors?: Errors;
  only?: string[];
  disabled?: boolean;
}) {
  const items = formItems(form).filter((i) => !only || only.includes(i.key));
  const groups = new Map<string, { finding?: FindingDef; items: typeof items }>();
  for (const it of items) {
    const k = it.finding?.key ?? '';
    const g = groups.get(k) ?? { finding: it.finding, items: [] };
    g.items.push(it);
    groups.set(k, g);
  }
  return (
    <>
      {[...groups.entries()].map(([k, g]) => (
        <fieldset key={k || 'case'} className="finding-section">
          {g.finding ? <legend>{g.finding.label}</legend> : <legend className="sr-only">Case</legend>}
          {g.items.map((it) => {
            const name = fieldName(it.key);
            const err = errors?.[name]?.[0];
            const errorId = err ? `${name}-err` : undefined;
            return (
              // tabIndex -1: the digit keys move focus from item to item without landing on a radio
              // (a focused radio would take the arrow keys and change an answer unseen).
              <div key={it.key} className="form-item" data-item={it.key} tabIndex={-1} role="group" aria-labelledby={`${name}-label`}>
                <div className="item-label" id={`${name}-label`}>
                  {it.field.label}
                  {it.field.required ? null : <span className="hint"> (optional)</span>}
                </div>
                {it.field.help ? <div className="hint">{it.field.help}</div> : null}
                <Options name={name} field={it.field} value={values?.[it.key]} disabled={disabled} errorId={errorId} />
                {err ? (
                  <div className="field-error" id={errorId}>
                    {err}
                  </div>
                ) : null}
              </div>
            );
          })}
        </fieldset>
      ))}
    </>
  );
}
