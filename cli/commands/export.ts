/**
 * `truthline export --project SLUG --format csv|jsonl|prov [--out FILE]`: truth with provenance
 * (app/models/export.server.ts) to stdout or a file. Withdrawn cases are never included.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { withDatabase } from './db-open.ts';
import { eq } from 'drizzle-orm';
import { projects } from '../../db/schema.ts';
import { EXPORT_FORMATS, type ExportFormat } from '../../app/models/export.server.ts';
import { truthExportPieces } from '../../app/models/export-stream.server.ts';
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
    let records = 0;
    const out = values.out ? createWriteStream(values.out) : process.stdout;
    const pieces = truthExportPieces({
      projectId: project.id,
      format: values.format as ExportFormat,
      db: h.db,
      onDone: async (n) => {
        records = n;
        await recordExport({ projectId: project.id, actorId: null, format: values.format!, records: n, ip: 'cli', db: h.db });
      },
    });
    for await (const piece of pieces) if (!out.write(piece)) await once(out, 'drain');
    if (values.out) {
      await new Promise<void>((res, rej) => (out as ReturnType<typeof createWriteStream>).end((e?: Error | null) => (e ? rej(e) : res())));
      process.stderr.write(`wrote ${records} record(s) to ${values.out}\n`);
    }
    return 0;
  });
}
