/**
 * The reader form's items in the structured editor: questions of each answer kind with their
 * scales, findings, and marks items (whose per-lesion questions use the same question editor).
 */
import { FIELD_KINDS, inputId, inputName, KIND_LABEL, type FieldKind } from './definition-editor-form.ts';
import { arr, Check, ListMarker, obj, Op, Pick, RowErrors, RowOps, str, Txt } from './definition-editor-inputs.tsx';

const SCOPES = [
  ['case', 'Once per case'],
  ['finding', 'Once per finding'],
] as const;

function OptionRows({ path, rows, title, addLabel }: { path: string; rows: unknown[]; title: string; addLabel: string }) {
  return (
    <fieldset className="de-options" id={inputId(path)}>
      <legend>{title}</legend>
      <ListMarker path={path} />
      <RowErrors path={path} />
      {rows.length ? (
        <ol className="de-option-list">
          {rows.map((row, i) => {
            const o = obj(row);
            const p = `${path}.${i}`;
            return (
              <li key={i} className="de-option" id={inputId(p)}>
                <Txt path={`${p}.value`} label="Value (stored)" value={o.value} className="de-narrow" />
                <Txt path={`${p}.label`} label="Label (shown)" value={o.label} />
                <Txt path={`${p}.description`} label="Description" value={o.description} suffix="o" />
                <RowOps listPath={path} index={i} count={rows.length} noun={`answer ${i + 1}${str(o.label) ? ` “${str(o.label)}”` : ''}`} />
              </li>
            );
          })}
        </ol>
      ) : (
        <p className="muted">None.</p>
      )}
      <Op op={`add|${path}|option`}>{addLabel}</Op>
    </fieldset>
  );
}

/** One question (a reader-form field or a marks item's per-lesion field). */
export function QuestionEditor({
  path,
  field,
  index,
  count,
  listPath,
  perFinding,
}: {
  path: string;
  field: unknown;
  index: number;
  count: number;
  listPath: string;
  perFinding: boolean;
}) {
  const f = obj(field);
  const kind = str(f.kind) as FieldKind;
  const title = `Question ${index + 1}${str(f.label) ? `: ${str(f.label)}` : ''}`;
  return (
    <fieldset className="de-item" id={inputId(path)}>
      <legend>
        {title} <span className="badge badge-info">{KIND_LABEL[kind] ?? kind}</span>
      </legend>
      <input type="hidden" name={inputName(`${path}.kind`)} value={kind} />
      <RowErrors path={path} />
      <div className="de-grid">
        <Txt path={`${path}.label`} label="Question (shown to readers)" value={f.label} />
        <Txt path={`${path}.key`} label="Key (in exports)" value={f.key} hint="lowercase letters, digits, _" className="de-narrow" />
        {perFinding ? <Pick path={`${path}.scope`} label="Asked" value={f.scope ?? 'case'} options={SCOPES} /> : null}
      </div>
      <Txt path={`${path}.help`} label="Help text for readers" value={f.help} suffix="o" area />
      <Check path={`${path}.required`} label="An answer is required" checked={f.required ?? true} />
      {kind === 'binary' ? (
        <div className="de-grid">
          <Txt path={`${path}.trueLabel`} label="Label for yes" value={f.trueLabel ?? 'Yes'} />
          <Txt path={`${path}.falseLabel`} label="Label for no" value={f.falseLabel ?? 'No'} />
        </div>
      ) : null}
      {kind === 'ordinal' || kind === 'nominal' || kind === 'multi_label' ? (
        <OptionRows path={`${path}.options`} rows={arr(f.options)} title={kind === 'ordinal' ? 'Scale, lowest first' : 'Answers'} addLabel="Add an answer" />
      ) : null}
      {kind === 'ordinal' ? (
        <OptionRows
          path={`${path}.outsideScale`}
          rows={arr(f.outsideScale)}
          title="Answers outside the scale (e.g. BI-RADS 0: incomplete)"
          addLabel="Add an answer outside the scale"
        />
      ) : null}
      {kind === 'numeric' ? (
        <div className="de-grid">
          <Txt path={`${path}.unit`} label="Unit" value={f.unit ?? ''} className="de-narrow" />
          <Txt path={`${path}.min`} label="Smallest allowed" value={f.min} suffix="n" type="number" className="de-narrow" />
          <Txt path={`${path}.max`} label="Largest allowed" value={f.max} suffix="n" type="number" className="de-narrow" />
          <Txt path={`${path}.step`} label="Step" value={f.step} suffix="n" type="number" className="de-narrow" />
        </div>
      ) : null}
      <RowOps listPath={listPath} index={index} count={count} noun={`question ${index + 1}`} />
    </fieldset>
  );
}

export function AddQuestion({ listPath, what }: { listPath: string; what: string }) {
  return (
    <div className="de-add" role="group" aria-label={`Add ${what}`}>
      <span className="muted">Add {what}:</span>
      {FIELD_KINDS.map((k) => (
        <Op key={k} op={`add|${listPath}|${k}`}>
          {KIND_LABEL[k]}
        </Op>
      ))}
    </div>
  );
}

export function QuestionList({ listPath, fields, perFinding, what }: { listPath: string; fields: unknown[]; perFinding: boolean; what: string }) {
  return (
    <div id={inputId(listPath)}>
      <ListMarker path={listPath} />
      <RowErrors path={listPath} />
      {fields.map((f, i) => (
        <QuestionEditor key={i} path={`${listPath}.${i}`} field={f} index={i} count={fields.length} listPath={listPath} perFinding={perFinding} />
      ))}
      <AddQuestion listPath={listPath} what={what} />
    </div>
  );
}

export function FindingRows({ rows }: { rows: unknown[] }) {
  const path = 'readerForm.findings';
  return (
    <fieldset id={inputId(path)} className="de-item">
      <legend>Findings (what per-finding questions are asked for, e.g. left and right breast)</legend>
      <ListMarker path={path} />
      <RowErrors path={path} />
      {rows.length ? (
        <ol className="de-option-list">
          {rows.map((row, i) => {
            const o = obj(row);
            const p = `${path}.${i}`;
            return (
              <li key={i} className="de-option" id={inputId(p)}>
                <Txt path={`${p}.key`} label="Key" value={o.key} className="de-narrow" />
                <Txt path={`${p}.label`} label="Label" value={o.label} />
                <RowOps listPath={path} index={i} count={rows.length} noun={`finding ${i + 1}`} />
              </li>
            );
          })}
        </ol>
      ) : (
        <p className="muted">None: every question is asked once per case.</p>
      )}
      <Op op={`add|${path}|finding`}>Add a finding</Op>
    </fieldset>
  );
}

export function MarksItems({ rows, present, tools, perFinding }: { rows: unknown[]; present: boolean; tools: readonly string[]; perFinding: boolean }) {
  const path = 'readerForm.marks';
  return (
    <div id={inputId(path)}>
      {/* Marks items are optional: a form without the list keeps it absent (an empty list would read as a change of structure). */}
      {present ? <ListMarker path={path} /> : null}
      {rows.map((row, i) => {
        const m = obj(row);
        const p = `${path}.${i}`;
        const chosen = arr(m.tools);
        return (
          <fieldset key={i} className="de-item" id={inputId(p)}>
            <legend>
              Marks item {i + 1}
              {str(m.label) ? `: ${str(m.label)}` : ''} <span className="badge badge-info">{KIND_LABEL.marks}</span>
            </legend>
            <RowErrors path={p} />
            <div className="de-grid">
              <Txt path={`${p}.label`} label="Instruction (shown to readers)" value={m.label} />
              <Txt path={`${p}.key`} label="Key (in exports)" value={m.key} className="de-narrow" />
              {perFinding ? <Pick path={`${p}.scope`} label="Asked" value={m.scope ?? 'case'} options={SCOPES} /> : null}
            </div>
            <Txt path={`${p}.help`} label="Help text for readers" value={m.help} suffix="o" area />
            <Check path={`${p}.required`} label="At least one mark is required" checked={m.required === true} />
            <fieldset id={inputId(`${p}.tools`)}>
              <legend>Drawing tools</legend>
              <ListMarker path={`${p}.tools`} />
              <RowErrors path={`${p}.tools`} />
              {tools.map((t) => (
                <span key={t} className="de-check">
                  <input type="checkbox" id={inputId(`${p}.tools.${t}`)} name={inputName(`${p}.tools`, 'l')} value={t} defaultChecked={chosen.includes(t)} />
                  <label htmlFor={inputId(`${p}.tools.${t}`)}>{t}</label>
                </span>
              ))}
            </fieldset>
            <h5>Questions per lesion</h5>
            <QuestionList listPath={`${p}.fields`} fields={arr(m.fields)} perFinding={false} what="a question per lesion" />
            <RowOps listPath={path} index={i} count={rows.length} noun={`marks item ${i + 1}`} />
          </fieldset>
        );
      })}
      <Op op={`add|${path}|marks`}>Add a marks item</Op>
    </div>
  );
}
