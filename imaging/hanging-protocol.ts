/**
 * Hanging protocols: a grid of viewports and, per viewport, the DICOM attributes an image must
 * carry to hang there. Part of the reader form (versioned with it): a new protocol is a new
 * project version, and a case read under an old version keeps its layout.
 */
import { z } from 'zod';

const attr = z.string().trim().min(1).max(64);

export const viewportRuleSchema = z.object({
  label: z.string().trim().min(1).max(40),
  /** Attribute → required value (header keywords: Modality, ImageLaterality, ViewPosition, BodyPartExamined…). */
  match: z.partialRecord(z.enum(['Modality', 'ImageLaterality', 'Laterality', 'ViewPosition', 'BodyPartExamined', 'SeriesDescription']), attr).default({}),
  /** A stack viewport holds every matching image (a CT series); otherwise the first match. */
  stack: z.boolean().default(false),
  /** Which edge of the viewport the image is pushed to: mammograms hang back to back (R right, L left). */
  align: z.enum(['center', 'left', 'right']).default('center'),
});

export const hangingProtocolSchema = z
  .object({
    name: z.string().trim().min(1).max(80),
    rows: z.number().int().min(1).max(4),
    columns: z.number().int().min(1).max(4),
    viewports: z.array(viewportRuleSchema).min(1).max(16),
  })
  .refine((p) => p.viewports.length <= p.rows * p.columns, { message: 'more viewports than the grid has cells', path: ['viewports'] });

export type HangingProtocol = z.output<typeof hangingProtocolSchema>;
export type HangingProtocolInput = z.input<typeof hangingProtocolSchema>;
export type ViewportRule = z.output<typeof viewportRuleSchema>;
