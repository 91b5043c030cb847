/**
 * The reader's marks items: draw lesions on the case's images, answer each lesion's
 * own questions, list and select them. Keys (never inside a text field): P point, B box,
 * E ellipse, G polygon, Escape ends the tool, Delete (or Backspace) removes the selected mark,
 * Tab/Shift-Tab through the list selects. The lesions travel in one hidden input per item.
 */
import { useEffect, useMemo, useState } from 'react';
import { viewerImages } from '../../imaging/refs.ts';
import type { Field, MarkItem, ReaderForm } from '../../workflows/definition.ts';
import { markItems } from '../../workflows/form-items.ts';
import type { Lesion, LesionAnswer, MarkKind } from '../../workflows/marks.ts';
import { fieldName } from '~/lib/reader-form.ts';
import { MarksStage } from './marks-stage.tsx';
import { marksFieldName } from './marks-values.ts';

export const TOOL_KEYS: Record<string, MarkKind> = { p: 'point', b: 'box', e: 'ellipse', g: 'polygon' };
const TOOL_LABEL: Record<MarkKind, string> = { point: 'Point', box: 'Box', ellipse: 'Ellipse', polygon: 'Outline' };
export const OWN_COLOUR = '#ffd400';

function typing(el: Element | null): boolean {
  if (!el) return false;
  if (el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return true;
  if (el instanceof HTMLInputElement) return !['radio', 'checkbox', 'button', 'submit', 'range'].includes(el.type);
  return (el as HTMLElement).isContentEditable;
}

/** The case images marks can be drawn on (web images; DICOM needs the viewer's marks tools). */
export function markableImages(images: string[], caseUrl: string) {
  return viewerImages(images, caseUrl)
    .map((v, i) => ({ v, ref: images[i]!, index: i }))
    .filter((x): x is { v: { kind: 'web'; url: string }; ref: string; index: number } => x.v.kind === 'web');
}

export function lesionText(l: Lesion, item: MarkItem): string {
  const [x, y] = l.points[0]!;
  const answers = item.fields.map((f) => `${f.label} ${describe(f, l.answers[f.key])}`).join(', ');
  return `${TOOL_LABEL[l.kind]} at (${Math.round(x)}, ${Math.round(y)})${answers ? ` — ${answers}` : ''}`;
}

function describe(f: Field, v: LesionAnswer | undefined): string {
  if (v === undefined) return '—';
  if (f.kind === 'nominal' || f.kind === 'ordinal') return (f.kind === 'ordinal' ? [...f.options, ...f.outsideScale] : f.options).find((o) => o.value === v)?.label ?? String(v);
  if (f.kind === 'binary') return v ? f.trueLabel : f.falseLabel;
  return Array.isArray(v) ? v.join(', ') : String(v);
}

/** Radio answers for one lesion's field (nominal, ordinal, binary); numeric as a number input. */
export function LesionAnswerInput({
  name,
  field,
  value,
  onChange,
}: {
  name: string;
  field: Field;
  value: LesionAnswer | undefined;
  onChange: (v: LesionAnswer | undefined) => void;
}) {
  if (field.kind === 'numeric')
    return (
      <input
        type="number"
        aria-label={field.label}
        value={typeof value === 'number' ? value : ''}
        onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
        style={{ maxWidth: '7rem' }}
      />
    );
  if (field.kind === 'multi_label')
    return (
      <span className="options" role="group" aria-label={field.label}>
        {field.options.map((o) => (
          <label key={o.value} className="option">
            <input
              type="checkbox"
              checked={Array.isArray(value) && value.includes(o.value)}
              onChange={(e) => {
                const cur = Array.isArray(value) ? value : [];
                onChange(e.target.checked ? [...cur, o.value] : cur.filter((x) => x !== o.value));
              }}
            />
            <span>{o.label}</span>
          </label>
        ))}
      </span>
    );
  const opts =
    field.kind === 'binary'
      ? [
          { value: 'true', label: field.trueLabel },
          { value: 'false', label: field.falseLabel },
        ]
      : field.kind === 'ordinal'
        ? [...field.options, ...field.outsideScale]
        : field.options;
  return (
    <span className="options" role="radiogroup" aria-label={field.label} style={{ display: 'flex', flexWrap: 'wrap', gap: '0.25rem 0.75rem' }}>
      {opts.map((o) => (
        <label key={o.value} className="option" style={{ margin: 0 }}>
          <input type="radio" name={name} checked={String(value) === o.value} onChange={() => onChange(field.kind === 'binary' ? o.value === 'true' : o.value)} />
          <span>{o.label}</span>
        </label>
      ))}
    </span>
  );
}

function MarkItemEditor({
  item,
  itemKey,
  images,
  initial,
  error,
}: {
  item: MarkItem;
  itemKey: string;
  images: ReturnType<typeof markableImages>;
  initial: Lesion[];
  error?: string;
}) {
  const [lesions, setLesions] = useState<Lesion[]>(initial);
  const [tool, setTool] = useState<MarkKind | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [counter, setCounter] = useState(() => initial.length);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(document.activeElement)) return;
      const k = e.key.toLowerCase();
      if (TOOL_KEYS[k] && item.tools.includes(TOOL_KEYS[k]!)) {
        e.preventDefault();
        setTool(TOOL_KEYS[k]!);
      } else if (e.key === 'Escape') setTool(null);
      else if ((e.key === 'Delete' || e.key === 'Backspace') && selected) {
        e.preventDefault();
        setLesions((ls) => ls.filter((l) => l.id !== selected));
        setSelected(null);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [item.tools, selected]);

  const add = (image: { ref: string }) => (kind: MarkKind, points: [number, number][]) => {
    const id = `m${counter + 1}`;
    setCounter(counter + 1);
    setLesions((ls) => [...ls, { id, kind, image: { url: image.ref }, points, answers: {} }]);
    setSelected(id);
  };
  const labelOf = (l: Lesion) => `${lesions.indexOf(l) + 1}`;
  const errId = error ? `${fieldName(itemKey)}-err` : undefined;

  return (
    <fieldset className="finding-section marks-item" data-marks-item={itemKey} aria-describedby={errId}>
      <legend>{item.label}</legend>
      {item.help ? <div className="hint">{item.help}</div> : null}
      <input type="hidden" name={marksFieldName(itemKey)} value={JSON.stringify(lesions)} />
      <div className="row" role="toolbar" aria-label={`${item.label}: tools`} style={{ flexWrap: 'wrap', gap: '0.25rem' }}>
        {item.tools.map((t) => {
          const key = Object.entries(TOOL_KEYS).find(([, v]) => v === t)![0];
          return (
            <button key={t} type="button" className={tool === t ? '' : 'secondary'} aria-pressed={tool === t} onClick={() => setTool(tool === t ? null : t)}>
              {TOOL_LABEL[t]} <kbd aria-hidden="true">{key.toUpperCase()}</kbd>
            </button>
          );
        })}
        <span className="hint" aria-live="polite">
          {tool ? `Drawing: ${TOOL_LABEL[tool]} (Escape ends)` : 'Choose a tool to mark'}
        </span>
      </div>
      {images.length === 0 ? <p className="hint">This case has no web images to mark here; DICOM images are marked with the viewer's tools.</p> : null}
      <div className="marks-images" style={{ display: 'flex', gap: '0.5rem', flexWrap: 'wrap', margin: '0.5rem 0' }}>
        {images.map((im) => (
          <MarksStage
            key={im.index}
            src={im.v.url}
            alt={`image ${im.index + 1}`}
            tool={tool}
            onDraw={add(im)}
            onSelect={setSelected}
            marks={lesions
              .filter((l) => l.image.url === im.ref)
              .map((l) => ({ id: l.id, kind: l.kind, points: l.points, colour: OWN_COLOUR, label: labelOf(l), selected: l.id === selected }))}
          />
        ))}
      </div>
      {lesions.length === 0 ? <p className="muted">No lesion marked.</p> : null}
      <ol className="marks-list" aria-label={`${item.label}: your marks`}>
        {lesions.map((l) => (
          <li key={l.id} data-mark-row={l.id} className={l.id === selected ? 'selected' : undefined} style={l.id === selected ? { outline: `2px solid ${OWN_COLOUR}` } : undefined}>
            <div className="row">
              <button type="button" className="secondary" aria-pressed={l.id === selected} onClick={() => setSelected(l.id)} onFocus={() => setSelected(l.id)}>
                Mark {labelOf(l)}: {TOOL_LABEL[l.kind]} on image {images.findIndex((im) => im.ref === l.image.url) + 1}
              </button>
              <button
                type="button"
                className="secondary"
                aria-label={`Delete mark ${labelOf(l)}`}
                onClick={() => {
                  setLesions((ls) => ls.filter((x) => x.id !== l.id));
                  setSelected(null);
                }}
              >
                Delete
              </button>
            </div>
            {item.fields.map((f) => (
              <div key={f.key} className="form-item" style={{ margin: '0.25rem 0 0.25rem 1rem' }}>
                <span className="hint">{f.label}</span>{' '}
                <LesionAnswerInput
                  name={`lesion-${itemKey}-${l.id}-${f.key}`}
                  field={f}
                  value={l.answers[f.key]}
                  onChange={(v) =>
                    setLesions((ls) =>
                      ls.map((x) => {
                        if (x.id !== l.id) return x;
                        const answers = { ...x.answers };
                        if (v === undefined) delete answers[f.key];
                        else answers[f.key] = v;
                        return { ...x, answers };
                      }),
                    )
                  }
                />
              </div>
            ))}
          </li>
        ))}
      </ol>
      {error ? (
        <div className="field-error" id={errId} role="alert">
          {error}
        </div>
      ) : null}
    </fieldset>
  );
}

/** Every marks item of the form (or only the given ones), as editors. */
export function MarksFields({
  form,
  images,
  caseUrl,
  values,
  errors,
}: {
  form: ReaderForm;
  images: string[];
  caseUrl: string;
  values?: Record<string, unknown> | null;
  errors?: Record<string, string[]> | null;
}) {
  const markable = useMemo(() => markableImages(images, caseUrl), [images, caseUrl]);
  return (
    <>
      {markItems(form).map((m) => (
        <MarkItemEditor
          key={m.key}
          item={m.item}
          itemKey={m.key}
          images={markable}
          initial={Array.isArray(values?.[m.key]) ? (values![m.key] as Lesion[]) : []}
          error={errors?.[fieldName(m.key)]?.join(' ')}
        />
      ))}
    </>
  );
}

/** A saved read's lesions, listed (the reader's own read only). */
export function MarksSummary({ form, values }: { form: ReaderForm; values: Record<string, unknown> | null }) {
  if (!values) return null;
  return (
    <>
      {markItems(form).map((m) => {
        const ls = Array.isArray(values[m.key]) ? (values[m.key] as Lesion[]) : [];
        return (
          <div key={m.key} className="marks-summary">
            <strong>{m.item.label}</strong>
            {ls.length ? (
              <ol>
                {ls.map((l) => (
                  <li key={l.id}>{lesionText(l, m.item)}</li>
                ))}
              </ol>
            ) : (
              <span className="muted"> none marked</span>
            )}
          </div>
        );
      })}
    </>
  );
}
