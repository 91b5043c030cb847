/**
 * Placing a case's images into a hanging protocol's viewports (runs in the browser: no zod here,
 * the protocol was validated where it was stored).
 */
import type { HangingProtocolInput } from './hanging-protocol.ts';

export type ImageAttributes = Partial<Record<'Modality' | 'ImageLaterality' | 'Laterality' | 'ViewPosition' | 'BodyPartExamined' | 'SeriesDescription', string>>;

/**
 * Places images (in manifest order) into the protocol's viewports: each image goes to the first
 * viewport whose rules it meets and that still has room; images matching nothing fill empty
 * viewports, and without a protocol everything shares one stack viewport.
 */
export type HungViewport = { label: string; stack: boolean; align: 'center' | 'left' | 'right'; images: number[] };

export function hang(protocol: HangingProtocolInput | undefined, images: ImageAttributes[]): HungViewport[] {
  if (!protocol) return [{ label: '', stack: true, align: 'center', images: images.map((_, i) => i) }];
  // Already validated where it was stored; defaults applied here so the browser needs no zod.
  const rules = protocol.viewports.map((v) => ({ label: v.label, match: v.match ?? {}, stack: v.stack ?? false, align: v.align ?? 'center' }));
  const cells = rules.map((r) => ({ label: r.label, stack: r.stack, align: r.align, images: [] as number[] }));
  const left: number[] = [];
  images.forEach((im, i) => {
    const k = rules.findIndex(
      (r, j) => (r.stack || cells[j].images.length === 0) && Object.entries(r.match).every(([a, v]) => (im[a as keyof ImageAttributes] ?? '').toUpperCase() === v.toUpperCase()),
    );
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
