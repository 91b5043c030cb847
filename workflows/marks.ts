/**
 * Marks on images as read values: a marks item of the reader form is answered with a
 * list of lesions, each a mark in image pixel coordinates tied to its image (SOP Instance UID +
 * frame, or the image URL) with its own answers. Pure: the reader form, the runtime's
 * validation, the case machine (case@4) and the exports share these shapes.
 */
import { z } from 'zod';

export const MARK_KINDS = ['point', 'box', 'ellipse', 'polygon'] as const;
export type MarkKind = (typeof MARK_KINDS)[number];

/** Same shape as the viewer's ImageRef (viewer/marks-types.ts). */
export type ImageRef = { sopInstanceUid?: string; frame?: number; url?: string };
export type LesionAnswer = boolean | string | string[] | number;

/** Where a lesion of a consensus or an adjudication came from. */
export type LesionSource = {
  /** "readId:markId" of every reader mark it was made from (empty for a mark the adjudicator drew). */
  marks: string[];
  action: 'agreed' | 'keep' | 'merge' | 'new';
  /** The adjudicator's reason for this lesion. */
  note?: string;
};

export type Lesion = {
  id: string;
  kind: MarkKind;
  image: ImageRef;
  /** x = column, y = row, (0,0) = the top-left corner of the first pixel. */
  points: [number, number][];
  answers: Record<string, LesionAnswer>;
  /** Pixel spacing [row, column] in mm, when the image says (distances in mm then). */
  spacing?: [number, number];
  source?: LesionSource;
};

const coord = z.number().finite().min(-1e6).max(1e6);
export const imageRefSchema = z
  .strictObject({
    sopInstanceUid: z
      .string()
      .regex(/^[0-9]+(\.[0-9]+)*$/, 'a SOP Instance UID is digits and dots')
      .max(64)
      .optional(),
    frame: z.number().int().min(1).optional(),
    url: z.string().min(1).max(2000).optional(),
  })
  .refine((r) => r.sopInstanceUid !== undefined || r.url !== undefined, 'an image needs a SOP Instance UID or a URL');

const sourceSchema = z.strictObject({
  marks: z.array(z.string().min(1).max(200)).max(100),
  action: z.enum(['agreed', 'keep', 'merge', 'new']),
  note: z.string().max(2000).optional(),
});

/** One lesion; `answers` is checked against the item's fields by the caller (read-schema.ts). */
export function lesionSchema(answers: z.ZodType, tools: readonly MarkKind[]) {
  return z
    .strictObject({
      id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a mark id is 1–64 letters, digits, _ or -'),
      kind: z.enum(MARK_KINDS).refine((k) => tools.includes(k), { message: `this item allows ${tools.join(', ')} marks` }),
      image: imageRefSchema,
      points: z
        .array(z.tuple([coord, coord]))
        .min(1)
        .max(500),
      answers,
      spacing: z.tuple([z.number().positive(), z.number().positive()]).optional(),
      source: sourceSchema.optional(),
    })
    .superRefine((l, ctx) => {
      const n = l.points.length;
      const ok = l.kind === 'point' ? n === 1 : l.kind === 'polygon' ? n >= 3 : n === 2;
      if (!ok)
        ctx.addIssue({
          code: 'custom',
          path: ['points'],
          message: `a ${l.kind} has ${l.kind === 'point' ? '1 point' : l.kind === 'polygon' ? 'at least 3 vertices' : '2 corners'}, not ${n}`,
        });
    });
}

// Zod-free helpers (the adjudication page matches marks in the browser without bundling zod).
export { imageKey, isLesionList } from './marks-refs.ts';
