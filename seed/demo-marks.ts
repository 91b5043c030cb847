/**
 * The demo of marks on images: a small mammography project whose readers mark each
 * lesion (point or box) with its own BI-RADS and type; marks of the two readers are matched by
 * location (case@4) and lesions in dispute go to the adjudicator one by one. Four-view DICOM
 * mammograms hung as the screening protocol, so marks are tied to each view's SOP Instance UID and
 * carry its pixel spacing. No simulated activity: the cases wait.
 */
import type { Tx } from '../db/client.ts';
import { cases, patients, projectMembers, projects, projectVersions } from '../db/schema.ts';
import { writeAudit } from '../db/audit.ts';
import { DEFAULT_EVIDENCE_PRECEDENCE } from '../domain/vocabulary.ts';
import type { ProjectDefinition } from '../workflows/definition.ts';
import { startCaseWorkflow } from '../workflows/runtime.ts';
import { MAMMO_PROTOCOL, withProtocol, writeDemoStudy } from '../imaging/demo-seed.ts';

const birads = ['1', '2', '3', '4', '5'].map((v) => ({ value: v, label: `BI-RADS ${v}` }));

const marksForm: ProjectDefinition = {
  readerForm: {
    findings: [],
    fields: [{ kind: 'binary', key: 'recall', label: 'Recall the patient?', scope: 'case', required: true, trueLabel: 'Recall', falseLabel: 'No recall' }],
    marks: [
      {
        key: 'lesions',
        label: 'Lesions',
        help: 'Mark each lesion: P point, B box. Answer its type and BI-RADS. No mark = no lesion.',
        scope: 'case',
        required: false,
        tools: ['point', 'box', 'ellipse', 'polygon'],
        fields: [
          {
            kind: 'nominal',
            key: 'type',
            label: 'Type',
            scope: 'case',
            required: true,
            options: [
              { value: 'mass', label: 'Mass' },
              { value: 'calcification', label: 'Calcifications' },
              { value: 'distortion', label: 'Architectural distortion' },
            ],
          },
          { kind: 'ordinal', key: 'birads', label: 'BI-RADS', scope: 'case', required: true, options: birads, outsideScale: [] },
        ],
      },
    ],
    confidence: false,
    comment: true,
  },
  referenceStandard: {
    level: 'case',
    outcome: { key: 'recall', label: 'Recall', positiveLabel: 'Recall', negativeLabel: 'No recall' },
    source: 'panel',
    panelField: 'recall',
  },
  mapping: { rules: [], precedence: [...DEFAULT_EVIDENCE_PRECEDENCE] },
  truthPolicy: {
    readersPerCase: 2,
    rules: { birads: { type: 'ordinal_distance', d: 1, thresholds: [['3', '4']] } },
    defaultRule: { type: 'unanimous' },
    onDisagreement: 'adjudicate',
    adjudication: { mode: 'single', panelSize: 1 },
    cannotAssessLimit: 2,
    blinding: { revealAfterFinish: false, maskReaderIdentities: true },
    informedTruthing: false,
    assignmentExpiryHours: 72,
    markRules: { lesions: { radiusPx: 15, iou: 0.3 } },
    // Everyone meets the cases in the same order, so the two readers of the demo mark the same case.
    caseOrder: 'fixed',
  },
};

export const marksDefinition: ProjectDefinition = withProtocol(marksForm, MAMMO_PROTOCOL);

export async function seedDemoMarks(opts: { tx: Tx; ids: Record<string, string>; imgDir: string }) {
  const { tx, ids } = opts;
  const lead = ids['lead@example.org']!;
  const [project] = await tx
    .insert(projects)
    .values({
      slug: 'mammo-marks',
      name: 'Mammography — lesions marked on the images',
      description: 'Readers mark each lesion (point or box) with its type and BI-RADS; marks are matched by location and lesions in dispute go to the adjudicator one by one.',
      licence: 'CC BY 4.0 (synthetic demo images)',
      ownerId: lead,
    })
    .returning();
  await tx.insert(projectVersions).values({ projectId: project!.id, version: 1, ...marksDefinition, note: 'Initial version', createdBy: lead });
  const members = [
    { email: 'lead@example.org', role: 'lead' as const },
    { email: 'adjudicator@example.org', role: 'adjudicator' as const },
    ...[1, 2, 3, 4].map((n) => ({ email: `reader${n}@example.org`, role: 'reader' as const })),
  ];
  for (const m of members) await tx.insert(projectMembers).values({ projectId: project!.id, userId: ids[m.email]!, role: m.role });
  await writeAudit(tx, { actorId: lead, action: 'project.create', projectId: project!.id, details: { slug: 'mammo-marks', seeded: true } });
  for (let i = 0; i < 4; i++) {
    const no = String(i + 1).padStart(3, '0');
    const [pt] = await tx
      .insert(patients)
      .values({ projectId: project!.id, pseudonym: `MK-P${no}`, split: 'test' })
      .returning();
    const studyDate = `2025-03-${String(3 + i).padStart(2, '0')}`;
    const studyInstanceUid = `1.2.826.0.1.3680043.10.1234.9.${i + 1}`;
    const images = writeDemoStudy({
      dir: opts.imgDir,
      slug: 'mammo-marks',
      caseNo: no,
      studyUid: studyInstanceUid,
      studyDate,
      accession: `MK-ACC-${no}`,
      patientId: `MK-P${no}`,
      seed: 7001 * (i + 1),
      study: { kind: 'mammo', mass: i % 2 === 0 ? 'left' : null },
    });
    const [c] = await tx
      .insert(cases)
      .values({
        projectId: project!.id,
        patientId: pt!.id,
        projectVersion: 1,
        externalId: `MK-ACC-${no}`,
        studyInstanceUid,
        studyDate,
        modality: 'MG',
        bodyPart: 'BREAST',
        metadata: { site: 'Site A', view: 'CC' },
        images,
      })
      .returning();
    await startCaseWorkflow({ tx, caseId: c!.id, actorId: lead, at: `${studyDate}T09:00:00.000Z` });
  }
}
