/**
 * `truthline import fhir --project SLUG FILE [--rules RULES.json] [--user EMAIL] [--dry-run]`
 *
 * FHIR R4 DiagnosticReport / pathology Observation resources (a Bundle, one resource, or bulk
 * NDJSON) as evidence (app/models/fhir-import.server.ts), all or nothing. A bad file prints
 * "FILE:LINE: Resource/id path: message" per problem, exits 1 and records nothing. --dry-run
 * prints what would be recorded.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { and, eq } from 'drizzle-orm';
import { withDatabase } from './db-open.ts';
import { projectMembers, users } from '../../db/schema.ts';
import { projectBySlug } from '../../app/models/evidence.server.ts';
import { FhirImportFailed, formatFhirError, importFhirEvidence, previewFhirImport } from '../../app/models/fhir-import.server.ts';
import { parseRulesText, RulesError, type CompiledRules } from '../../reports/index.ts';
import { csvCell } from './extract.ts';

const USAGE = 'usage: truthline import fhir --project SLUG FILE [--rules RULES.json] [--user EMAIL] [--dry-run]';

export async function run(args: string[]): Promise<number> {
  let values: { project?: string; user?: string; rules?: string; 'dry-run'?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { project: { type: 'string' }, user: { type: 'string' }, rules: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    }));
  } catch (e) {
    process.stderr.write(`truthline import fhir: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!values.project || positionals.length !== 1) {
    process.stderr.write(`truthline import fhir: give --project and one file\n${USAGE}\n`);
    return 2;
  }
  const file = positionals[0];
  const read = async (f: string) => {
    try {
      return await readFile(f, 'utf8');
    } catch (e) {
      process.stderr.write(`truthline import fhir: cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return null;
    }
  };
  const text = await read(file);
  if (text === null) return 2;
  let rules: CompiledRules | null = null;
  if (values.rules) {
    const rt = await read(values.rules);
    if (rt === null) return 2;
    try {
      rules = parseRulesText(rt);
    } catch (e) {
      if (e instanceof RulesError) {
        process.stderr.write(`${values.rules}: ${e.message}\n`);
        return 2;
      }
      throw e;
    }
  }
  return withDatabase(async (h) => {
    await h.migrate();
    const project = await projectBySlug(values.project!, h.db);
    if (!project) {
      process.stderr.write(`truthline import fhir: no project "${values.project}"\n`);
      return 1;
    }
    if (values['dry-run']) {
      const p = await previewFhirImport({ projectId: project.id, text, rules, db: h.db });
      for (const e of p.errors) process.stderr.write(`${formatFhirError(e, file)}\n`);
      process.stdout.write('resource,case,matched_by,kind,date,result_code,source,status,trigger\n');
      for (const r of p.rows)
        process.stdout.write(`${[r.resource, r.caseRef, r.matchedBy, r.kind, r.date, r.resultCode ?? '', r.source, r.status ?? '', r.trigger ?? ''].map(csvCell).join(',')}\n`);
      return p.errors.length ? 1 : 0;
    }
    let actorId = project.ownerId;
    if (values.user) {
      const [u] = await h.db.select({ id: users.id }).from(users).where(eq(users.email, values.user.trim().toLowerCase()));
      if (!u) {
        process.stderr.write(`truthline import fhir: no account ${values.user}\n`);
        return 1;
      }
      actorId = u.id;
    }
    const [lead] = await h.db
      .select({ role: projectMembers.role })
      .from(projectMembers)
      .where(and(eq(projectMembers.projectId, project.id), eq(projectMembers.userId, actorId), eq(projectMembers.role, 'lead')));
    if (!lead) {
      process.stderr.write(`truthline import fhir: ${values.user ?? 'the project owner'} is not a lead of ${project.slug}; pass --user EMAIL of a lead\n`);
      return 1;
    }
    try {
      const r = await importFhirEvidence({ projectId: project.id, text, rules, actorId, ip: 'cli', db: h.db });
      process.stdout.write(
        `recorded ${r.recorded} evidence row(s) from ${r.resources} resource(s) on ${r.cases} case(s) of ${project.slug}${r.duplicates ? ` (${r.duplicates} already recorded)` : ''}\n`,
      );
      return 0;
    } catch (e) {
      if (e instanceof FhirImportFailed) {
        for (const err of e.errors) process.stderr.write(`${formatFhirError(err, file)}\n`);
        process.stderr.write(`truthline import fhir: ${e.errors.length} problem(s); nothing was imported\n`);
        return 1;
      }
      throw e;
    }
  });
}
