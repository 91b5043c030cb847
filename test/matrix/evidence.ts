/** Evidence workflow pages: entering evidence and withdrawing a case are lead-only. */
import { leadOnly, slug, type Spec } from './types.ts';

const kase = (w: Parameters<Spec['path']>[0]) => ({ slug: w.project.slug, caseId: w.kase.id });

export const entries: Record<string, Spec> = {
  // Empty forms: the lead gets 400 with field errors (counted as allowed), nothing is recorded.
  'projects.$slug.cases.$caseId.evidence.tsx': { path: (w) => `/projects/${w.project.slug}/cases/${w.kase.id}/evidence`, params: kase, loader: leadOnly, action: leadOnly },
  'projects.$slug.cases.$caseId.withdraw.tsx': { path: (w) => `/projects/${w.project.slug}/cases/${w.kase.id}/withdraw`, params: kase, loader: leadOnly, action: leadOnly },
  // The evidence upload page: an empty form gets 400 with field errors, nothing is queued.
  'projects.$slug.evidence.tsx': { path: (w) => `/projects/${w.project.slug}/evidence`, params: slug, loader: leadOnly, action: leadOnly, form: () => ({ intent: 'preview' }) },
};
