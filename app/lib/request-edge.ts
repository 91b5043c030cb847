/**
 * Checks server.ts runs on the raw address before any route sees it, so that a malformed id or
 * a NUL byte is a 4xx with a clear message on every route, present and future.
 */
import { UUID_RE as UUID } from '../../domain/vocabulary.ts';

/** Path segments that hold a record id: `<segment>/<id>`, under a project. */
const ID_AFTER = new Set(['cases', 'read', 'adjudicate', 'evidence', 'releases', 'reads']);
// Plain words are left to the routes (a page such as .../read/next may exist); the database's
// refusal of a malformed uuid is mapped to 404 there (server.ts).
const WORD = /^[a-z][a-z-]*$/;
/** Releases are addressed by their number in the project (releases/3). */
const NUMBERED = new Set(['releases']);
const NUMBER = /^[1-9][0-9]{0,8}$/;

export type EdgeRefusal = { status: 400 | 404; message: string; field: string };

function decode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

export function checkAddress(pathAndQuery: string): EdgeRefusal | null {
  const q = pathAndQuery.indexOf('?');
  const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const segments = path.split('/');
  for (let i = 0; i < segments.length; i++) {
    const raw = segments[i];
    const seg = decode(raw);
    const field = segments[i - 1] === 'projects' ? 'slug' : `path segment ${i}`;
    if (seg === null) return { status: 400, field, message: `The ${field} in the address is not valid percent-encoding.` };
    if (seg.includes('\u0000')) return { status: 400, field, message: `The ${field} in the address contains a NUL byte.` };
    const underProject = segments.indexOf('projects') >= 0 && segments.indexOf('projects') < i - 2;
    if (underProject && ID_AFTER.has(segments[i - 1]) && seg !== '' && !WORD.test(seg) && !UUID.test(seg) && !(NUMBERED.has(segments[i - 1]) && NUMBER.test(seg))) {
      return { status: 404, field: 'id', message: `There is no record "${seg.slice(0, 80)}" here: ids look like 0b7c…-…, this is not one.` };
    }
  }
  if (q >= 0) {
    for (const part of pathAndQuery.slice(q + 1).split('&')) {
      const [k, v = ''] = part.split('=');
      const key = decode(k.replace(/\+/g, ' '));
      const val = decode(v.replace(/\+/g, ' '));
      if (key === null || val === null) return { status: 400, field: k, message: `The query parameter "${k.slice(0, 40)}" is not valid percent-encoding.` };
      if (key.includes('\u0000') || val.includes('\u0000'))
        return { status: 400, field: key.replace(/\u0000/g, '\\0'), message: `The query parameter "${key.replace(/\u0000/g, '\\0').slice(0, 40)}" contains a NUL byte.` };
    }
  }
  return null;
}
