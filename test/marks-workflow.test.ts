/**
 * Marks in the case machine (case@4): matching by location, disputes per lesion, adjudication
 * per lesion, 2+1 by majority; and the matcher's edge cases (one-to-many, ties, no pixel spacing).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultRegistry, replay } from '../workflows/engine.ts';
import { assign, iou, matchMarks, similarity } from '../workflows/marks-match.ts';
import type { Lesion } from '../workflows/marks.ts';
import { readValuesSchema } from '../workflows/read-schema.ts';
import { readerFormSchema } from '../workflows/definition.ts';

const fixture = JSON.parse(readFileSync(new URL('../workflows/machines/fixtures/case@4.json', import.meta.url), 'utf8')) as {
  cases: { name: string; events: Parameters<typeof replay>[1] }[];
};
const img = { url: '/i/0' };
const L = (id: string, kind: Lesion['kind'], points: [number, number][], extra: Partial<Lesion> = {}): Lesion => ({ id, kind, image: img, points, answers: {}, ...extra });
const rule = { radiusPx: 10, iou: 0.5 };

describe('case@4: location disputes', () => {
  it('a lesion marked by one reader and one answered across a threshold are disputed one by one; the adjudicator decides per lesion', () => {
    const c = fixture.cases.find((x) => x.name.startsWith('marks: a lesion'))!;
    const { snapshot, machineVersion } = replay(defaultRegistry, c.events);
    expect(machineVersion).toBe('case@4');
    expect(snapshot.value).toBe('decided');
    const ev = snapshot.context.evaluation!;
    expect(ev.disputes.map((d) => [d.label, d.rule, Boolean(d.forceAdjudication)])).toEqual([
      ['L2', 'location_answers', true],
      ['L3', 'location', false],
    ]);
    expect(ev.disputes[1]!.reason).toBe('L3: point at (400, 50) marked by 1 of 2 readers');
    // The agreed lesion: mean location, provenance of both marks.
    expect(ev.consensus.lesions).toEqual([
      {
        id: 'L1',
        kind: 'point',
        image: { url: '/projects/demo/cases/c/images/0' },
        points: [[102, 99]],
        answers: { birads: '4' },
        source: { marks: ['r1:m1', 'r2:m1'], action: 'agreed' },
      },
    ]);
    const truth = snapshot.context.decision!;
    expect(truth.method).toBe('adjudication');
    const lesions = truth.values.lesions as Lesion[];
    expect(lesions.map((l) => [l.id, l.source?.action, l.source?.marks])).toEqual([
      ['L1', 'agreed', ['r1:m1', 'r2:m1']],
      ['L2', 'merge', ['r1:m2', 'r2:m2']],
      ['n1', 'new', []],
    ]);
    expect(truth.deciderId).toBe('a1');
  });

  it('after 2+1, a lesion marked by two of three readers is kept (majority) and one marked by one dropped', () => {
    const c = fixture.cases.find((x) => x.name.startsWith('marks: 2+1'))!;
    const { snapshot } = replay(defaultRegistry, c.events);
    expect(snapshot.value).toBe('decided');
    expect(snapshot.context.decision!.method).toBe('majority');
    const lesions = snapshot.context.decision!.values.lesions as Lesion[];
    expect(lesions).toHaveLength(1);
    expect(lesions[0]!.points).toEqual([[51, 48.5]]);
    expect(lesions[0]!.answers).toEqual({ birads: '5' });
    expect(lesions[0]!.source!.marks).toEqual(['r1:a', 'r3:c']);
  });
});

describe('matching marks', () => {
  it('one-to-many: two marks near one are matched one-to-one, the nearer wins, the other stays alone', () => {
    const cl = matchMarks(
      [
        { readId: 'a', lesions: [L('1', 'point', [[100, 100]])] },
        { readId: 'b', lesions: [L('x', 'point', [[107, 100]]), L('y', 'point', [[103, 100]])] },
      ],
      rule,
    );
    expect(cl.map((c) => c.members.map((m) => `${m.readId}:${m.lesion.id}`))).toEqual([['a:1', 'b:y'], ['b:x']]);
  });

  it('the assignment is optimal, not greedy: a greedy first pick would leave a mark unmatched', () => {
    // a1 is nearest b1, but b1 is the only partner of a2: optimal matches a1–b2 and a2–b1.
    const sim = [
      [0.9, 0.8],
      [0.85, 0],
    ];
    expect(assign(sim)).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('ties go to the lower index, so the result never depends on chance', () => {
    expect(
      assign([
        [0.7, 0.7],
        [0.7, 0.7],
      ]),
    ).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });

  it('no pixel spacing: the radius is in pixels; with spacing on both marks, in mm', () => {
    const a = L('a', 'point', [[0, 0]]);
    const b = L('b', 'point', [[12, 0]]);
    expect(similarity(a, b, { radiusPx: 10, radiusMm: 2, iou: 0.5 })).toBe(0);
    const sa = { ...a, spacing: [0.1, 0.1] as [number, number] };
    const sb = { ...b, spacing: [0.1, 0.1] as [number, number] };
    // 12 px × 0.1 mm = 1.2 mm ≤ 2 mm.
    expect(similarity(sa, sb, { radiusPx: 10, radiusMm: 2, iou: 0.5 })).toBeCloseTo(1 - 1.2 / 4, 12);
  });

  it('boxes by IoU (exact), outlines on a grid; marks on different images never match', () => {
    expect(
      iou(
        L('a', 'box', [
          [0, 0],
          [10, 10],
        ]),
        L('b', 'box', [
          [5, 0],
          [15, 10],
        ]),
      ),
    ).toBeCloseTo(50 / 150, 12);
    const sq = L('p', 'polygon', [
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 10],
    ]);
    expect(
      iou(
        sq,
        L('b', 'box', [
          [0, 0],
          [10, 10],
        ]),
      ),
    ).toBeCloseTo(1, 6);
    // Ellipse inscribed in its box: area π/4 of the box.
    expect(
      iou(
        L('e', 'ellipse', [
          [0, 0],
          [10, 10],
        ]),
        L('b', 'box', [
          [0, 0],
          [10, 10],
        ]),
      ),
    ).toBeCloseTo(Math.PI / 4, 2);
    expect(
      similarity(
        L('a', 'box', [
          [0, 0],
          [10, 10],
        ]),
        {
          ...L('b', 'box', [
            [0, 0],
            [10, 10],
          ]),
          image: { url: '/i/1' },
        },
        rule,
      ),
    ).toBe(0);
  });
});

describe('marks as read values', () => {
  const form = readerFormSchema.parse({
    fields: [{ kind: 'binary', key: 'recall', label: 'Recall' }],
    marks: [
      {
        key: 'lesions',
        label: 'Lesions',
        tools: ['point', 'box'],
        fields: [{ kind: 'ordinal', key: 'birads', label: 'BI-RADS', options: ['1', '2', '3', '4', '5'].map((v) => ({ value: v, label: v })) }],
      },
    ],
  });
  const s = readValuesSchema(form);
  it('accepts lesions with their answers; none is the answer "no lesion"', () => {
    expect(s.safeParse({ recall: false }).data).toEqual({ recall: false, lesions: [] });
    expect(
      s.safeParse({
        recall: true,
        lesions: [
          L(
            'a',
            'box',
            [
              [1, 2],
              [3, 4],
            ],
            { answers: { birads: '4' } },
          ),
        ],
      }).success,
    ).toBe(true);
  });
  it('names what is wrong: a tool the item does not allow, a box with one corner, an answer off the scale', () => {
    const err = (v: unknown) => s.safeParse({ recall: true, lesions: [v] }).error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(
      err(
        L(
          'a',
          'polygon',
          [
            [0, 0],
            [1, 0],
            [1, 1],
          ],
          { answers: { birads: '4' } },
        ),
      ),
    ).toEqual(['lesions.0.kind: this item allows point, box marks']);
    expect(err(L('a', 'box', [[0, 0]], { answers: { birads: '4' } }))).toEqual(['lesions.0.points: a box has 2 corners, not 1']);
    expect(err(L('a', 'point', [[0, 0]], { answers: { birads: '9' } }))[0]).toMatch(/^lesions\.0\.answers\.birads: /);
  });
});
