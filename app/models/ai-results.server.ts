/**
 * AI results per case, imported by the lead: CSV (header case_id, model_name,
 * model_version, score, label) or JSON (an array of objects with those keys). Every line is
 * checked before anything is written; one bad line names its line and field and nothing is
 * stored. Re-importing a model version replaces its rows for those cases. Shown to readers only
 * in aided arms (app/models/study.server.ts).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { writeAudit } from '../../db/audit.ts';
import { aiResults, studyUnits } from '../../db/schema.ts';
import { AppError } from '../../domain/errors.ts';
import { CsvError, parseCsv } from '../../formats/csv.ts';

export const AI_RESULT_COLUMNS = ['case_id', 'model_name', 'model_version', 'score', 'label'] as const;

const rowSchema = z.object({
  case_id: z.string().trim().min(1, 'is empty').max(200, 'is longer than 200 characters'),
  model_name: z.string().trim().min(1, 'is empty').max(200, 'is longer than 200 characters'),
  model_version: z.string().trim().min(1, 'is empty').max(100, 'is longer than 100 characters'),
  score: z.union([z.number(), z.string()], { message: 'is not a number' }).transform((v, ctx) => {
    const n = typeof v === 'number' ? v : v.trim() === '' ? Number.NaN : Number(v.trim());
    if (!Number.isFinite(n)) {
      ctx.addIssue({ code: 'custom', message: 'is not a number' });
      return z.NEVER;
    }
    return n;
  }),
  label: z.string().trim().min(1, 'is empty').max(200, 'is longer than 200 characters'),
});
export type AiResultRow = { line: number; caseKey: string; modelName: string; modelVersion: string; score: number; label: string };

/** The form: the file's text and its format. */
export const aiResultsUploadSchema = z.object({
  format: z.enum(['csv', 'json'], { message: 'choose CSV or JSON' }),
  text: z.string().min(1, 'choose a file').max(5_000_000, 'the file is larger than 5 MB'),
});

function fail(line: number, field: string, message: string): never {
  throw new AppError('invalid', `line ${line}: ${field} ${message}`, { field: 'file' });
}

function checkRow(line: number, raw: Record<string, unknown>): AiResultRow {
  const r = rowSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    const field = String(i.path[0] ?? 'row');
    const message = raw[field] === undefined ? 'is missing' : i.message;
    fail(line, field, message);
  }
  return { line, caseKey: r.data.case_id, modelName: r.data.model_name, modelVersion: r.data.model_version, score: r.data.score, label: r.data.label };
}

/** Parses and checks a file; throws naming the first bad line and field. JSON "lines" are 1-based array positions. */
export function parseAiResults(format: 'csv' | 'json', text: string): AiResultRow[] {
  const out: AiResultRow[] = [];
  if (format === 'json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new AppError('invalid', `the file is not valid JSON (${(e as Error).message})`, { field: 'file' });
    }
    if (!Array.isArray(data)) throw new AppError('invalid', 'the JSON must be an array of results, one object per case', { field: 'file' });
    data.forEach((o, i) => {
      if (!o || typeof o !== 'object' || Array.isArray(o)) fail(i + 1, 'row', 'is not an object');
      out.push(checkRow(i + 1, o as Record<string, unknown>));
    });
  } else {
    let rows;
    try {
      rows = parseCsv(text);
    } catch (e) {
      if (e instanceof CsvError) throw new AppError('invalid', `line ${e.line}: ${e.message}`, { field: 'file' });
      throw e;
    }
    const [head, ...body] = rows;
    if (!head) throw new AppError('invalid', 'the file is empty', { field: 'file' });
    const cols = head.fields.map((f) => f.trim().toLowerCase());
    for (const c of AI_RESULT_COLUMNS) if (!cols.includes(c)) fail(head.line, c, `column is missing (the header needs ${AI_RESULT_COLUMNS.join(', ')})`);
    for (const r of body) {
      if (r.fields.length !== cols.length) fail(r.line, 'row', `has ${r.fields.length} fields; the header has ${cols.length}`);
      out.push(checkRow(r.line, Object.fromEntries(cols.map((c, i) => [c, r.fields[i]]))));
    }
  }
  if (!out.length) throw new AppError('invalid', 'the file holds no results', { field: 'file' });
  const seen = new Map<string, number>();
  for (const r of out) {
    const k = `${r.caseKey}\u0000${r.modelName}\u0000${r.modelVersion}`;
    if (seen.has(k)) fail(r.line, 'case_id', `${r.caseKey} has a result for ${r.modelName} ${r.modelVersion} already on line ${seen.get(k)}`);
    seen.set(k, r.line);
  }
  return out;
}

/** Imports AI results for the study's cases: all lines or none. Cases are named by their imported case id. */
export async function importAiResults({ projectId, actorId, format, text, db }: { projectId: string; actorId: string; format: 'csv' | 'json'; text: string; db?: Db }) {
  const rows = parseAiResults(format, text);
  const d = db ?? getDb();
  return d.transaction(async (tx) => {
    const keys = [...new Set(rows.map((r) => r.caseKey))];
    const known = new Set<string>();
    for (let i = 0; i < keys.length; i += 1000) {
      const found = await tx
        .selectDistinct({ k: studyUnits.sourceKey })
        .from(studyUnits)
        .where(and(eq(studyUnits.projectId, projectId), inArray(studyUnits.sourceKey, keys.slice(i, i + 1000))));
      for (const f of found) known.add(f.k);
    }
    const unknown = rows.find((r) => !known.has(r.caseKey));
    if (unknown) fail(unknown.line, 'case_id', `${unknown.caseKey} is not a case of this study (set up the study's reading units first)`);
    for (let i = 0; i < rows.length; i += 500) {
      await tx
        .insert(aiResults)
        .values(
          rows
            .slice(i, i + 500)
            .map((r) => ({ projectId, sourceKey: r.caseKey, modelName: r.modelName, modelVersion: r.modelVersion, score: r.score, label: r.label, importedBy: actorId })),
        )
        .onConflictDoUpdate({
          target: [aiResults.projectId, aiResults.sourceKey, aiResults.modelName, aiResults.modelVersion],
          set: { score: sql`excluded.score`, label: sql`excluded.label`, importedBy: actorId },
        });
    }
    const models = [...new Set(rows.map((r) => `${r.modelName} ${r.modelVersion}`))];
    await writeAudit(tx, { actorId, action: 'study.ai_results.import', projectId, details: { rows: rows.length, models } });
    return { rows: rows.length, cases: keys.length, models };
  });
}

/** What the lead sees: per model version, how many cases have a result. */
export async function listAiModels({ projectId }: { projectId: string }) {
  return getDb()
    .select({ modelName: aiResults.modelName, modelVersion: aiResults.modelVersion, cases: sql<number>`count(*)::int`, at: sql<string>`max(${aiResults.createdAt})::text` })
    .from(aiResults)
    .where(eq(aiResults.projectId, projectId))
    .groupBy(aiResults.modelName, aiResults.modelVersion)
    .orderBy(aiResults.modelName, aiResults.modelVersion);
}
