/** Reader and adjudicator pages. The world's case has no workflow and no assignment: nobody may see it. */
import { adjudicatorOnly, readerOnly, slug, type Expect, type Spec } from './types.ts';

// Allowed roles reach the model, which answers 404 for a case that is not theirs to see.
const hiddenCase = (e: Expect): Expect => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v === 'ok' ? 'notfound' : v])) as Expect;

export const entries: Record<string, Spec> = {
  'projects.$slug.read._index.tsx': { path: (w) => `/projects/${w.project.slug}/read`, params: slug, loader: readerOnly, action: readerOnly },
  'projects.$slug.read.$caseId.tsx': {
    path: (w) => `/projects/${w.project.slug}/read/${w.kase.id}`,
    params: (w) => ({ slug: w.project.slug, caseId: w.kase.id }),
    loader: hiddenCase(readerOnly),
    action: hiddenCase(readerOnly),
  },
  // The lead sees the queue read-only; claiming stays with adjudicators.
  'projects.$slug.adjudicate._index.tsx': {
    path: (w) => `/projects/${w.project.slug}/adjudicate`,
    params: slug,
    loader: { ...adjudicatorOnly, lead: 'ok' },
    action: adjudicatorOnly,
  },
  'projects.$slug.adjudicate.$caseId.tsx': {
    path: (w) => `/projects/${w.project.slug}/adjudicate/${w.kase.id}`,
    params: (w) => ({ slug: w.project.slug, caseId: w.kase.id }),
    loader: hiddenCase(adjudicatorOnly),
    action: hiddenCase(adjudicatorOnly),
  },
};
