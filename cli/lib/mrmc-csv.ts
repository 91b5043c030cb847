/**
 * Long MRMC CSV → study rows: header `case_id,truth,arm,reader_id,rating` (any order, extra
 * columns ignored); `modality` or `treatment` are accepted for `arm`, `reader` for `reader_id`,
 * `case` for `case_id` (the MRMC tools' names). truth: 1/0, true/false, positive/negative.
 */
import { parseCsv } from './csv.ts';
import { InputError } from '../../stats/accuracy/truth.ts';
import type { StudyRow } from '../../stats/mrmc/study.ts';

const ALIASES: Record<string, string[]> = {
  case_id: ['case_id', 'case'],
  truth: ['truth'],
  arm: ['arm', 'modality', 'treatment'],
  reader_id: ['reader_id', 'reader'],
  rating: ['rating'],
};

const TRUTH: Record<string, number> = { '1': 1, '0': 0, true: 1, false: 0, positive: 1, negative: 0 };

export function parseMrmcCsv(text: string): StudyRow[] {
  const rows = parseCsv(text);
  if (rows.length === 0) throw new InputError('the file is empty (expected a header case_id,truth,arm,reader_id,rating)', 0);
  const header = rows[0].fields.map((h) => h.trim().toLowerCase());
  const col: Record<string, number> = {};
  for (const [name, names] of Object.entries(ALIASES)) {
    const i = header.findIndex((h) => names.includes(h));
    if (i < 0) throw new InputError(`line ${rows[0].line}: missing column ${name}${names.length > 1 ? ` (or ${names.slice(1).join(', ')})` : ''}`, rows[0].line);
    col[name] = i;
  }
  const out: StudyRow[] = [];
  for (let r = 1; r < rows.length; r++) {
    const { line, fields } = rows[r];
    const get = (k: string) => (fields[col[k]] ?? '').trim();
    const t = TRUTH[get('truth').toLowerCase()];
    if (t === undefined) throw new InputError(`line ${line}, field truth: expected 1/0 (or true/false, positive/negative), got "${get('truth')}"`, line);
    const rs = get('rating');
    const rating = rs === '' ? NaN : Number(rs);
    if (!Number.isFinite(rating)) throw new InputError(`line ${line}, field rating: expected a number, got "${rs}"`, line);
    out.push({ line, caseId: get('case_id'), truth: t, arm: get('arm'), readerId: get('reader_id'), rating });
  }
  return out;
}
