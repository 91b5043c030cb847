import { describe, expect, it } from 'vitest';
import { originAllowed } from './origin.ts';
import { safeRedirect } from '../forms/auth.ts';

const base = { protocol: 'http', host: 'localhost:3000' };

describe('originAllowed', () => {
  it('lets reads through', () => expect(originAllowed({ ...base, method: 'GET', origin: 'https://evil.example' })).toBe(true));
  it('accepts same-origin posts', () => expect(originAllowed({ ...base, method: 'POST', origin: 'http://localhost:3000' })).toBe(true));
  it('refuses cross-site posts', () => expect(originAllowed({ ...base, method: 'POST', origin: 'https://evil.example' })).toBe(false));
  it('falls back to the Referer', () => expect(originAllowed({ ...base, method: 'DELETE', referer: 'https://evil.example/x' })).toBe(false));
  it('refuses an opaque origin', () => expect(originAllowed({ ...base, method: 'POST', origin: 'null' })).toBe(false));
  it('uses APP_URL when set', () => {
    expect(originAllowed({ ...base, method: 'POST', origin: 'http://localhost:3000', appUrl: 'https://truthline.example.org' })).toBe(false);
    expect(originAllowed({ ...base, method: 'POST', origin: 'https://truthline.example.org', appUrl: 'https://truthline.example.org/app' })).toBe(true);
  });
});

describe('safeRedirect', () => {
  it.each([
    ['/projects/x', '/projects/x'],
    ['//evil.example', '/'],
    ['https://evil.example', '/'],
    ['/\\evil.example', '/'],
    [undefined, '/'],
  ])('%s → %s', (to, want) => expect(safeRedirect(to)).toBe(want));
});
