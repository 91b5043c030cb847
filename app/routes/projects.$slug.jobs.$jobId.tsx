import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { json } from '@remix-run/node';
import { requireProjectRole } from '~/permissions.server.ts';
import { cancelProjectJob, projectJob } from '~/models/jobs.server.ts';

/** One job as JSON (the progress bar polls it); POST cancels it. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project } = await requireProjectRole(request, params.slug, 'lead');
  const job = await projectJob({ projectId: project.id, jobId: params.jobId ?? '' });
  if (!job) throw json({ error: 'no such job in this project' }, { status: 404 });
  return json({ job }, { headers: { 'Cache-Control': 'no-store' } });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { project } = await requireProjectRole(request, params.slug, 'lead');
  const job = await cancelProjectJob({ projectId: project.id, jobId: params.jobId ?? '' });
  if (!job) throw json({ error: 'no such job in this project' }, { status: 404 });
  return json({ job });
}
