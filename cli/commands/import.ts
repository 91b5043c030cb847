/**
 * `truthline import cases --project SLUG FILE [--format csv|json] [--assign-splits 70/10/20]`
 *
 * Streams the file, validates every row and imports all or nothing (app/models/import.server.ts): a bad file
 * prints one line per problem, "FILE:LINE: field: message", exits 1 and writes nothing.
 * `import evidence` is cli/commands/import-evidence.ts (the evidence workflow).
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { withDatabase } from './db-open.ts';
import { eq } from 'drizzle-orm';
import { projects } from '../../db/schema.ts';
import { importStream, ImportFailed, parseSplitRatio } from '../../app/models/import.server.ts';

const USAGE = 'usage: truthline import cases --project SLUG FILE [--format csv|json] [--assign-splits TRAIN/VALIDATION/TEST]';

export async function run(args: string[]): Promise<number> {
  const [kind, ...rest] = args;
  if (kind === 'evidence') return (await import('./import-evidence.ts')).run(rest);
  if (kind === 'fhir') return (await import('./import-fhir.ts')).run(rest);
  if (kind !== 'cases') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let values: { project?: string; format?: string; 'assign-splits'?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { project: { type: 'string' }, format: { type: 'string' }, 'assign-splits': { type: 'string' } },
    }));
  } catch (e) {
    process.stderr.write(`truthline import: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!values.project || positionals.length !== 1) {
    process.stderr.write(`truthline import: give --project and one file\n${USAGE}\n`);
    return 2;
  }
  if (values.format && values.format !== 'csv' && values.format !== 'json') {
    process.stderr.write('truthline import: --format must be csv or json\n');
    return 2;
  }
  let ratio: [number, number, number] | null;
  try {
    ratio = parseSplitRatio(values['assign-splits']);
  } catch (e) {
    process.stderr.write(`truthline import: ${(e as Error).message}\n`);
    return 2;
  }
  const file = positionals[0];
  try {
    await access(file);
  } catch (e) {
    process.stderr.write(`truthline import: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 2;
  }
  return withDatabase(async (h) => {
    await h.migrate();
    const [project] = await h.db.select().from(projects).where(eq(projects.slug, values.project!));
    if (!project) {
      process.stderr.write(`truthline import: no project "${values.project}"\n`);
      return 1;
    }
    try {
      // Streamed: files of a million rows are never held whole.
      const source = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
      const r = await importStream({
        projectId: project.id,
        source,
        format: values.format as 'csv' | 'json' | undefined,
        fileName: file,
        assignSplits: ratio,
        actorId: null,
        ip: 'cli',
      });
      const splits = Object.entries(r.splitCounts)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ');
      process.stdout.write(
        `imported ${r.cases} case(s) of ${r.patients.total} patient(s) (${r.patients.new} new) into ${project.slug} on version ${r.version}; splits: ${splits}\n`,
      );
      return 0;
    } catch (e) {
      if (e instanceof ImportFailed) {
        const p = e.preview;
        for (const err of p.errors)
          process.stderr.write(`${file}:${err.row > 0 ? `${p.rowWord === 'item' ? 'item ' : ''}${err.row}:` : ''} ${err.field ? `${err.field}: ` : ''}${err.message}\n`);
        process.stderr.write(`truthline import: ${p.errors.length} problem(s); nothing was imported\n`);
        return 1;
      }
      throw e;
    }
  });
}
