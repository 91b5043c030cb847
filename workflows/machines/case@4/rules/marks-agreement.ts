/**
 * Agreement by location (case@4): the marks of a marks item are matched across
 * the counted reads (workflows/marks-match.ts); each matched lesion is agreed when every reader
 * marked it and their answers agree under the fields' rules. A lesion marked by some readers only
 * ("location") or answered differently ("location_answers") is a dispute for the adjudicator, one
 * per lesion (the dispute's `label` is the lesion, L1, L2, …). After extra readers (2+1) a lesion
 * marked by a strict majority is kept and one marked by a strict minority dropped.
 */
import { evaluateAnswers, evaluateReads, mode, ruleFor, type CountedRead, type Dispute, type EvaluateOptions, type Evaluation, type ItemMethod } from './agreement-rules.ts';
import { markItems, markRuleFor, type Answer, type MarkItem, type ReaderForm, type TruthPolicy } from './definition.ts';
import { isLesionList, type Lesion, type LesionAnswer } from './marks.ts';
import { matchMarks, mergedPoints, type Cluster } from './marks-match.ts';

export type MarkItemEvaluation = { consensus: Lesion[]; disputes: Dispute[]; method: ItemMethod };

function describe(a: LesionAnswer | null): string {
  return a === null ? '(blank)' : Array.isArray(a) ? `[${a.join(', ')}]` : String(a);
}

function where(c: Cluster): string {
  const l = c.members[0]!.lesion;
  const [x, y] = l.points[0]!;
  return `${l.kind} at (${Math.round(x)}, ${Math.round(y)})`;
}

export function lesionsOf(v: Answer | undefined): Lesion[] {
  return isLesionList(v) ? v : [];
}

export function evaluateMarkItem(
  key: string,
  item: MarkItem,
  policy: TruthPolicy,
  reads: { id: string; lesions: Lesion[] }[],
  opts: { majorityFallback?: boolean } = {},
): MarkItemEvaluation {
  const n = reads.length;
  const clusters = matchMarks(
    reads.map((r) => ({ readId: r.id, lesions: r.lesions })),
    markRuleFor(policy, item),
  );
  const consensus: Lesion[] = [];
  const disputes: Dispute[] = [];
  let usedMajority = false;
  for (const c of clusters) {
    const count = c.members.length;
    let members = c.members;
    if (count < n) {
      if (opts.majorityFallback && count * 2 < n) {
        usedMajority = true;
        continue; // a strict minority marked it: not a lesion
      }
      if (!(opts.majorityFallback && count * 2 > n)) {
        disputes.push({ item: key, label: c.label, rule: 'location', reason: `${c.label}: ${where(c)} marked by ${count} of ${n} readers` });
        continue;
      }
      usedMajority = true;
    }
    members = c.members;
    const answers: Record<string, LesionAnswer> = {};
    const problems: string[] = [];
    let force = false;
    for (const f of item.fields) {
      const given = members.map((m) => (m.lesion.answers[f.key] === undefined ? null : m.lesion.answers[f.key]!));
      const out = evaluateAnswers(f, ruleFor(policy, f), given);
      if (out.ok) {
        if (out.value !== null) answers[f.key] = out.value as LesionAnswer;
        continue;
      }
      if (opts.majorityFallback && !out.force) {
        const m = mode(given);
        if (m.count * 2 > given.length) {
          usedMajority = true;
          if (m.value !== null) answers[f.key] = m.value as LesionAnswer;
          continue;
        }
      }
      if (out.force) force = true;
      problems.push(`${f.label}: ${[...new Set(given.map(describe))].join(' vs ')}`);
    }
    if (problems.length) {
      disputes.push({
        item: key,
        label: c.label,
        rule: 'location_answers',
        reason: `${c.label}: ${where(c)} marked by ${count} of ${n} readers, answered differently (${problems.join('; ')})`,
        ...(force ? { forceAdjudication: true } : {}),
      });
      continue;
    }
    const first = members[0]!.lesion;
    consensus.push({
      id: c.label,
      kind: first.kind,
      image: first.image,
      points: mergedPoints(members.map((m) => m.lesion)),
      answers,
      ...(first.spacing ? { spacing: first.spacing } : {}),
      source: { marks: members.map((m) => `${m.readId}:${m.lesion.id}`), action: 'agreed' },
    });
  }
  return { consensus, disputes, method: usedMajority ? 'majority' : 'unanimous' };
}

/**
 * evaluateReads plus every marks item of the form (case@4). Marks items add their agreed lesions
 * to the consensus and one dispute per lesion in dispute.
 */
export function evaluateReadsWithMarks(form: ReaderForm, policy: TruthPolicy, reads: CountedRead[], opts: EvaluateOptions = {}): Evaluation {
  const ev = evaluateReads(form, policy, reads, opts);
  for (const m of markItems(form)) {
    const r = evaluateMarkItem(
      m.key,
      m.item,
      policy,
      reads.map((x) => ({ id: x.id, lesions: lesionsOf(x.values[m.key]) })),
      opts,
    );
    ev.consensus[m.key] = r.consensus;
    ev.methods[m.key] = r.method;
    ev.disputes.push(...r.disputes);
  }
  return { ...ev, agreed: ev.disputes.length === 0 };
}
