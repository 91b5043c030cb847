/**
 * The `lesions` table of the complete export: one row per lesion of a case's truth (each marks
 * item's lesion list in the truth value), so a data scientist gets locations without parsing the
 * truth JSON. A row says which case and item, the lesion's id, the image (SOP Instance UID and
 * frame, or the image URL as in the case manifest), the kind and geometry in image pixels (with
 * its bounding box and pixel spacing), the answers, and its provenance (the action, the reader
 * marks it came from, the adjudicator's note, and who decided the truth under which rule).
 */
import { isLesionList, type Lesion } from '../../workflows/marks.ts';
import type { TruthRecord } from './export.server.ts';

export const LESION_COLUMNS = [
  'case_id',
  'case_uuid',
  'finding',
  'item',
  'lesion_id',
  'sop_instance_uid',
  'frame',
  'image_url',
  'kind',
  'points',
  'x_min',
  'y_min',
  'x_max',
  'y_max',
  'pixel_spacing',
  'answers',
  'source_action',
  'source_marks',
  'source_note',
  'truth_state',
  'truth_version',
  'rule_version',
  'decider_id',
  'decided_at',
] as const;

type Cell = string | number | null;
export type LesionRow = Record<(typeof LESION_COLUMNS)[number], Cell | unknown>;

const r3 = (v: number) => Math.round(v * 1000) / 1000;

function lesionRow(r: TruthRecord, item: string, l: Lesion): LesionRow {
  const xs = l.points.map((p) => p[0]);
  const ys = l.points.map((p) => p[1]);
  return {
    case_id: r.case_id,
    case_uuid: r.case_uuid,
    finding: r.finding,
    item,
    lesion_id: l.id,
    sop_instance_uid: l.image.sopInstanceUid ?? null,
    frame: l.image.sopInstanceUid ? (l.image.frame ?? 1) : null,
    image_url: l.image.url ?? null,
    kind: l.kind,
    points: l.points,
    x_min: r3(Math.min(...xs)),
    y_min: r3(Math.min(...ys)),
    x_max: r3(Math.max(...xs)),
    y_max: r3(Math.max(...ys)),
    pixel_spacing: l.spacing ?? null,
    answers: l.answers,
    source_action: l.source?.action ?? null,
    source_marks: l.source ? l.source.marks : null,
    source_note: l.source?.note ?? null,
    truth_state: r.truth_state,
    truth_version: r.truth_version,
    rule_version: r.rule_version,
    decider_id: r.decider_id,
    decided_at: r.decided_at,
  };
}

/**
 * The lesion rows of a page of truth records (sequestered cases already withheld). `structured`
 * keeps points, answers and marks as JSON values (JSON Lines); otherwise they are flattened to
 * text for CSV and Parquet: points and answers as JSON, marks joined with ";".
 */
export function lesionRows(records: TruthRecord[], { structured }: { structured: boolean }): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const r of records) {
    if (r.truth_value === null || typeof r.truth_value !== 'object' || Array.isArray(r.truth_value)) continue;
    for (const [item, v] of Object.entries(r.truth_value as Record<string, unknown>)) {
      if (!isLesionList(v)) continue;
      for (const l of v) {
        const row = lesionRow(r, item, l);
        if (!structured) {
          row.points = JSON.stringify(row.points);
          row.pixel_spacing = row.pixel_spacing === null ? null : (row.pixel_spacing as number[]).join('\\');
          row.answers = JSON.stringify(row.answers);
          row.source_marks = row.source_marks === null ? null : (row.source_marks as string[]).join(';');
        }
        out.push(row);
      }
    }
  }
  return out;
}
