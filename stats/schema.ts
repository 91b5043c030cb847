/**
 * A tiny JSON Schema validator for the subset used by stats/agreement.schema.json (type, enum,
 * const, required, properties, additionalProperties, items, oneOf, $ref to #/$defs, pattern,
 * minimum, maximum, minLength). Returns a list of "path: problem" strings (empty = valid).
 */
import schema from './agreement.schema.json';

type Schema = Record<string, unknown>;

export const agreementSchema = schema as Schema;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function validate(value: unknown, s: Schema = agreementSchema, root: Schema = agreementSchema, path = '$'): string[] {
  const errs: string[] = [];
  if (typeof s.$ref === 'string') {
    const name = s.$ref.replace('#/$defs/', '');
    return validate(value, (root.$defs as Record<string, Schema>)[name], root, path);
  }
  if (s.oneOf) {
    const ok = (s.oneOf as Schema[]).filter((sub) => validate(value, sub, root, path).length === 0).length;
    if (ok !== 1) errs.push(`${path}: matches ${ok} of oneOf`);
    return errs;
  }
  const t = typeOf(value);
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    const ok = types.some((x) => x === t || (x === 'number' && t === 'integer'));
    if (!ok) return [`${path}: expected ${types.join('|')}, got ${t}`];
  }
  if (s.enum && !(s.enum as unknown[]).includes(value)) errs.push(`${path}: not one of ${JSON.stringify(s.enum)}`);
  if ('const' in s && s.const !== value) errs.push(`${path}: must be ${JSON.stringify(s.const)}`);
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) errs.push(`${path}: < ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) errs.push(`${path}: > ${s.maximum}`);
  }
  if (typeof value === 'string') {
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern).test(value)) errs.push(`${path}: does not match ${s.pattern}`);
    if (typeof s.minLength === 'number' && value.length < s.minLength) errs.push(`${path}: shorter than ${s.minLength}`);
  }
  if (t === 'array' && s.items) (value as unknown[]).forEach((x, i) => errs.push(...validate(x, s.items as Schema, root, `${path}[${i}]`)));
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    for (const r of (s.required as string[] | undefined) ?? []) if (!(r in obj)) errs.push(`${path}: missing ${r}`);
    const props = (s.properties as Record<string, Schema> | undefined) ?? {};
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errs.push(...validate(v, props[k], root, `${path}.${k}`));
      else if (s.additionalProperties === false) errs.push(`${path}: unexpected property ${k}`);
    }
  }
  return errs;
}
