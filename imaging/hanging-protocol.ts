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

export type ImageAttributes = Partial<Record<'Modality' | 'ImageLaterality' | 'Laterality' | 'ViewPosition' | 'BodyPartExamined' | 'SeriesDescription', string>>;

/**
 * Places images (in manifest order) into the protocol's viewports: each image goes to the first
 * viewport whose rules it meets and that still has room; images matching nothing fill empty
 * viewports, and without a protocol everything shares one stack viewport.
 */
export function hang(protocol: HangingProtocolInput | undefined, images: ImageAttributes[]): { label: string; stack: boolean; images: number[] }[] {
  if (!protocol) return [{ label: '', stack: true, images: images.map((_, i) => i) }];
  const rules = protocol.viewports.map((v) => viewportRuleSchema.parse(v));
  const cells = rules.map((r) => ({ label: r.label, stack: r.stack, images: [] as number[] }));
  const left: number[] = [];
  images.forEach((im, i) => {
    const k = rules.findIndex((r, j) => (r.stack || cells[j].images.length === 0) && Object.entries(r.match).every(([a, v]) => (im[a as keyof ImageAttributes] ?? '').toUpperCase() === v.toUpperCase()));
    if (k >= 0) cells[k].images.push(i);
    else left.push(i);
  });
  for (const i of left) {
    const empty = cells.find((c) => c.images.length === 0);
    if (empty) empty.images.push(i);
    else cells[cells.length - 1].images.push(i);
  }
  return cells;
}
