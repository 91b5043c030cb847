/**
 * zod's global configuration, imported for its effect by every module that builds schemas
 * shared with the browser (workflows/definition.ts) and by the server-only schemas.
 * zod's JIT probes `new Function`, which the CSP (no 'unsafe-eval') reports as a violation on
 * pages that validate in the browser (the settings preview): parse without it, everywhere, so
 * both sides behave alike.
 */
import { z } from 'zod';

z.config({ jitless: true });

export { z };
