/** The lead's pages: cases and import, case page, reviews, agreement, export, setup, new project. */
import { leadOnly, member, slug, type Expect, type Spec } from './types.ts';

const p = (rest: string) => (w: Parameters<Spec['path']>[0]) => `/projects/${w.project.slug}${rest}`;

const creators: Expect = { anonymous: 'login', admin: 'ok', lead: 'ok', otherLead: 'forbidden', reader: 'forbidden', adjudicator: 'forbidden' };

export const entries: Record<string, Spec> = {
  'projects.$slug.cases._index.tsx': { path: p('/cases'), params: slug, loader: leadOnly },
  'projects.$slug.cases.import.tsx': { path: p('/cases/import'), params: slug, loader: leadOnly, action: leadOnly, form: () => ({ intent: 'preview' }) },
  'projects.$slug.reports.tsx': {
    path: p('/reports'),
    params: slug,
    loader: leadOnly,
    action: leadOnly,
    form: () => ({ intent: 'test', rules: '{"name":"x","version":1,"findings":[{"finding":"a","phrases":["a"]}]}', report: 'no a' }),
  },
  'projects.$slug.cases.$caseId.tsx': {
    path: (w) => `/projects/${w.project.slug}/cases/${w.kase.id}`,
    params: (w) => ({ slug: w.project.slug, caseId: w.kase.id }),
    loader: leadOnly,
    action: leadOnly,
    form: () => ({ intent: 'reopen' }),
  },
  'projects.$slug.agreement.tsx': { path: p('/agreement'), params: slug, loader: leadOnly, action: leadOnly },
  // No COCO file until the FROC job wrote one: the lead gets 404 in the matrix world.
  'projects.$slug.froc_.coco.tsx': { path: p('/froc/coco'), params: slug, loader: { ...leadOnly, lead: 'notfound' } },
  'projects.$slug.froc.tsx': { path: p('/froc'), params: slug, loader: leadOnly, action: leadOnly, form: () => ({ truthSource: '' }) },
  'projects.$slug.sample-size.tsx': { path: p('/sample-size'), params: slug, loader: leadOnly },
  'projects.$slug.reviews.tsx': { path: p('/reviews'), params: slug, loader: leadOnly, action: leadOnly, form: () => ({ intent: 'exclusion' }) },
  'projects.$slug.settings.tsx': { path: p('/settings'), params: slug, loader: leadOnly, action: leadOnly, form: () => ({ intent: 'details' }) },
  // The definition editor: "Check" of the posted draft answers 400 (problems), never saves.
  'projects.$slug.setup.tsx': { path: p('/setup'), params: slug, loader: leadOnly, action: leadOnly, form: () => ({ intent: 'view-json' }) },
  // Administrators and project creators (the lead of the world is one).
  'projects.new.tsx': { path: () => '/projects/new', loader: creators, action: creators },
  'projects.$slug.jobs._index.tsx': { path: p('/jobs'), params: slug, loader: leadOnly },
  // No job in the world: the lead passes the access check and then finds none (404).
  'projects.$slug.jobs.$jobId.tsx': {
    path: (w) => `/projects/${w.project.slug}/jobs/00000000-0000-4000-8000-000000000000`,
    params: (w) => ({ slug: w.project.slug, jobId: '00000000-0000-4000-8000-000000000000' }),
    loader: { ...leadOnly, lead: 'notfound' },
    action: { ...leadOnly, lead: 'notfound' },
    form: () => ({ intent: 'cancel' }),
  },
  'projects.$slug.export.tsx': { path: p('/export'), params: slug, loader: leadOnly, action: leadOnly, form: () => ({ format: 'csv' }) },
  'projects.$slug.export_.job.$jobId.$name.tsx': {
    path: (w) => `/projects/${w.project.slug}/export/job/00000000-0000-4000-8000-000000000000/truth.csv`,
    params: (w) => ({ slug: w.project.slug, jobId: '00000000-0000-4000-8000-000000000000', name: 'truth.csv' }),
    loader: { ...leadOnly, lead: 'notfound' },
  },
  'projects.$slug.export_.$format.tsx': { path: p('/export/csv'), params: (w) => ({ slug: w.project.slug, format: 'csv' }), loader: leadOnly },
  // Releases: any member opens the list (a non-lead sees only releases the lead named them for); only leads make one.
  'projects.$slug.releases._index.tsx': { path: p('/releases'), params: slug, loader: member, action: leadOnly, form: () => ({ intent: 'release' }) },
  // No release in the world: members pass the access check and find none.
  'projects.$slug.releases.$number.tsx': {
    path: p('/releases/1'),
    params: (w) => ({ slug: w.project.slug, number: '1' }),
    loader: { ...member, lead: 'notfound', reader: 'notfound', adjudicator: 'notfound' },
    action: { ...leadOnly, lead: 'notfound' },
    form: (w) => ({ intent: 'grant', userId: w.users.reader.id }),
  },
  'projects.$slug.releases.$number_.$file.tsx': {
    path: p('/releases/1/truth.csv'),
    params: (w) => ({ slug: w.project.slug, number: '1', file: 'truth.csv' }),
    loader: { ...member, lead: 'notfound', reader: 'notfound', adjudicator: 'notfound' },
  },
};
