/**
 * Marks helpers without zod: the adjudication page matches readers' marks in the browser, and
 * the validation schemas of marks.ts stay out of the client bundles.
 */
import type { ImageRef, Lesion } from './marks.ts';

/** The key an image is known by within a case: marks on different images never match. */
export function imageKey(ref: ImageRef): string {
  return ref.sopInstanceUid ? `sop:${ref.sopInstanceUid}#${ref.frame ?? 1}` : `url:${ref.url ?? ''}`;
}

export function isLesionList(v: unknown): v is Lesion[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && 'kind' in x && 'points' in x);
}
