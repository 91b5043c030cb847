/**
 * The agreement dashboard's background refresh (job kind agreement.refresh): recomputes the
 * figures of a project version (and of each arm of a reader study) from the raw reads and stores
 * them in stats_cache, so the page (dashboardForPage) only ever reads one cached row. Queued by the page when its figures are
 * missing or older than the newest event.
 */
import { registerJob } from '../../jobs/runner.ts';
import { getAccuracy } from './accuracy.server.ts';
import { getAgreementDashboard, REFRESH_JOB, versionArms } from './agreement.server.ts';

registerJob(REFRESH_JOB, async (ctx) => {
  const projectId = ctx.job.projectId;
  const version = Number((ctx.job.params as { version?: unknown }).version);
  if (!projectId || !Number.isInteger(version)) throw new Error('agreement.refresh needs a project and a version');
  // A reader study's figures are also stored per arm (one cache row each), so the page's arm filter reads one row.
  const arms = await versionArms({ projectId, version, db: ctx.db });
  const total = 2 + arms.length;
  await ctx.progress({ done: 0, total, phase: 'agreement figures' });
  const dash = await getAgreementDashboard({ projectId, version, db: ctx.db });
  for (const [i, arm] of arms.entries()) {
    await ctx.progress({ done: 1 + i, total, phase: `agreement figures, ${arm.label}` });
    await getAgreementDashboard({ projectId, version, arm: arm.key, db: ctx.db });
  }
  await ctx.progress({ done: total - 1, total, phase: 'diagnostic accuracy' });
  if (dash) await getAccuracy({ projectId, version: dash.version, db: ctx.db });
  await ctx.progress({ done: total, total, phase: 'done' });
  return { version, cases: dash?.cases ?? 0 };
});
