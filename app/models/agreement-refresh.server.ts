/**
 * The agreement dashboard's background refresh (job kind agreement.refresh): recomputes the
 * figures of a project version from the raw reads and stores them in stats_cache, so the page
 * (dashboardForPage) only ever reads one cached row. Queued by the page when its figures are
 * missing or older than the newest event.
 */
import { registerJob } from '../../jobs/runner.ts';
import { getAccuracy } from './accuracy.server.ts';
import { getAgreementDashboard, REFRESH_JOB } from './agreement.server.ts';

registerJob(REFRESH_JOB, async (ctx) => {
  const projectId = ctx.job.projectId;
  const version = Number((ctx.job.params as { version?: unknown }).version);
  if (!projectId || !Number.isInteger(version)) throw new Error('agreement.refresh needs a project and a version');
  await ctx.progress({ done: 0, total: 2, phase: 'agreement figures' });
  const dash = await getAgreementDashboard({ projectId, version, db: ctx.db });
  await ctx.progress({ done: 1, total: 2, phase: 'diagnostic accuracy' });
  if (dash) await getAccuracy({ projectId, version: dash.version, db: ctx.db });
  await ctx.progress({ done: 2, total: 2, phase: 'done' });
  return { version, cases: dash?.cases ?? 0 };
});
