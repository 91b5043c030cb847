/**
 * The demo reader study: chest radiographs read unaided and aided by a (made-up) AI
 * model, fully crossed by Reader One and Reader Two, counterbalanced, 28-day washout, a quarter
 * of the cases re-read blind, two calibration cases first. AI results and reading units are set
 * up as the lead would (the import model and the study page's set-up).
 */
import type { Db, Tx } from '../db/client.ts';
import { cases, patients, projectMembers, projects, projectVersions } from '../db/schema.ts';
import { writeAudit } from '../db/audit.ts';
import { writeDemoStudy, withProtocol, CHEST_PROTOCOL } from '../imaging/demo-seed.ts';
import { pneumothoraxDefinition } from './demo-projects.ts';
import { rng } from './images.ts';
import { startCaseWorkflow } from '../workflows/runtime.ts';
import { setUpStudyUnits } from '../app/models/study.server.ts';
import { importAiResults } from '../app/models/ai-results.server.ts';
import type { ProjectDefinition } from '../workflows/definition.ts';

export const DEMO_STUDY_SLUG = 'reader-study-ai';

const definition: ProjectDefinition = {
  ...withProtocol(pneumothoraxDefinition, CHEST_PROTOCOL),
  study: {
    design: 'fully_crossed',
    arms: [
      { key: 'unaided', label: 'Unaided', aided: false },
      { key: 'aided', label: 'Aided by AI', aided: true },
    ],
    armOrder: 'counterbalanced',
    groups: 1,
    washoutDays: 28,
    order: 'random',
    rereadShare: 0.25,
    rereadArms: 'first',
    skipRules: { image_quality: 'deferred', missing_series: 'deferred', conflict_of_interest: 'excluded' },
    maxDeferrals: 2,
  },
};

export async function seedDemoStudy({ db, ids, imgDir }: { db: Db; ids: Record<string, string>; imgDir: string }) {
  const lead = ids['lead@example.org'];
  const r = rng(4242);
  const truth: boolean[] = [];
  const projectId = await db.transaction(async (tx) => {
    const [project] = await tx
      .insert(projects)
      .values({
        slug: DEMO_STUDY_SLUG,
        name: 'Reader study — pneumothorax with and without AI',
        description: 'A fully crossed two-arm reader study: each reader reads every case unaided and aided by an AI model, 28 days apart, in their own random order.',
        licence: 'CC BY 4.0 (synthetic demo images)',
        ownerId: lead,
      })
      .returning();
    await tx.insert(projectVersions).values({ projectId: project.id, version: 1, ...definition, note: 'Initial version (reader study)', createdBy: lead });
    for (const [email, role] of [
      ['lead@example.org', 'lead'],
      ['adjudicator@example.org', 'adjudicator'],
      ['reader1@example.org', 'reader'],
      ['reader2@example.org', 'reader'],
    ] as const)
      await tx.insert(projectMembers).values({ projectId: project.id, userId: ids[email], role });
    await writeAudit(tx, { actorId: lead, action: 'project.create', projectId: project.id, details: { slug: DEMO_STUDY_SLUG, seeded: true } });
    for (let i = 0; i < 10; i++) {
      const caseNo = String(i + 1).padStart(3, '0');
      const ptx = r() < 0.4 ? (r() < 0.5 ? 'left' : 'right') : 'none';
      truth.push(ptx !== 'none');
      const [pt] = await tx
        .insert(patients)
        .values({ projectId: project.id, pseudonym: `RS-P${caseNo}` })
        .returning();
      const studyDate = `2025-0${1 + (i % 9)}-1${i % 10}`;
      const studyUid = `1.2.826.0.1.3680043.10.1234.9.${i + 1}`;
      const images = writeDemoStudy({
        dir: imgDir,
        slug: DEMO_STUDY_SLUG,
        caseNo,
        studyUid,
        studyDate,
        accession: `RS-ACC-${caseNo}`,
        patientId: `RS-P${caseNo}`,
        seed: 6151 * (i + 1),
        study: { kind: 'chest', pneumothorax: ptx },
      });
      // The first two are calibration cases: their answer is known and shown after the read.
      const calibration =
        i < 2
          ? {
              calibration_truth: { pneumothorax: ptx !== 'none' },
              calibration_explanation:
                ptx !== 'none' ? `A visible pleural line on the ${ptx} with no lung markings beyond it.` : 'Lung markings reach the chest wall on both sides: no pneumothorax.',
            }
          : {};
      const [c] = await tx
        .insert(cases)
        .values({
          projectId: project.id,
          patientId: pt.id,
          projectVersion: 1,
          externalId: `RS-ACC-${caseNo}`,
          studyInstanceUid: studyUid,
          studyDate,
          modality: 'DX',
          bodyPart: 'CHEST',
          metadata: { view: 'PA + lateral', ...calibration },
          images,
        })
        .returning();
      await startCaseWorkflow({ tx: tx as unknown as Tx, caseId: c.id, actorId: lead });
    }
    return project.id;
  });
  await setUpStudyUnits({ projectId, actorId: lead, db });
  // A model that is right most of the time, with a score to match.
  const rows = truth.slice(2).map((t, k) => {
    const right = r() < 0.85;
    const positive = right ? t : !t;
    const score = positive ? 0.6 + 0.39 * r() : 0.4 * r();
    return {
      case_id: `RS-ACC-${String(k + 3).padStart(3, '0')}`,
      model_name: 'PTX-Net',
      model_version: '2.1',
      score: Number(score.toFixed(3)),
      label: positive ? 'pneumothorax' : 'no pneumothorax',
    };
  });
  await importAiResults({ projectId, actorId: lead, format: 'json', text: JSON.stringify(rows), db });
  return projectId;
}
