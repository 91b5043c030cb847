/**
 * Adjudication by location: every reader's marks overlaid in the case's Cornerstone viewer, one
 * colour per reader (identities masked as on the rest of the page), matched into lesions L1, L2, …
 * by the same matcher as the case machine; each lesion is named once on the images, beside its
 * first reader's mark, so the marks of one lesion do not stack their labels. Per lesion the
 * adjudicator keeps one reader's mark, merges the matched marks, or rejects it, and may draw new
 * lesions in the viewer (P B E G, as readers do); each decided lesion carries its provenance (the
 * marks it came from, the action, a note). The decided lesions travel in the marks item's hidden
 * input, answered as the disputed item when deciding by "enter the values".
 */
import { useCallback, useMemo, useRef, useState } from 'react';
import type { MarkItem, MarkMatchRule, ReaderForm } from '../../workflows/definition.ts';
import { markItems } from '../../workflows/form-items.ts';
import { isLesionList } from '../../workflows/marks-refs.ts';
import { matchMarks, mergedPoints, type Cluster } from '../../workflows/marks-match.ts';
import type { Lesion, LesionSource, MarkKind } from '../../workflows/marks.ts';
import type { Mark, MarkLayer, MarksOptions } from '../../viewer/marks-types.ts';
import type { ViewerApi } from './image-viewer.tsx';
import { answersText, LesionAnswerInput, TOOL_KEY, TOOL_LABEL } from './marks-editor.tsx';
import { marksFieldName } from './marks-values.ts';
import { imageNames, lesionToMark, markToLesion, OWN_COLOUR, READER_COLOURS } from './marks-viewer.ts';

export { READER_COLOURS };

type ReadShown = { id: string; label: string; values: Record<string, unknown> | null };
type Choice = { action: 'keep' | 'merge' | 'reject' | 'agreed'; readId?: string; answers: Lesion['answers']; note: string };
/** A lesion the adjudicator drew: `markId` is the viewer's, `lesion.id` its name N1, N2, … */
type Added = { markId: string; item: string; lesion: Lesion };

function lesionsOf(v: unknown): Lesion[] {
  return isLesionList(v) ? v : [];
}

function decided(c: Cluster, ch: Choice | undefined): Lesion | null {
  if (!ch || ch.action === 'reject') return null;
  const marks = c.members.map((m) => `${m.readId}:${m.lesion.id}`);
  const base = ch.action === 'keep' ? c.members.find((m) => m.readId === ch.readId)?.lesion : c.members[0]!.lesion;
  if (!base) return null;
  const points = ch.action === 'keep' ? base.points : mergedPoints(c.members.map((m) => m.lesion));
  const source: LesionSource = {
    marks: ch.action === 'keep' ? [`${ch.readId}:${base.id}`] : marks,
    action: ch.action,
    ...(ch.note.trim() ? { note: ch.note.trim() } : {}),
  };
  return { id: c.label, kind: base.kind, image: base.image, points, answers: ch.answers, ...(base.spacing ? { spacing: base.spacing } : {}), source };
}

/**
 * The overlay and the adjudicator's own drawing for every marks item: readers' marks as locked
 * layers (one per masked reader), the adjudicator's new lesions as the viewer's own marks.
 */
export function useAdjudicationMarks({
  form,
  markRules,
  reads,
  images,
  caseUrl,
  viewer,
}: {
  form: ReaderForm;
  /** Every marks item's match rule, defaults filled in on the server (the schema stays out of the bundle). */
  markRules: Record<string, MarkMatchRule>;
  reads: ReadShown[];
  images: string[];
  caseUrl: string;
  viewer: React.MutableRefObject<ViewerApi | null>;
}) {
  const items = useMemo(() => markItems(form), [form]);
  const names = useMemo(() => imageNames(images, caseUrl), [images, caseUrl]);
  const counted = useMemo(() => reads.filter((r) => r.values !== null), [reads]);
  const colourOf = useMemo(() => new Map(counted.map((r, i) => [r.id, READER_COLOURS[i % READER_COLOURS.length]!])), [counted]);
  const clusters = useMemo(
    () =>
      new Map(
        items.map((m) => [
          m.key,
          matchMarks(
            counted.map((r) => ({ readId: r.id, lesions: lesionsOf(r.values![m.key]) })),
            markRules[m.item.key]!,
          ),
        ]),
      ),
    [items, counted, markRules],
  );
  const layers = useMemo<MarkLayer[]>(
    () =>
      counted.map((r) => ({
        key: r.id,
        label: r.label,
        colour: colourOf.get(r.id)!,
        marks: items.flatMap((m) =>
          clusters
            .get(m.key)!
            .flatMap((c) =>
              c.members
                .filter((x) => x.readId === r.id)
                .map((x) =>
                  lesionToMark(
                    { ...x.lesion, id: `${m.key}-${c.label}-${x.lesion.id}` },
                    names,
                    c.members[0]!.readId === r.id ? `${items.length > 1 ? `${m.item.label} ` : ''}${c.label}` : undefined,
                  ),
                ),
            ),
        ),
      })),
    [counted, colourOf, items, clusters, names],
  );
  const [added, setAdded] = useState<Added[]>([]);
  const [tool, setTool] = useState<MarkKind | null>(null);
  const [active, setActive] = useState(items[0]?.key ?? '');
  const activeRef = useRef(active);
  activeRef.current = active;
  const counter = useRef(0);
  const onChange = useCallback(
    (marks: Mark[]) =>
      setAdded((cur) => {
        const byId = new Map(cur.map((a) => [a.markId, a]));
        return marks.map((m) => {
          const was = byId.get(m.id);
          const item =
            was?.item ?? (items.find((i) => i.key === activeRef.current && i.item.tools.includes(m.kind)) ?? items.find((i) => i.item.tools.includes(m.kind)) ?? items[0]!).key;
          const id = was?.lesion.id ?? `N${++counter.current}`;
          return { markId: m.id, item, lesion: { ...markToLesion(m, names, was?.lesion.answers ?? {}), id, source: { marks: [], action: 'new' } } };
        });
      }),
    [items, names],
  );
  const tools = useMemo(() => [...new Set(items.flatMap((i) => i.item.tools))], [items]);
  const viewerMarks: MarksOptions | undefined = items.length
    ? { editable: true, tools, layers, marks: added.map((a) => ({ ...lesionToMark(a.lesion, names), id: a.markId })), onChange, onTool: setTool }
    : undefined;
  const api = {
    items,
    counted,
    colourOf,
    clusters,
    added,
    tool,
    active,
    chooseTool: (item: string, t: MarkKind | null) => {
      setActive(item);
      viewer.current?.setTool(t);
    },
    answerAdded: (markId: string, key: string, v: Lesion['answers'][string] | undefined) =>
      setAdded((cur) => cur.map((a) => (a.markId === markId ? { ...a, lesion: { ...a.lesion, answers: { ...a.lesion.answers, ...(v === undefined ? {} : { [key]: v }) } } } : a))),
    removeAdded: (markId: string) => {
      const rest = added.filter((a) => a.markId !== markId);
      setAdded(rest);
      viewer.current?.setMarks(rest.map((a) => ({ ...lesionToMark(a.lesion, names), id: a.markId })));
    },
  };
  return { viewerMarks, api };
}

export type AdjudicationMarks = ReturnType<typeof useAdjudicationMarks>['api'];

function ItemAdjudication({
  item,
  itemKey,
  marks,
  reads,
  disputes,
}: {
  item: MarkItem;
  itemKey: string;
  marks: AdjudicationMarks;
  reads: ReadShown[];
  disputes: { item: string; label?: string; reason: string }[];
}) {
  const { counted, colourOf } = marks;
  const clusters = marks.clusters.get(itemKey)!;
  const disputeOf = new Map(disputes.filter((d) => d.item === itemKey && d.label).map((d) => [d.label!, d.reason]));
  const [choices, setChoices] = useState<Record<string, Choice>>(() => {
    const out: Record<string, Choice> = {};
    for (const c of clusters) if (!disputeOf.has(c.label)) out[c.label] = { action: 'agreed', answers: { ...c.members[0]!.lesion.answers }, note: '' };
    return out;
  });
  const added = marks.added.filter((a) => a.item === itemKey);
  const blankChoice: Choice = { action: 'reject', answers: {}, note: '' };
  const set = (label: string, ch: Partial<Choice>) => setChoices((cur) => ({ ...cur, [label]: { ...blankChoice, ...cur[label], ...ch } }));
  const labelOf = (readId: string) => reads.find((r) => r.id === readId)!.label;

  const lesions = [...clusters.map((c) => decided(c, choices[c.label])).filter((l): l is Lesion => l !== null), ...added.map((a) => a.lesion)];
  const undecided = clusters.filter((c) => !choices[c.label]).map((c) => c.label);

  return (
    <fieldset className="finding-section marks-adjudication" data-marks-item={itemKey}>
      <legend>{item.label}: lesions by location</legend>
      <input type="hidden" name={marksFieldName(itemKey)} value={JSON.stringify(lesions)} />
      <ul className="row" aria-label="Readers' colours" style={{ listStyle: 'none', padding: 0, gap: '1rem' }}>
        {counted.map((r) => (
          <li key={r.id}>
            <span aria-hidden="true" style={{ display: 'inline-block', width: 12, height: 12, background: colourOf.get(r.id), marginRight: 4 }} />
            {r.label}
          </li>
        ))}
        <li>
          <span aria-hidden="true" style={{ display: 'inline-block', width: 12, height: 12, background: OWN_COLOUR, marginRight: 4 }} />
          your new marks
        </li>
      </ul>
      <table className="marks-decisions">
        <thead>
          <tr>
            <th>Lesion</th>
            <th>Matching</th>
            <th>Decision</th>
          </tr>
        </thead>
        <tbody>
          {clusters.map((c) => {
            const ch = choices[c.label];
            const name = `lesion-decision-${itemKey}-${c.label}`;
            return (
              <tr key={c.label} data-lesion={c.label} className={disputeOf.has(c.label) ? 'disputed' : undefined}>
                <th scope="row">{c.label}</th>
                <td>
                  {c.members.map((m) => (
                    <div key={m.readId}>
                      <span style={{ color: colourOf.get(m.readId) }}>■</span> {labelOf(m.readId)}: {TOOL_LABEL[m.lesion.kind].toLowerCase()} —{' '}
                      {answersText(item, m.lesion.answers) || 'no answers'}
                    </div>
                  ))}
                  <div className="hint">{disputeOf.get(c.label) ?? 'agreed by all readers'}</div>
                </td>
                <td>
                  <div role="radiogroup" aria-label={`Decision on ${c.label}`}>
                    {!disputeOf.has(c.label) ? (
                      <label className="option">
                        <input
                          type="radio"
                          name={name}
                          checked={ch?.action === 'agreed'}
                          onChange={() => set(c.label, { action: 'agreed', answers: { ...c.members[0]!.lesion.answers } })}
                        />
                        <span>Keep (agreed)</span>
                      </label>
                    ) : null}
                    {c.members.map((m) => {
                      const who = labelOf(m.readId);
                      return (
                        <label key={m.readId} className="option">
                          <input
                            type="radio"
                            name={name}
                            checked={ch?.action === 'keep' && ch.readId === m.readId}
                            onChange={() => set(c.label, { action: 'keep', readId: m.readId, answers: { ...m.lesion.answers } })}
                          />
                          <span>Keep {who}'s mark</span>
                        </label>
                      );
                    })}
                    {c.members.length > 1 ? (
                      <label className="option">
                        <input
                          type="radio"
                          name={name}
                          checked={ch?.action === 'merge'}
                          onChange={() => set(c.label, { action: 'merge', answers: { ...c.members[0]!.lesion.answers } })}
                        />
                        <span>Merge the marks</span>
                      </label>
                    ) : null}
                    <label className="option">
                      <input type="radio" name={name} checked={ch?.action === 'reject'} onChange={() => set(c.label, { action: 'reject', answers: {} })} />
                      <span>Reject: not a lesion</span>
                    </label>
                  </div>
                  {ch && ch.action !== 'reject'
                    ? item.fields.map((f) => (
                        <div key={f.key}>
                          <span className="hint">{f.label}</span>{' '}
                          <LesionAnswerInput
                            name={`${name}-${f.key}`}
                            field={f}
                            value={ch.answers[f.key]}
                            onChange={(v) => set(c.label, { answers: { ...ch.answers, ...(v === undefined ? {} : { [f.key]: v }) } })}
                          />
                        </div>
                      ))
                    : null}
                  {ch ? (
                    <label className="hint">
                      Why (optional) <input type="text" aria-label={`Why, on ${c.label}`} value={ch.note} onChange={(e) => set(c.label, { note: e.target.value })} />
                    </label>
                  ) : null}
                </td>
              </tr>
            );
          })}
          {added.map(({ markId, lesion: l }) => (
            <tr key={markId} data-lesion={l.id}>
              <th scope="row">{l.id}</th>
              <td>new {TOOL_LABEL[l.kind].toLowerCase()} drawn by you</td>
              <td>
                {item.fields.map((f) => (
                  <div key={f.key}>
                    <span className="hint">{f.label}</span>{' '}
                    <LesionAnswerInput name={`new-${itemKey}-${l.id}-${f.key}`} field={f} value={l.answers[f.key]} onChange={(v) => marks.answerAdded(markId, f.key, v)} />
                  </div>
                ))}
                <button type="button" className="secondary" onClick={() => marks.removeAdded(markId)}>
                  Remove {l.id}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row" role="toolbar" aria-label="Draw a new lesion">
        {item.tools.map((t) => {
          const on = marks.tool === t && marks.active === itemKey;
          return (
            <button
              key={t}
              type="button"
              className={on ? '' : 'secondary'}
              aria-pressed={on}
              aria-keyshortcuts={TOOL_KEY[t].toLowerCase()}
              onClick={() => marks.chooseTool(itemKey, on ? null : t)}
            >
              New {TOOL_LABEL[t].toLowerCase()} <kbd aria-hidden="true">{TOOL_KEY[t]}</kbd>
            </button>
          );
        })}
        <span className="hint" aria-live="polite">
          {marks.tool ? `Drawing on the images: ${TOOL_LABEL[marks.tool]} (Escape ends)` : 'Draw a lesion the readers missed'}
        </span>
      </div>
      {undecided.length ? (
        <p className="field-error" role="status">
          Still to decide: {undecided.join(', ')}
        </p>
      ) : null}
    </fieldset>
  );
}

/** The adjudicator's view of every marks item of the form (the overlay is in the page's viewer). */
export function MarksAdjudication({ marks, reads, disputes }: { marks: AdjudicationMarks; reads: ReadShown[]; disputes: { item: string; label?: string; reason: string }[] }) {
  return (
    <>
      {marks.items.map((m) => (
        <ItemAdjudication key={m.key} item={m.item} itemKey={m.key} marks={marks} reads={reads} disputes={disputes} />
      ))}
    </>
  );
}
