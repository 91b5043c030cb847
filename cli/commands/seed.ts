import { sql } from 'drizzle-orm';
import { withDatabase } from './db-open.ts';
import { dataRoot, isEmptyDatabase } from '../../db/client.ts';
import { seedDemo, DEMO_ACCOUNTS, DEMO_PASSWORD } from '../../seed/demo.ts';

export async function run(args: string[]): Promise<number> {
  const reset = args.includes('--reset');
  const unknown = args.filter((a) => a !== '--reset');
  if (unknown.length) {
    process.stderr.write(`truthline seed: unknown option ${unknown[0]} (usage: truthline seed [--reset])\n`);
    return 2;
  }
  if (process.env.DATABASE_URL && process.env.TRUTHLINE_DEMO !== '1') {
    process.stderr.write('truthline seed: refusing to seed demo data into a real server; set TRUTHLINE_DEMO=1 to do it on purpose\n');
    return 2;
  }
  return withDatabase(async (h) => {
    if (reset) {
      // Everything goes: the demo is rebuilt from nothing, migrations included.
      for (const stmt of ['drop schema if exists drizzle cascade', 'drop schema public cascade', 'create schema public']) {
        await h.db.execute(sql.raw(stmt));
      }
    }
    await h.migrate();
    if (!(await isEmptyDatabase(h.db))) {
      process.stderr.write('truthline seed: the database already has data; use --reset to rebuild the demo from scratch\n');
      return 1;
    }
    await seedDemo({ db: h.db, dataDir: dataRoot() });
    process.stdout.write(`demo seeded into ${h.where}\nsign in as any of (password "${DEMO_PASSWORD}"):\n`);
    for (const a of DEMO_ACCOUNTS) process.stdout.write(`  ${a.email.padEnd(26)} ${a.note}\n`);
    return 0;
  });
}
