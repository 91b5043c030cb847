/**
 * CSRF defence for mutating requests: the Origin (or, failing that, the Referer) must be
 * APP_URL's origin, or the request's own origin when APP_URL is unset (another scheme or port
 * is another origin). A browser that says the request is cross-site (`Sec-Fetch-Site`) is refused
 * even when it sent neither Origin nor Referer. Requests carrying none of these headers come from
 * non-browser clients and pass (they cannot ride a session cookie from another site).
 */
export function isSafeMethod(method: string) {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

export function originAllowed(opts: {
  method: string;
  origin?: string | null;
  referer?: string | null;
  /** The browser's `Sec-Fetch-Site` header, when it sent one. */
  fetchSite?: string | string[] | null;
  host?: string | null;
  protocol: string;
  appUrl?: string;
}): boolean {
  if (isSafeMethod(opts.method.toUpperCase())) return true;
  if (opts.fetchSite === 'cross-site') return false;
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
