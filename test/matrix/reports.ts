/** Report rules: the review page of a labelling run is lead-only. */
import { leadOnly, type Spec } from './types.ts';

const NO_RUN = '00000000-0000-4000-8000-000000000000';

export const entries: Record<string, Spec> = {
  // No run in the world: the lead passes the access check and then finds none (404).
  'projects.$slug.reports_.runs.$jobId.tsx': {
    path: (w) => `/projects/${w.project.slug}/reports/runs/${NO_RUN}`,
    params: (w) => ({ slug: w.project.slug, jobId: NO_RUN }),
    loader: { ...leadOnly, lead: 'notfound' },
    // An empty form: the lead gets 400 with field errors (counted as allowed).
    action: leadOnly,
  },
};
