/** Reader-study pages: the lead's study summary and AI results; the reader's skip. */
import { leadOnly, readerOnly, slug, type Expect, type Spec } from './types.ts';

// The world's project is not a study and its case is nobody's: the reader reaches the model, which answers 404.
const hiddenCase = (e: Expect): Expect => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v === 'ok' ? 'notfound' : v])) as Expect;

export const entries: Record<string, Spec> = {
  'projects.$slug.study.tsx': { path: (w) => `/projects/${w.project.slug}/study`, params: slug, loader: leadOnly, action: leadOnly, form: () => ({ intent: 'setup' }) },
  'projects.$slug.ai-results.tsx': { path: (w) => `/projects/${w.project.slug}/ai-results`, params: slug, loader: leadOnly, action: leadOnly, form: () => ({ format: 'csv' }) },
  'projects.$slug.study.skip.$caseId.tsx': {
    path: (w) => `/projects/${w.project.slug}/study/skip/${w.kase.id}`,
    params: (w) => ({ slug: w.project.slug, caseId: w.kase.id }),
    action: hiddenCase(readerOnly),
    form: () => ({ reason: 'image_quality' }),
  },
};
