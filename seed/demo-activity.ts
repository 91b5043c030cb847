/**
 * Demo activity: some cases read by two readers (with realistic disagreement), some disputes
 * adjudicated, one case both readers could not assess — all through the workflow runtime, so the
 * demo's events, hash chains and truth labels are exactly what real use produces. reader1 has
 * read nothing, so a visitor signing in as reader1 finds a full queue.
 */
import type { Db } from '../db/client.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { getCaseWorkflow } from '../workflows/runtime.ts';
import { countedReads } from '../workflows/machine.ts';
import { rng } from './images.ts';

export type DemoTruth = { project: string; index: number; studyDate: string; truth: { ptx?: 'none' | 'left' | 'right'; mass?: 'left' | 'right' | null } };

const PAIRS = [
  ['reader2@example.org', 'reader3@example.org'],
  ['reader3@example.org', 'reader4@example.org'],
  ['reader2@example.org', 'reader4@example.org'],
];

/** A time `plus` days after the study (reads come after the study, evidence weeks to months later). */
function after(studyDate: string, plus: number) {
  return new Date(Date.parse(`${studyDate}T08:00:00Z`) + plus * 86400_000 + 3600_000 * (plus % 7)).toISOString();
}

export async function simulateDemoActivity({ db, ids, truthByCase }: { db: Db; ids: Record<string, string>; truthByCase: Map<string, DemoTruth> }) {
  const r = rng(42);
  const adjudicator = ids['adjudicator@example.org'];
  const lead = ids['lead@example.org'];
  let n = 0;
  const send = (caseId: string, actorId: string, when: string, event: Parameters<typeof sendCaseEvent>[0]['event']) =>
    sendCaseEvent({ db, caseId, actorId, at: when, clientRequestId: `demo-${++n}`, event });

  for (const [caseId, t] of truthByCase) {
    const i = t.index;
    const day = t.studyDate;
    if (t.project === 'chest-pneumothorax') {
      if (i >= 30) continue;
      const pair = PAIRS[i % 3];
      if (i === 29) {
        for (const [k, email] of pair.entries()) {
          await send(caseId, ids[email], after(day, 2 + k), { type: 'read.submit', values: null, cannotAssessReason: 'Lung apices cut off the image', timeSpentMs: 20_000 });
        }
        continue;
      }
      const truth = t.truth.ptx !== 'none';
      for (const [k, email] of pair.entries()) {
        const answer = r() < 0.13 ? !truth : truth;
        await send(caseId, ids[email], after(day, 2 + k), {
          type: 'read.submit',
          values: { pneumothorax: answer },
          confidence: Math.round(60 + r() * 40),
          timeSpentMs: Math.round(15_000 + r() * 60_000),
        });
      }
      if (i < 22) await adjudicateIfDisputed(caseId, day, (reads) => reads.find((x) => x.values?.pneumothorax === truth)?.id);
    } else {
      if (i >= 25) continue;
      const pair = PAIRS[i % 3];
      const score = (side: 'left' | 'right') => {
        const hasMass = t.truth.mass === side;
        let v = hasMass ? (r() < 0.6 ? 4 : 5) : r() < 0.7 ? 1 : 2;
        if (r() < 0.12) v = Math.min(5, Math.max(1, v + (r() < 0.5 ? -2 : 2)));
        else if (r() < 0.15) v = Math.min(5, Math.max(1, v + 1));
        return String(v);
      };
      for (const [k, email] of pair.entries()) {
        await send(caseId, ids[email], after(day, 3 + k), {
          type: 'read.submit',
          values: { 'left/birads': score('left'), 'right/birads': score('right') },
          confidence: Math.round(50 + r() * 50),
          timeSpentMs: Math.round(30_000 + r() * 120_000),
        });
      }
      if (i < 16) await adjudicateMammo(caseId, day, t);
      // Truth from evidence, arriving weeks to months later: pathology for the breasts with a
      // mass, a negative follow-up exam inside the 365-day window for most of the others.
      // Case 5 gets a negative follow-up and then malignant pathology: a discordance to review.
      if (i < 20) {
        for (const side of ['left', 'right'] as const) {
          if (t.truth.mass === side) {
            if (i === 5)
              await send(caseId, lead, after(day, 200), { type: 'evidence.record', finding: side, kind: 'follow_up', date: after(day, 199).slice(0, 10), resultCode: 'negative' });
            await send(caseId, lead, after(day, 45), {
              type: 'evidence.record',
              finding: side,
              kind: 'pathology',
              date: after(day, 40).slice(0, 10),
              resultCode: 'malignant',
              text: 'Invasive ductal carcinoma, grade 2.',
            });
          } else if (i % 4 !== 3) {
            await send(caseId, lead, after(day, 335), {
              type: 'evidence.record',
              finding: side,
              kind: 'follow_up',
              date: after(day, 330).slice(0, 10),
              resultCode: 'negative',
              text: 'Annual screening: no suspicious findings.',
            });
          }
        }
      }
    }
  }

  async function adjudicateMammo(caseId: string, day: string, t: DemoTruth) {
    {
      {
        const wf = await getCaseWorkflow({ caseId, db });
        if (wf?.state === 'adjudication') {
          const disputed = [...new Set((wf.context.evaluation?.disputes ?? []).map((d) => d.item))];
          const values: Record<string, string> = {};
          for (const item of disputed) values[item] = t.truth.mass === item.split('/')[0] ? '4' : '2';
          await send(caseId, adjudicator, after(day, 9), { type: 'adjudication.decide', values, rationale: 'Compared with the prior study; assessment per BI-RADS atlas.' });
        }
      }
    }
  }

  async function adjudicateIfDisputed(caseId: string, day: string, pick: (reads: { id: string; values: Record<string, unknown> | null }[]) => string | undefined) {
    const wf = await getCaseWorkflow({ caseId, db });
    if (wf?.state !== 'adjudication') return;
    const readId = pick(countedReads(wf.context));
    if (!readId) return;
    await send(caseId, adjudicator, after(day, 8), {
      type: 'adjudication.decide',
      pickReadId: readId,
      rationale: 'Visible pleural line with absent lung markings beyond it on review at full resolution.',
    });
  }
}
