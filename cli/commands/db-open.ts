/** Opens the database for a CLI command and always closes it; errors become one line. */
import { ConfigError, openFromEnv, type DbHandle } from '../../db/client.ts';
import { LockedError } from '../../db/lock.ts';
import { installDb } from '../../db/index.ts';

export async function withDatabase(fn: (h: DbHandle) => Promise<number>): Promise<number> {
  let handle: DbHandle;
  try {
    handle = await openFromEnv({ lock: true });
  } catch (e) {
    if (e instanceof ConfigError || e instanceof LockedError) {
      process.stderr.write(`truthline: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  installDb(handle);
  try {
    return await fn(handle);
  } finally {
    await handle.close();
    installDb(undefined);
  }
}
