/**
 * Adjudication by location: every reader's marks overlaid on the images, one
 * colour per reader (identities masked as on the rest of the page), matched into lesions L1, L2, …
 * by the same matcher as the case machine. Per lesion the adjudicator keeps one reader's mark,
 * merges the matched marks, or rejects it, and may draw new lesions; each decided lesion carries
 * its provenance (the marks it came from, the action, a note). The decided lesions travel in the
 * marks item's hidden input, answered as the disputed item when deciding by "enter the values".
 */
import { useMemo, useState } from 'react';
import { markItems, markMatchRuleSchema, type MarkItem, type MarkMatchRule, type ReaderForm } from '../../workflows/definition.ts';
import { lesionsOf } from '../../workflows/marks-agreement.ts';
import { matchMarks, mergedPoints, type Cluster } from '../../workflows/marks-match.ts';
import type { Lesion, LesionSource, MarkKind } from '../../workflows/marks.ts';
import { LesionAnswerInput, markableImages, OWN_COLOUR } from './marks-editor.tsx';
import { MarksStage, type StageMark } from './marks-stage.tsx';
import { marksFieldName } from './marks-values.ts';

export const READER_COLOURS = ['#00e5ff', '#ff4fd8', '#7cfc00', '#ff8c00', '#b388ff', '#ff5252'];

type ReadShown = { id: string; label: string; values: Record<string, unknown> | null };
type Choice = { action: 'keep' | 'merge' | 'reject' | 'agreed'; readId?: string; answers: Lesion['answers']; note: string };

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

function ItemAdjudication({
  item,
  itemKey,
  rule,
  reads,
  disputes,
  images,
}: {
  item: MarkItem;
  itemKey: string;
  rule: MarkMatchRule;
  reads: ReadShown[];
  disputes: { item: string; label?: string; reason: string }[];
  images: ReturnType<typeof markableImages>;
}) {
  const counted = reads.filter((r) => r.values !== null);
  const colourOf = new Map(counted.map((r, i) => [r.id, READER_COLOURS[i % READER_COLOURS.length]!]));
  const clusters = useMemo(
    () =>
      matchMarks(
        reads.filter((r) => r.values !== null).map((r) => ({ readId: r.id, lesions: lesionsOf(r.values![itemKey] as never) })),
        rule,
      ),
    [reads, itemKey, rule],
  );
  const disputeOf = new Map(disputes.filter((d) => d.item === itemKey && d.label).map((d) => [d.label!, d.reason]));
  const [choices, setChoices] = useState<Record<string, Choice>>(() => {
    const out: Record<string, Choice> = {};
    for (const c of clusters) if (!disputeOf.has(c.label)) out[c.label] = { action: 'agreed', answers: { ...c.members[0]!.lesion.answers }, note: '' };
    return out;
  });
  const [added, setAdded] = useState<Lesion[]>([]);
  const [tool, setTool] = useState<MarkKind | null>(null);
  const blankChoice: Choice = { action: 'reject', answers: {}, note: '' };
  const set = (label: string, ch: Partial<Choice>) => setChoices((cur) => ({ ...cur, [label]: { ...blankChoice, ...cur[label], ...ch } }));

  const lesions = [...clusters.map((c) => decided(c, choices[c.label])).filter((l): l is Lesion => l !== null), ...added];
  const undecided = clusters.filter((c) => !choices[c.label]).map((c) => c.label);

  const overlay = (ref: string): StageMark[] => [
    ...clusters.flatMap((c) =>
      c.members
        .filter((m) => m.lesion.image.url === ref)
        .map((m) => ({
          id: `${c.label}-${m.readId}`,
          kind: m.lesion.kind,
          points: m.lesion.points,
          colour: colourOf.get(m.readId)!,
          label: `${c.label}·${counted.find((r) => r.id === m.readId)!.label.replace('Reader ', '')}`,
          dashed: disputeOf.has(c.label),
        })),
    ),
    ...added.filter((l) => l.image.url === ref).map((l) => ({ id: l.id, kind: l.kind, points: l.points, colour: OWN_COLOUR, label: l.id })),
  ];

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
      <div className="marks-images" style={{ display: 'flex', gap: '0.5rem', flexWrap: 'wrap' }}>
        {images.map((im) => (
          <MarksStage
            key={im.index}
            src={im.v.url}
            alt={`image ${im.index + 1}`}
            tool={tool}
            marks={overlay(im.ref)}
            onDraw={(kind, points) => {
              setAdded((a) => [...a, { id: `N${a.length + 1}`, kind, image: { url: im.ref }, points, answers: {}, source: { marks: [], action: 'new' } }]);
              setTool(null);
            }}
          />
        ))}
      </div>
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
                      <span style={{ color: colourOf.get(m.readId) }}>■</span> {counted.find((r) => r.id === m.readId)!.label}: {m.lesion.kind} {JSON.stringify(m.lesion.answers)}
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
                      const who = counted.find((r) => r.id === m.readId)!.label;
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
          {added.map((l) => (
            <tr key={l.id} data-lesion={l.id}>
              <th scope="row">{l.id}</th>
              <td>new {l.kind} drawn by you</td>
              <td>
                {item.fields.map((f) => (
                  <div key={f.key}>
                    <span className="hint">{f.label}</span>{' '}
                    <LesionAnswerInput
                      name={`new-${itemKey}-${l.id}-${f.key}`}
                      field={f}
                      value={l.answers[f.key]}
                      onChange={(v) => setAdded((a) => a.map((x) => (x.id === l.id ? { ...x, answers: { ...x.answers, ...(v === undefined ? {} : { [f.key]: v }) } } : x)))}
                    />
                  </div>
                ))}
                <button type="button" className="secondary" onClick={() => setAdded((a) => a.filter((x) => x.id !== l.id))}>
                  Remove {l.id}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row" role="toolbar" aria-label="Draw a new lesion">
        {item.tools.map((t) => (
          <button key={t} type="button" className={tool === t ? '' : 'secondary'} aria-pressed={tool === t} onClick={() => setTool(tool === t ? null : t)}>
            New {t}
          </button>
        ))}
      </div>
      {undecided.length ? (
        <p className="field-error" role="status">
          Still to decide: {undecided.join(', ')}
        </p>
      ) : null}
    </fieldset>
  );
}

/** The adjudicator's view of every marks item of the form. */
export function MarksAdjudication({
  form,
  markRules,
  reads,
  disputes,
  images,
  caseUrl,
}: {
  form: ReaderForm;
  markRules?: Record<string, MarkMatchRule>;
  reads: ReadShown[];
  disputes: { item: string; label?: string; reason: string }[];
  images: string[];
  caseUrl: string;
}) {
  const markable = useMemo(() => markableImages(images, caseUrl), [images, caseUrl]);
  return (
    <>
      {markItems(form).map((m) => (
        <ItemAdjudication
          key={m.key}
          item={m.item}
          itemKey={m.key}
          rule={markRules?.[m.item.key] ?? markMatchRuleSchema.parse({})}
          reads={reads}
          disputes={disputes}
          images={markable}
        />
      ))}
    </>
  );
}
