/**
 * A case's truth lesions in the field's formats: the DICOM SR (TID 1500) of
 * the current truth's lesions, for the project lead.
 */
import { and, eq } from 'drizzle-orm';
import { getDb } from '../../db/index.ts';
import { cases, patients } from '../../db/schema.ts';
import { AppError } from '../../domain/errors.ts';
import { isUuid } from '../../domain/vocabulary.ts';
import { lesionsToSr, uidForUrl } from '../../formats/dicom-sr.ts';
import { isLesionList, type Lesion } from '../../workflows/marks.ts';
import { currentTruth } from './truth.server.ts';

const noLesions = () => new AppError('not_found', 'This case has no lesions in its truth.');

/** Every lesion of the case's current truth (all marks items, all subjects), in order. */
export async function caseTruthLesions({
  projectId,
  caseId,
}: {
  projectId: string;
  caseId: string;
}): Promise<{ lesions: Lesion[]; studyInstanceUid: string | null; patient: string; studyDate: string }> {
  if (!isUuid(caseId)) throw noLesions();
  const [c] = await getDb()
    .select({ id: cases.id, studyInstanceUid: cases.studyInstanceUid, studyDate: cases.studyDate, patient: patients.pseudonym })
    .from(cases)
    .innerJoin(patients, eq(patients.id, cases.patientId))
    .where(and(eq(cases.id, caseId), eq(cases.projectId, projectId)));
  if (!c) throw noLesions();
  const lesions: Lesion[] = [];
  for (const t of await currentTruth({ caseIds: [caseId] })) {
    if (t.state !== 'verified' && t.state !== 'pending') continue;
    for (const v of Object.values((t.value ?? {}) as Record<string, unknown>)) if (isLesionList(v)) lesions.push(...v);
  }
  return { lesions, studyInstanceUid: c.studyInstanceUid, patient: c.patient, studyDate: c.studyDate };
}

export async function caseMarksSr({ projectId, caseId }: { projectId: string; caseId: string }): Promise<Buffer> {
  const t = await caseTruthLesions({ projectId, caseId });
  if (!t.lesions.length) throw noLesions();
  // The SR's series and instance UIDs are derived from the case, so a re-export names the same report.
  return lesionsToSr(
    {
      studyInstanceUid: t.studyInstanceUid ?? uidForUrl(`case:${caseId}`),
      patientId: t.patient,
      studyDate: t.studyDate,
      seriesInstanceUid: uidForUrl(`sr-series:${caseId}`),
      sopInstanceUid: uidForUrl(`sr:${caseId}:${JSON.stringify(t.lesions)}`),
    },
    t.lesions,
  );
}
