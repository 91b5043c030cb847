import type { ReaderForm, Field } from '../../workflows/definition.ts';

/** What a reader will see: the reader form rendered read-only (inputs disabled). */
export function ReaderFormPreview({ form }: { form: ReaderForm }) {
  const caseFields = form.fields.filter((f) => f.scope !== 'finding');
  const findingFields = form.fields.filter((f) => f.scope === 'finding');
  return (
    <div className="preview-form" aria-label="Preview of the reader form">
      {caseFields.map((f) => (
        <FieldPreview key={f.key} field={f} name={f.key} />
      ))}
      {findingFields.length
        ? form.findings.map((fd) => (
            <fieldset key={fd.key}>
              <legend>{fd.label}</legend>
              {findingFields.map((f) => (
                <FieldPreview key={f.key} field={f} name={`${fd.key}/${f.key}`} />
              ))}
            </fieldset>
          ))
        : null}
      {form.confidence ? (
        <div>
          <label htmlFor="pv-confidence">Confidence (0–100)</label>
          <input id="pv-confidence" type="number" disabled />
        </div>
      ) : null}
      {form.comment ? (
        <div>
          <label htmlFor="pv-comment">Comment</label>
          <textarea id="pv-comment" disabled rows={2} />
        </div>
      ) : null}
      <p className="hint">Readers can also mark a case “cannot assess” with a reason.</p>
    </div>
  );
}

function FieldPreview({ field, name }: { field: Field; name: string }) {
  const id = `pv-${name.replace(/\W/g, '-')}`;
  return (
    <fieldset>
      <legend>
        {field.label}
        {field.required ? '' : ' (optional)'}
      </legend>
      {field.help ? <div className="hint">{field.help}</div> : null}
      {field.kind === 'binary' ? (
        <>
          <label style={{ fontWeight: 400 }}>
            <input type="radio" name={id} disabled /> {field.trueLabel}
          </label>
          <label style={{ fontWeight: 400 }}>
            <input type="radio" name={id} disabled /> {field.falseLabel}
          </label>
        </>
      ) : field.kind === 'numeric' ? (
        <input id={id} type="number" disabled placeholder={field.unit} aria-label={field.label} />
      ) : (
        [...field.options, ...(field.kind === 'ordinal' ? field.outsideScale : [])].map((o) => (
          <label key={o.value} style={{ fontWeight: 400 }} title={o.description}>
            <input type={field.kind === 'multi_label' ? 'checkbox' : 'radio'} name={id} disabled /> {o.label}
          </label>
        ))
      )}
    </fieldset>
  );
}
