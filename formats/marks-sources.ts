/**
 * What imported marks are (no dependencies: the import page's form uses these in the browser).
 * `model`: an AI model's detections, the marks for an aided arm; `reference`: prior annotations,
 * lesion locations for the reference standard.
 */
export const MARK_SOURCE_KINDS = ['model', 'reference'] as const;
export type MarkSourceKind = (typeof MARK_SOURCE_KINDS)[number];
export const MARK_SOURCE_KIND_LABELS: Record<MarkSourceKind, string> = {
  model: 'AI model detections',
  reference: 'Prior annotations (reference standard locations)',
};
