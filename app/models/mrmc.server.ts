/**
 * The MRMC document of a project for the API: the same Obuchowski–Rockette analysis the dashboard
 * shows (app/models/accuracy.server.ts, arms of a reader study compared), for the newest
 * definition version, or the one asked for. Errors say why there is nothing to analyse yet.
 */
import { AppError } from '../../domain/errors.ts';
import type { MrmcDocument } from '../../stats/mrmc/index.ts';
import { getAccuracy } from './accuracy.server.ts';
import { getCurrentVersion } from './projects.server.ts';

export async function projectMrmc({ projectId, version }: { projectId: string; version?: number }): Promise<{ version: number; document: MrmcDocument; note: string }> {
  const v = version ?? (await getCurrentVersion({ projectId }))?.version;
  if (v === undefined) throw new AppError('invalid', 'the project has no definition yet', { field: 'version' });
  const acc = await getAccuracy({ projectId, version: v });
  if (!acc) throw new AppError('invalid', `the project has no definition version ${v}`, { field: 'version' });
  // Not analysable (yet): the project's state, not the request, is at fault.
  if (acc.reference !== 'evidence') throw new AppError('refused', acc.note ?? 'an MRMC analysis needs an evidence-based reference standard');
  if (!acc.mrmc) throw new AppError('refused', acc.mrmcNote || acc.note || 'nothing to analyse yet');
  return { version: v, document: acc.mrmc, note: acc.mrmcNote };
}
