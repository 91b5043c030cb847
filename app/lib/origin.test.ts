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
  it('refuses another port or scheme of the same host', () => {
    expect(originAllowed({ ...base, method: 'POST', origin: 'http://localhost:3001' })).toBe(false);
    expect(originAllowed({ ...base, method: 'POST', origin: 'https://localhost:3000' })).toBe(false);
  });
  it('refuses a cross-site Referer when Origin is missing', () => expect(originAllowed({ ...base, method: 'POST', referer: 'http://localhost:3001/form' })).toBe(false));
  it('refuses what the browser marks cross-site, even with neither Origin nor Referer', () => {
    expect(originAllowed({ ...base, method: 'POST', fetchSite: 'cross-site' })).toBe(false);
    expect(originAllowed({ ...base, method: 'POST', fetchSite: 'same-origin', origin: 'http://localhost:3000' })).toBe(true);
    expect(originAllowed({ ...base, method: 'POST' })).toBe(true);
  });
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
