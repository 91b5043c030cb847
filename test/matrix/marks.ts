/** Marks: the case's truth lesions as DICOM SR. The world's case has no lesions, so the lead gets 404 too. */
import { leadOnly, type Spec } from './types.ts';

export const entries: Record<string, Spec> = {
  'projects.$slug.cases.$caseId.marks[.]dcm.tsx': {
    path: (w) => `/projects/${w.project.slug}/cases/${w.kase.id}/marks.dcm`,
    params: (w) => ({ slug: w.project.slug, caseId: w.kase.id }),
    loader: { ...leadOnly, lead: 'notfound' },
  },
};
