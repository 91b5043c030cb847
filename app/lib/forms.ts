/**
 * One zod schema per form, used on both sides: the server parses the submitted FormData with
 * it (400 + field errors on failure), and the client runs the same parse before submitting.
 */
import { useState, type FormEvent } from 'react';
import type { z } from 'zod';

export type FieldErrors = Record<string, string[]>;

export function formDataToObject(fd: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of fd.entries()) {
    if (typeof v !== 'string') continue;
    if (k in out) out[k] = ([] as unknown[]).concat(out[k], v);
    else out[k] = v;
  }
  return out;
}

export function fieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.join('.') : '_form';
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

export function parseForm<S extends z.ZodType>(schema: S, fd: FormData): { ok: true; data: z.infer<S> } | { ok: false; errors: FieldErrors } {
  // No text column can hold a NUL byte: refuse it here, naming the field, before any schema.
  const nul: FieldErrors = {};
  for (const [k, v] of fd.entries()) if (typeof v === 'string' && v.includes('\u0000')) nul[k] = [`The field "${k}" contains a NUL byte (\\0), which text cannot hold. Remove it.`];
  if (Object.keys(nul).length) return { ok: false, errors: nul };
  const r = schema.safeParse(formDataToObject(fd));
  return r.success ? { ok: true, data: r.data } : { ok: false, errors: fieldErrors(r.error) };
}

/**
 * Client-side: block submission and show the same messages the server would send.
 * Form schemas live in *.server.ts modules (zod stays out of the pages' JavaScript), and Remix
 * empties those modules in the browser build: there `schema` is undefined, nothing is checked
 * before sending, and the server's answer carries the messages.
 */
export function useClientValidation<S extends z.ZodType>(schema: S | undefined) {
  const [errors, setErrors] = useState<FieldErrors | null>(null);
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    if (!schema) return;
    const r = parseForm(schema, new FormData(e.currentTarget));
    if (!r.ok) {
      e.preventDefault();
      setErrors(r.errors);
    } else setErrors(null);
  };
  return { clientErrors: errors, onSubmit };
}
