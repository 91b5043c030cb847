/**
 * One case for the API, shaped by who asks. Leads see everything. Readers go through
 * getReaderCase (app/models/reading.server.ts), the reader page's own blinding: a case they
 * neither hold nor read is invisible (404); other reads, the state and the truth appear only
 * when the project reveals them after finishing and the case is decided.
 */
import type { z } from 'zod';
import { getReaderCase } from '../models/reading.server.ts';
import { getCase } from '../models/cases.server.ts';
import { visibleReads } from '../models/cases-reads.server.ts';
import { currentTruth } from '../models/truth.server.ts';
import { readToJson, truthByCase } from './serialisers.ts';
import { AppError } from '../../domain/errors.ts';
import type { ApiProjectAccess } from './auth.server.ts';
import { ApiError } from './http.server.ts';
import type { caseDetailSchema } from './schemas.ts';

type CaseDetail = z.infer<typeof caseDetailSchema>;

export async function caseView({ access, caseId }: { access: ApiProjectAccess; caseId: string | undefined }): Promise<CaseDetail> {
  const notFound = new ApiError('not_found', 'There is no such case in this project, or it is not visible to you.');
  const kase = await getCase({ projectId: access.project.id, caseId });
  if (!kase) throw notFound;
  const c = kase.c;
  // Consent withdrawn: neither the patient, the study date nor any read is served again.
  if (c.withdrawnAt) throw new ApiError('not_found', 'This case was withdrawn from the project; its data is no longer served.');
  if (access.roles.includes('lead')) {
    const truth = truthByCase([c.id], await currentTruth({ caseIds: [c.id] }));
    return {
      case: {
        id: c.id,
        study_date: c.studyDate,
        modality: c.modality,
        body_part: c.bodyPart,
        images: c.images,
        case_id: c.externalId,
        patient_id: kase.patient,
        split: kase.split,
      },
      state: kase.state ?? null,
      revealed: true,
      reads: (await visibleReads({ caseId: c.id, viewerId: access.user.id, scope: 'all', mask: false })).map(readToJson),
      truth: truth.get(c.id) ?? [],
    };
  }
  let view;
  try {
    view = await getReaderCase({ projectId: access.project.id, caseId: c.id, userId: access.user.id });
  } catch (e) {
    if (e instanceof AppError && e.code === 'not_found') throw notFound;
    throw e;
  }
  const revealed = view.revealed !== null;
  return {
    case: { id: c.id, study_date: view.case.studyDate, modality: view.case.modality, body_part: view.case.bodyPart, images: view.case.images },
    state: revealed ? (kase.state ?? null) : null,
    revealed,
    reads: (await visibleReads({ caseId: c.id, viewerId: access.user.id, scope: revealed ? 'all' : 'own', mask: kase.maskIdentities })).map(readToJson),
    truth: revealed ? (truthByCase([c.id], await currentTruth({ caseIds: [c.id] })).get(c.id) ?? []) : null,
  };
}
