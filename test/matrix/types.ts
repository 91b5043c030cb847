/** Shared vocabulary of the permission matrix (test/permission-matrix.test.ts). */
import type { makeWorld, Outcome, Persona } from '../fixtures/app.ts';

export type World = Awaited<ReturnType<typeof makeWorld>>;
export type Expect = Record<Persona, Outcome>;
export type Spec = {
  /** URL path, for the request. */
  path: (w: World) => string;
  /** Route params as Remix would pass them. */
  params?: (w: World) => Record<string, string>;
  loader?: Expect;
  action?: Expect;
  /** Form fields for the action request (an empty form by default). */
  form?: (w: World) => Record<string, string>;
  /** Extra request headers (e.g. an API token) per persona. */
  headers?: (w: World, p: Persona) => Record<string, string>;
  /** The action ends the session: give it a session of its own so later routes keep theirs. */
  endsSession?: boolean;
};

export const all = (o: Outcome): Expect => ({ anonymous: o, admin: o, lead: o, otherLead: o, reader: o, adjudicator: o });
export const signedIn: Expect = { ...all('ok'), anonymous: 'login' };
export const adminOnly: Expect = { anonymous: 'login', admin: 'ok', lead: 'forbidden', otherLead: 'forbidden', reader: 'forbidden', adjudicator: 'forbidden' };
/** Non-members get 404 so that project names do not leak. */
export const member: Expect = { anonymous: 'login', admin: 'notfound', lead: 'ok', otherLead: 'notfound', reader: 'ok', adjudicator: 'ok' };
export const leadOnly: Expect = { ...member, reader: 'forbidden', adjudicator: 'forbidden' };
export const readerOnly: Expect = { ...member, lead: 'forbidden', adjudicator: 'forbidden' };
export const adjudicatorOnly: Expect = { ...member, lead: 'forbidden', reader: 'forbidden' };
export const slug = (w: World) => ({ slug: w.project.slug });
