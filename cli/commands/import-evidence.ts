/**
 * `truthline import evidence --project SLUG FILE [--user EMAIL]`
 *
 * Evidence CSV (`case_id,finding,kind,date,result_code,text`; case_id = the importer's case id)
 * into a project, all or nothing (app/models/evidence.server.ts): every row is checked first; a
 * bad file prints "FILE:LINE: field: message" per problem, exits 1 and records nothing. Each row
 * becomes an `evidence.record` workflow event by a lead of the project: --user, or by default
 * the project's owner (who must hold the lead role).
 */
import { readFile } from 'node:fs/promises';
import { decodeTextFile } from '../../formats/text-file.ts';
import { parseArgs } from 'node:util';
import { and, eq } from 'drizzle-orm';
import { withDatabase } from './db-open.ts';
import { projectMembers, users } from '../../db/schema.ts';
import { EvidenceImportFailed, formatEvidenceError, importEvidence, projectBySlug } from '../../app/models/evidence.server.ts';

const USAGE = 'usage: truthline import evidence --project SLUG FILE [--user EMAIL]';

export async function run(args: string[]): Promise<number> {
  let values: { project?: string; user?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, allowPositionals: true, options: { project: { type: 'string' }, user: { type: 'string' } } }));
  } catch (e) {
    process.stderr.write(`truthline import evidence: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!values.project || positionals.length !== 1) {
    process.stderr.write(`truthline import evidence: give --project and one file\n${USAGE}\n`);
    return 2;
  }
  const file = positionals[0];
  let text: string;
  try {
    text = decodeTextFile(await readFile(file), file);
  } catch (e) {
    process.stderr.write(`truthline import evidence: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 2;
  }
  return withDatabase(async (h) => {
    await h.migrate();
    const project = await projectBySlug(values.project!, h.db);
    if (!project) {
      process.stderr.write(`truthline import evidence: no project "${values.project}"\n`);
      return 1;
    }
    let actorId = project.ownerId;
    if (values.user) {
      const [u] = await h.db.select({ id: users.id }).from(users).where(eq(users.email, values.user.trim().toLowerCase()));
      if (!u) {
        process.stderr.write(`truthline import evidence: no account ${values.user}\n`);
        return 1;
      }
      actorId = u.id;
    }
    const [lead] = await h.db
      .select({ role: projectMembers.role })
      .from(projectMembers)
      .where(and(eq(projectMembers.projectId, project.id), eq(projectMembers.userId, actorId), eq(projectMembers.role, 'lead')));
    if (!lead) {
      process.stderr.write(`truthline import evidence: ${values.user ?? 'the project owner'} is not a lead of ${project.slug}; pass --user EMAIL of a lead\n`);
      return 1;
    }
    try {
      const r = await importEvidence({ projectId: project.id, text, actorId, ip: 'cli', db: h.db });
      process.stdout.write(`recorded ${r.recorded} evidence row(s) on ${r.cases} case(s) of ${project.slug}${r.duplicates ? ` (${r.duplicates} already recorded)` : ''}\n`);
      return 0;
    } catch (e) {
      if (e instanceof EvidenceImportFailed) {
        for (const err of e.errors) process.stderr.write(`${formatEvidenceError(err, file)}\n`);
        process.stderr.write(`truthline import evidence: ${e.errors.length} problem(s); nothing was imported\n`);
        return 1;
      }
      throw e;
    }
  });
}
