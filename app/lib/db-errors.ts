/**
 * Classifies database failures by what they mean for the client: the database is away (503,
 * retry later) or a value the database cannot hold or parse reached it (a 4xx, never a 500).
 * Walks `cause` because drizzle wraps driver errors.
 */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);

function chain(e: unknown): { code?: unknown; message?: unknown }[] {
  const out: { code?: unknown; message?: unknown }[] = [];
  for (let x = e, i = 0; x && typeof x === 'object' && i < 5; x = (x as { cause?: unknown }).cause, i++) out.push(x as { code?: unknown });
  return out;
}

export function isConnectionError(e: unknown): boolean {
  return chain(e).some((x) => {
    const code = typeof x.code === 'string' ? x.code : '';
    // The embedded database, once closed (or crashed), throws a plain Error with no code.
    return CONNECTION_CODES.has(code) || code.startsWith('08') || x.message === 'PGlite is closed';
  });
}

/** 22P02 invalid_text_representation (e.g. a malformed uuid), 22021 a NUL byte in text. */
export function badValueError(e: unknown): 'malformed' | 'nul' | null {
  for (const x of chain(e)) {
    if (x.code === '22P02') return 'malformed';
    if (x.code === '22021' || x.code === '22P05') return 'nul';
  }
  return null;
}
