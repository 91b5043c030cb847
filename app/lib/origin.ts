/**
 * CSRF defence for mutating requests: the Origin (or, failing that, the Referer) must be
 * APP_URL's origin, or the request's own origin when APP_URL is unset. Requests carrying
 * neither header come from non-browser clients and pass (they cannot ride a session cookie
 * from another site: browsers always send Origin on cross-site POSTs).
 */
export function isSafeMethod(method: string) {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

export function originAllowed(opts: { method: string; origin?: string | null; referer?: string | null; host?: string | null; protocol: string; appUrl?: string }): boolean {
  if (isSafeMethod(opts.method.toUpperCase())) return true;
  let expected: string;
  if (opts.appUrl) expected = new URL(opts.appUrl).origin;
  else if (opts.host) expected = `${opts.protocol}://${opts.host}`;
  else return false;
  // An opaque origin (sandboxed frame, data: URL, some redirects) is never this site, whatever
  // Referer it carries alongside.
  if (opts.origin === 'null') return false;
  const given = opts.origin ? opts.origin : opts.referer ? safeOrigin(opts.referer) : undefined;
  if (given === undefined) return true;
  return given === expected;
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid';
  }
}
