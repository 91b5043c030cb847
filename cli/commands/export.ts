/**
 * `truthline export --project SLUG --format csv|jsonl|prov [--out FILE]`: truth with provenance
 * (app/models/export.server.ts) to stdout or a file. Withdrawn cases are never included.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { withDatabase } from './db-open.ts';
import { eq } from 'drizzle-orm';
import { projects } from '../../db/schema.ts';
import { EXPORT_FORMATS, exportTruth, type ExportFormat } from '../../app/models/export.server.ts';
import { recordExport } from '../../app/models/releases.server.ts';

const USAGE = 'usage: truthline export --project SLUG --format csv|jsonl|prov [--out FILE]';

export async function run(args: string[]): Promise<number> {
  let values: { project?: string; format?: string; out?: string };
  try {
    ({ values } = parseArgs({ args, options: { project: { type: 'string' }, format: { type: 'string', default: 'csv' }, out: { type: 'string' } } }));
  } catch (e) {
    process.stderr.write(`truthline export: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!values.project) {
    process.stderr.write(`truthline export: give --project\n${USAGE}\n`);
    return 2;
  }
  if (!(EXPORT_FORMATS as readonly string[]).includes(values.format ?? '')) {
    process.stderr.write(`truthline export: --format must be csv, jsonl or prov\n`);
    return 2;
  }
  return withDatabase(async (h) => {
    await h.migrate();
    const [project] = await h.db.select().from(projects).where(eq(projects.slug, values.project!));
    if (!project) {
      process.stderr.write(`truthline export: no project "${values.project}"\n`);
      return 1;
    }
    const file = await exportTruth({ projectId: project.id, format: values.format as ExportFormat });
    await recordExport({ projectId: project.id, actorId: null, format: values.format!, records: file.records, ip: 'cli' });
    if (values.out) {
      await writeFile(values.out, file.body);
      process.stderr.write(`wrote ${file.records} record(s) to ${values.out}\n`);
    } else process.stdout.write(file.body);
    return 0;
  });
}
