import { parseArgs } from 'node:util';
import { withDatabase } from './db-open.ts';
import { createUser } from '../../app/models/users.server.ts';
import { AppError } from '../../domain/errors.ts';

const USAGE = 'usage: truthline users create --email E [--name N] [--admin]';

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'create') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let values: { email?: string; name?: string; admin?: boolean };
  try {
    ({ values } = parseArgs({ args: rest, options: { email: { type: 'string' }, name: { type: 'string' }, admin: { type: 'boolean' } } }));
  } catch (e) {
    process.stderr.write(`truthline users: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const email = values.email?.trim().toLowerCase();
  if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) {
    process.stderr.write(`truthline users: --email must be an email address\n${USAGE}\n`);
    return 2;
  }
  return withDatabase(async (h) => {
    await h.migrate();
    try {
      const u = await createUser({ email, name: values.name, isAdmin: values.admin, actorId: null, ip: 'cli' });
      process.stdout.write(`created ${u.email}${values.admin ? ' (administrator)' : ''}\none-time password (shown once; it must be changed at first sign-in): ${u.password}\n`);
      return 0;
    } catch (e) {
      if (e instanceof AppError) {
        process.stderr.write(`truthline users: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
  });
}
