/**
 * Case images. The world's case lists no images and has no assignment: members who may see the
 * case (the lead) get 404 for an image it does not have, like everyone else who may not see it.
 * test/case-images.test.ts covers the allowed path with a real file.
 */
import { member, type Expect, type Spec } from './types.ts';

const noSuchImage: Expect = { ...member, lead: 'notfound', reader: 'notfound', adjudicator: 'notfound' };

export const entries: Record<string, Spec> = {
  'projects.$slug.cases.$caseId.images.$index.tsx': {
    path: (w) => `/projects/${w.project.slug}/cases/${w.kase.id}/images/0`,
    params: (w) => ({ slug: w.project.slug, caseId: w.kase.id, index: '0' }),
    loader: noSuchImage,
  },
};
entries['projects.$slug.cases.$caseId.dicomweb.$.tsx'] = {
  path: (w) => `/projects/${w.project.slug}/cases/${w.kase.id}/dicomweb/studies/1.2.3/metadata`,
  params: (w) => ({ slug: w.project.slug, caseId: w.kase.id, '*': 'studies/1.2.3/metadata' }),
  // The world's case references no study: nothing may be fetched through it.
  loader: noSuchImage,
};
// Without DICOMWEB_URL the page says so (200); the action refuses an empty pick with 400 (ok for the matrix).
entries['projects.$slug.pacs.tsx'] = {
  path: (w) => `/projects/${w.project.slug}/pacs`,
  params: (w) => ({ slug: w.project.slug }),
  loader: { ...member, reader: 'forbidden', adjudicator: 'forbidden' },
  action: { ...member, reader: 'forbidden', adjudicator: 'forbidden' },
  form: () => ({ intent: 'check' }),
};
/** The world's case is the lead's to see (no images: no views); readers and adjudicators are not assigned it. */
entries['projects.$slug.cases.$caseId.image-views.tsx'] = {
  path: (w) => `/projects/${w.project.slug}/cases/${w.kase.id}/image-views`,
  params: (w) => ({ slug: w.project.slug, caseId: w.kase.id }),
  loader: { ...noSuchImage, lead: 'ok' },
};
