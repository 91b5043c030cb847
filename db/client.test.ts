import { describe, expect, it } from 'vitest';
import { ConfigError, parseDatabaseUrl } from './client.ts';

describe('parseDatabaseUrl', () => {
  it('accepts postgres URLs', () => {
    expect(parseDatabaseUrl('postgres://postgres@127.0.0.1:5432/test').hostname).toBe('127.0.0.1');
    expect(parseDatabaseUrl('postgresql://u:p@db/x').pathname).toBe('/x');
  });
  it.each([
    ['not a url', /DATABASE_URL is not a valid URL/],
    ['mysql://h/db', /DATABASE_URL must start with postgres/],
    ['postgres://host', /DATABASE_URL names no database/],
  ])('refuses %s with one line naming the variable', (raw, msg) => {
    expect(() => parseDatabaseUrl(raw)).toThrow(ConfigError);
    expect(() => parseDatabaseUrl(raw)).toThrow(msg);
    try {
      parseDatabaseUrl(raw);
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
    }
  });
});
