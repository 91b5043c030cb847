/**
 * `truthline token create --user EMAIL --project SLUG[,SLUG] [--name NAME]`: prints a personal
 * API token once (only its hash is stored). The user must be a member of every project.
 */
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { withDatabase } from './db-open.ts';
import { users } from '../../db/schema.ts';
import { createToken } from '../../app/models/tokens.server.ts';
import { AppError } from '../../domain/errors.ts';

const USAGE = 'usage: truthline token create --user EMAIL --project SLUG[,SLUG…] [--name NAME]';

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'create') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let values: { user?: string; project?: string[]; name?: string };
  try {
    ({ values } = parseArgs({ args: rest, options: { user: { type: 'string' }, project: { type: 'string', multiple: true }, name: { type: 'string' } } }));
  } catch (e) {
    process.stderr.write(`truthline token: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const email = values.user?.trim().toLowerCase();
  const slugs = (values.project ?? [])
    .flatMap((p) => p.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (!email || !slugs.length) {
    process.stderr.write(`truthline token: --user and --project are required\n${USAGE}\n`);
    return 2;
  }
  return withDatabase(async (h) => {
    await h.migrate();
    const [u] = await h.db.select({ id: users.id, active: users.active }).from(users).where(eq(users.email, email));
    if (!u || !u.active) {
      process.stderr.write(`truthline token: there is no active account ${email}\n`);
      return 1;
    }
    try {
      const t = await createToken({ userId: u.id, name: values.name ?? `cli ${new Date().toISOString().slice(0, 10)}`, projects: slugs, actorId: null, ip: 'cli' });
      process.stdout.write(`token for ${email} (projects: ${t.projects.map((p) => p.slug).join(', ')}); shown once, store it now:\n${t.token}\n`);
      return 0;
    } catch (e) {
      if (e instanceof AppError) {
        process.stderr.write(`truthline token: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
  });
}
