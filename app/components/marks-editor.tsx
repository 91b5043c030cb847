/**
 * The reader's marks items. Marks are drawn in the case's Cornerstone viewer (the ImageViewer's
 * `marks` prop, viewer/marks.ts) on every image kind, DICOM included; this form lists them with
 * each lesion's own answers. Keys (the viewer's, never inside a text field): P point, B box,
 * E ellipse, G outline, Escape ends the tool, Delete removes the selected mark. A mark is selected
 * by clicking it or its row in the list. The lesions travel in one hidden input per item.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Field, MarkItem, ReaderForm } from '../../workflows/definition.ts';
import { markItems } from '../../workflows/form-items.ts';
import type { Lesion, LesionAnswer, MarkKind } from '../../workflows/marks.ts';
import type { Mark, MarkLayer, MarksOptions } from '../../viewer/marks-types.ts';
import { fieldName } from '~/lib/reader-form.ts';
import type { ViewerApi } from './image-viewer.tsx';
import { marksFieldName } from './marks-values.ts';
import { imageLabel, imageNames, importedLayer, lesionToMark, markToLesion, OWN_COLOUR, useImageViews } from './marks-viewer.ts';

export const TOOL_KEY: Record<MarkKind, string> = { point: 'P', box: 'B', ellipse: 'E', polygon: 'G' };
export const TOOL_LABEL: Record<MarkKind, string> = { point: 'Point', box: 'Box', ellipse: 'Ellipse', polygon: 'Outline' };

/** A lesion's answers in the form's words, e.g. "Type: Mass, BI-RADS: BI-RADS 4". */
export function answersText(item: MarkItem, answers: Lesion['answers']): string {
  return item.fields.map((f) => `${f.label}: ${describe(f, answers[f.key])}`).join(', ');
}

export function lesionText(l: Lesion, item: MarkItem): string {
  const [x, y] = l.points[0]!;
  const answers = answersText(item, l.answers);
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

/** A lesion of the read; `markId` names its annotation in the viewer, `lesion.id` is m1, m2, … */
type Owned = { markId: string; lesion: Lesion; item: string };

/**
 * The reader's lesions of every marks item, drawn in the viewer. New marks go to the chosen item
 * (the first that allows the tool); `reset` changes when the page starts a fresh read. Lesions
 * get short ids of their own (the viewer's are UUIDs) so that "read:mark" provenance stays short.
 */
export function useReaderMarks({
  form,
  images,
  caseUrl,
  values,
  editable,
  viewer,
  reset,
  layers: given,
  imported,
}: {
  form: ReaderForm;
  images: string[];
  caseUrl: string;
  values: Record<string, unknown> | null | undefined;
  editable: boolean;
  viewer: React.MutableRefObject<ViewerApi | null>;
  reset: string;
  /** Locked overlays beside the reader's own marks, e.g. an AI model's detections in an aided arm (`importedLayer`). */
  layers?: MarkLayer[];
  /** Imported marks shown locked, one layer per source (an aided arm's AI detections). */
  imported?: { source: string; lesions: Lesion[] }[];
}) {
  const items = useMemo(() => markItems(form), [form]);
  const names = useMemo(() => imageNames(images, caseUrl), [images, caseUrl]);
  const layers = useMemo(() => [...(given ?? []), ...(imported ?? []).map((m) => importedLayer({ ...m, names }))], [given, imported, names]);
  const views = useImageViews(images, caseUrl);
  const fromValues = useCallback(
    (): Owned[] => items.flatMap((m) => (Array.isArray(values?.[m.key]) ? (values![m.key] as Lesion[]).map((lesion) => ({ markId: lesion.id, lesion, item: m.key })) : [])),
    [items, values],
  );
  const [owned, setOwned] = useState<Owned[]>(fromValues);
  const [active, setActive] = useState(items[0]?.key ?? '');
  const [tool, setTool] = useState<MarkKind | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const activeRef = useRef(active);
  activeRef.current = active;
  // A fresh read (another case, amending, cancelling) starts from the values given.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `reset` stands for a new page state
  useEffect(() => {
    setOwned(fromValues());
    setSelected(null);
    setTool(null);
  }, [reset]);

  const onChange = useCallback(
    (marks: Mark[]) =>
      setOwned((cur) => {
        const byId = new Map(cur.map((o) => [o.markId, o]));
        let next = Math.max(0, ...cur.map((o) => Number(/^m(\d+)$/.exec(o.lesion.id)?.[1] ?? 0)));
        return marks.map((m) => {
          const was = byId.get(m.id);
          if (was) return { ...was, lesion: { ...markToLesion(m, names, was.lesion.answers), id: was.lesion.id } };
          const pick = items.find((i) => i.key === activeRef.current && i.item.tools.includes(m.kind)) ?? items.find((i) => i.item.tools.includes(m.kind)) ?? items[0]!;
          return { markId: m.id, item: pick.key, lesion: { ...markToLesion(m, names, {}), id: `m${++next}` } };
        });
      }),
    [items, names],
  );
  const toMarks = (list: Owned[]) => list.map((o) => ({ ...lesionToMark(o.lesion, names), id: o.markId }));
  const tools = useMemo(() => [...new Set(items.flatMap((i) => i.item.tools))], [items]);
  // A form without marks items still shows imported layers (read-only, no tools).
  const viewerMarks: MarksOptions | undefined =
    items.length || layers.length
      ? { editable: editable && items.length > 0, tools, marks: toMarks(owned), ...(layers.length ? { layers } : {}), onChange, onSelect: setSelected, onTool: setTool }
      : undefined;

  const api = {
    items,
    owned,
    active,
    setActive,
    tool,
    selected,
    names,
    views,
    chooseTool: (t: MarkKind | null) => viewer.current?.setTool(t),
    select: (markId: string) => {
      setSelected(markId);
      viewer.current?.selectMark(markId);
    },
    remove: (markId: string) => {
      const rest = owned.filter((o) => o.markId !== markId);
      setOwned(rest);
      setSelected(null);
      viewer.current?.setMarks(toMarks(rest));
    },
    answer: (markId: string, key: string, v: LesionAnswer | undefined) =>
      setOwned((cur) =>
        cur.map((o) => {
          if (o.markId !== markId) return o;
          const answers = { ...o.lesion.answers };
          if (v === undefined) delete answers[key];
          else answers[key] = v;
          return { ...o, lesion: { ...o.lesion, answers } };
        }),
      ),
  };
  return { viewerMarks, api };
}

export type ReaderMarks = ReturnType<typeof useReaderMarks>['api'];

function MarkItemEditor({ item, itemKey, marks, error, several }: { item: MarkItem; itemKey: string; marks: ReaderMarks; error?: string; several: boolean }) {
  const mine = marks.owned.filter((o) => o.item === itemKey);
  const number = (markId: string) => marks.owned.findIndex((o) => o.markId === markId) + 1;
  const errId = error ? `${fieldName(itemKey)}-err` : undefined;
  const isActive = marks.active === itemKey;
  const imageOf = (l: Lesion) => imageLabel(l.image, marks.names, marks.views);

  return (
    <fieldset className="finding-section marks-item" data-marks-item={itemKey} aria-describedby={errId}>
      <legend>{item.label}</legend>
      {item.help ? <div className="hint">{item.help}</div> : null}
      <input type="hidden" name={marksFieldName(itemKey)} value={JSON.stringify(mine.map((o) => o.lesion))} />
      {several ? (
        <label className="option">
          <input type="radio" name="marks-active-item" checked={isActive} onChange={() => marks.setActive(itemKey)} />
          <span>New marks go here</span>
        </label>
      ) : null}
      <div className="row" role="toolbar" aria-label={`${item.label}: tools`} style={{ flexWrap: 'wrap', gap: '0.25rem' }}>
        {item.tools.map((t) => (
          <button
            key={t}
            type="button"
            className={marks.tool === t ? '' : 'secondary'}
            aria-pressed={marks.tool === t}
            aria-keyshortcuts={TOOL_KEY[t].toLowerCase()}
            onClick={() => {
              marks.setActive(itemKey);
              marks.chooseTool(marks.tool === t ? null : t);
            }}
          >
            {TOOL_LABEL[t]} <kbd aria-hidden="true">{TOOL_KEY[t]}</kbd>
          </button>
        ))}
        <span className="hint" aria-live="polite">
          {marks.tool ? `Drawing on the images: ${TOOL_LABEL[marks.tool]} (Escape ends)` : 'Choose a tool, then draw on the images'}
        </span>
      </div>
      {mine.length === 0 ? <p className="muted">No lesion marked.</p> : null}
      <ol className="marks-list" aria-label={`${item.label}: your marks`}>
        {mine.map(({ markId, lesion: l }) => {
          const sel = markId === marks.selected;
          return (
            <li
              key={markId}
              data-mark-row={number(markId)}
              data-mark-id={l.id}
              className={sel ? 'selected' : undefined}
              style={sel ? { outline: `2px solid ${OWN_COLOUR}` } : undefined}
            >
              <div className="row">
                <button type="button" className="secondary" aria-pressed={sel} onClick={() => marks.select(markId)}>
                  Mark {number(markId)}: {TOOL_LABEL[l.kind]} on {imageOf(l)}
                </button>
                <button type="button" className="secondary" aria-label={`Delete mark ${number(markId)}`} onClick={() => marks.remove(markId)}>
                  Delete
                </button>
              </div>
              {item.fields.map((f) => (
                <div key={f.key} className="form-item" style={{ margin: '0.25rem 0 0.25rem 1rem' }}>
                  <span className="hint">{f.label}</span>{' '}
                  <LesionAnswerInput name={`lesion-${itemKey}-${l.id}-${f.key}`} field={f} value={l.answers[f.key]} onChange={(v) => marks.answer(markId, f.key, v)} />
                </div>
              ))}
            </li>
          );
        })}
      </ol>
      {error ? (
        <div className="field-error" id={errId} role="alert">
          {error}
        </div>
      ) : null}
    </fieldset>
  );
}

/** Every marks item of the form, as lists of the lesions drawn in the viewer. */
export function MarksFields({ marks, errors }: { marks: ReaderMarks; errors?: Record<string, string[]> | null }) {
  return (
    <>
      {marks.items.map((m) => (
        <MarkItemEditor key={m.key} item={m.item} itemKey={m.key} marks={marks} several={marks.items.length > 1} error={errors?.[fieldName(m.key)]?.join(' ')} />
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
