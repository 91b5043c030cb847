/**
 * `truthline release --project SLUG [--out DIR] [--confirm-pending] [--sequester]`: a numbered,
 * content-hashed, immutable release (app/models/releases.server.ts): truth in csv, jsonl and
 * PROV-JSON, every case's chain head and event count, the frozen split, STARD counts and a
 * Croissant 1.1 card. Refused (exit 1) while cases are unsettled unless --confirm-pending, and
 * when nothing changed since the previous release. --sequester holds the test split's truth back
 * in separate files. With --out, the files and a manifest.json are written there.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { withDatabase } from './db-open.ts';
import { eq } from 'drizzle-orm';
import { projects } from '../../db/schema.ts';
import { createRelease, ReleaseRefused } from '../../app/models/releases.server.ts';

const USAGE = `usage: truthline release --project SLUG [--out DIR] [--confirm-pending] [--sequester]
  --out DIR          write the release's files and a manifest.json to DIR/SLUG-release-N
  --confirm-pending  release even while cases are undecided, in adjudication, in review or discordant (counted in the release)
  --sequester        hold the test split's truth back (only the lead and named people may download it, every download logged)

Database: DATABASE_URL, or the embedded database in TRUTHLINE_DATA_DIR (default ./data) — the same as the server's; stop an embedded server first.`;

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let values: { project?: string; out?: string; 'confirm-pending'?: boolean; sequester?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: { project: { type: 'string' }, out: { type: 'string' }, 'confirm-pending': { type: 'boolean' }, sequester: { type: 'boolean' } },
    }));
  } catch (e) {
    process.stderr.write(`truthline release: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!values.project) {
    process.stderr.write(`truthline release: give --project\n${USAGE}\n`);
    return 2;
  }
  return withDatabase(async (h) => {
    await h.migrate();
    const [project] = await h.db.select().from(projects).where(eq(projects.slug, values.project!));
    if (!project) {
      process.stderr.write(`truthline release: no project "${values.project}"\n`);
      return 1;
    }
    let r;
    try {
      r = await createRelease({ projectId: project.id, actorId: null, ip: 'cli', confirmPending: values['confirm-pending'], sequester: values.sequester });
    } catch (e) {
      if (e instanceof ReleaseRefused) {
        process.stderr.write(`truthline release: refused: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
    if (values.out) {
      const dir = path.join(values.out, `${project.slug}-release-${r.number}`);
      await mkdir(dir, { recursive: true });
      for (const f of r.files) await writeFile(path.join(dir, f.name), f.content);
      const manifest = {
        project: project.slug,
        number: r.number,
        contentHash: r.contentHash,
        createdAt: r.createdAt.toISOString(),
        files: r.files.map(({ name, sha256, bytes }) => ({ name, sha256, bytes })),
        chainHeads: r.chainHeads,
        split: r.split,
        sequestered: r.sequestered,
        counts: r.counts,
      };
      await writeFile(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
      process.stdout.write(`release ${r.number} of ${project.slug}: ${r.contentHash}\nwritten to ${dir}\n`);
    } else process.stdout.write(`release ${r.number} of ${project.slug}: ${r.contentHash}\n`);
    return 0;
  });
}
