/**
 * Marks: the case's truth lesions as DICOM SR (the world's case has no lesions, so the lead gets 404
 * too), and the import of marks from other tools (lead only).
 */
import { leadOnly, slug, type Spec } from './types.ts';

export const entries: Record<string, Spec> = {
  'projects.$slug.cases.$caseId.marks[.]dcm.tsx': {
    path: (w) => `/projects/${w.project.slug}/cases/${w.kase.id}/marks.dcm`,
    params: (w) => ({ slug: w.project.slug, caseId: w.kase.id }),
    loader: { ...leadOnly, lead: 'notfound' },
  },
  'projects.$slug.marks.import.tsx': {
    path: (w) => `/projects/${w.project.slug}/marks/import`,
    params: slug,
    loader: leadOnly,
    action: leadOnly,
    form: () => ({ intent: 'preview', source: 'CAD', sourceKind: 'model' }),
  },
};
