import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalJson, CanonicalJsonError, sha256Hex } from './canonical-json.ts';
import { checkChain, eventHash, GENESIS_HASH } from './hash-chain.ts';

const fromBits = (hex: string) => new DataView(Uint8Array.from(Buffer.from(hex, 'hex')).buffer).getFloat64(0);

describe('canonicalJson (RFC 8785)', () => {
  it('§3.2.2 example: literals, numbers, strings', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('§3.2.3 example: keys sorted by UTF-16 code units', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // (Object.keys would put the integer-like "1" first, so read the order off the text.)
    const keys = [...canonicalJson(input).matchAll(/"((?:[^"\\]|\\.)*)":/g)].map((m) => JSON.parse(`"${m[1]}"`));
    expect(keys).toEqual(['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
  });

  it('Appendix B number serialisation', () => {
    const cases: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [bits, text] of cases) expect(canonicalJson(fromBits(bits)), bits).toBe(text);
  });

  it('refuses NaN, Infinity, lone surrogates and non-JSON values', () => {
    expect(() => canonicalJson(NaN)).toThrow(CanonicalJsonError);
    expect(() => canonicalJson(fromBits('7ff0000000000000'))).toThrow(CanonicalJsonError);
    expect(() => canonicalJson('\ud800')).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ a: () => 1 })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson(new Map())).toThrow(CanonicalJsonError);
  });

  it('drops undefined members like JSON, keeps nested structure', () => {
    expect(canonicalJson({ b: [1, { d: undefined, c: 'x' }], a: undefined })).toBe('{"b":[1,{"c":"x"}]}');
  });

  it('property: parse(canonical(x)) equals x and canonical form is independent of key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const c = canonicalJson(v);
        expect(canonicalJson(JSON.parse(c))).toBe(c);
        const shuffled = JSON.parse(JSON.stringify(v), (_k, val) =>
          val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val).reverse()) : val,
        );
        expect(canonicalJson(shuffled)).toBe(c);
      }),
    );
  });
});

describe('hash chain', () => {
  const base: { caseId: string; type: string; payload: unknown; actorId: string | null; occurredAt: string } = {
    caseId: 'c',
    type: 'read.submit',
    payload: { values: { a: 1 } },
    actorId: 'u',
    occurredAt: '2024-01-01T00:00:00.000Z',
  };
  const build = (n: number) => {
    const out: (typeof base & { seq: number; prevHash: string; hash: string })[] = [];
    let prev = GENESIS_HASH;
    for (let i = 1; i <= n; i++) {
      const e = { ...base, seq: i, prevHash: prev, payload: { i } };
      const hash = eventHash(e);
      out.push({ ...e, hash });
      prev = hash;
    }
    return out;
  };

  it('hash is SHA-256 of the canonical tuple', () => {
    const e = { ...base, seq: 1, prevHash: GENESIS_HASH };
    expect(eventHash(e)).toBe(
      sha256Hex('{"actor":"u","case":"c","payload":{"values":{"a":1}},"prev":"' + GENESIS_HASH + '","seq":1,"time":"2024-01-01T00:00:00.000Z","type":"read.submit"}'),
    );
  });

  it('a valid chain verifies; changing any field or removing a middle row does not', () => {
    const chain = build(4);
    expect(checkChain(chain)).toEqual([]);
    expect(checkChain(chain.map((e, i) => (i === 2 ? { ...e, payload: { i: 99 } } : e))).length).toBeGreaterThan(0);
    expect(checkChain(chain.map((e, i) => (i === 1 ? { ...e, actorId: 'other' } : e))).length).toBeGreaterThan(0);
    expect(checkChain(chain.filter((_, i) => i !== 1)).length).toBeGreaterThan(0);
  });
});
