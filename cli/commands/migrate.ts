import { withDatabase } from './db-open.ts';

export async function run(): Promise<number> {
  return withDatabase(async (h) => {
    await h.migrate();
    process.stdout.write(`migrations applied to ${h.where}\n`);
    return 0;
  });
}
