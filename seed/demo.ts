/**
 * The demo: accounts of DESIGN.md and two projects with generated images. Seeded only on an
 * empty embedded database, with TRUTHLINE_DEMO=1, or by `truthline seed`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { cases, findings, patients, projectMembers, projects, projectVersions, users } from '../db/schema.ts';
import { hashPassword } from '../db/password.ts';
import { writeAudit } from '../db/audit.ts';
import { rng } from './images.ts';
import { writeDemoStudy, withProtocol, MAMMO_PROTOCOL, CHEST_PROTOCOL, ctNoduleDefinition } from '../imaging/demo-seed.ts';
import { mammographyDefinition, pneumothoraxDefinition } from './demo-projects.ts';
import { startCaseWorkflow } from '../workflows/runtime.ts';
import type { Tx } from '../db/client.ts';
import { simulateDemoActivity, type DemoTruth } from './demo-activity.ts';
import { seedDemoStudy } from './demo-study.ts';
import { seedDemoMarks } from './demo-marks.ts';

export const DEMO_PASSWORD = 'truthline-demo';
export const DEMO_ACCOUNTS = [
  { email: 'admin@example.org', name: 'Ada Admin', admin: true, note: 'administrator (accounts only)' },
  { email: 'lead@example.org', name: 'Lee Lead', admin: false, note: 'project lead of both projects' },
  { email: 'adjudicator@example.org', name: 'Adi Adjudicator', admin: false, note: 'adjudicator in both projects' },
  { email: 'reader1@example.org', name: 'Reader One', admin: false, note: 'reader' },
  { email: 'reader2@example.org', name: 'Reader Two', admin: false, note: 'reader' },
  { email: 'reader3@example.org', name: 'Reader Three', admin: false, note: 'reader' },
  { email: 'reader4@example.org', name: 'Reader Four', admin: false, note: 'reader' },
] as const;

function splitFor(i: number): 'train' | 'validation' | 'test' {
  const m = i % 10;
  return m < 7 ? 'train' : m < 8 ? 'validation' : 'test';
}

function isoDate(base: Date, addDays: number) {
  return new Date(base.getTime() + addDays * 86400_000).toISOString().slice(0, 10);
}

export async function seedDemo(opts: { db: Db; dataDir: string; activity?: boolean }) {
  const { db } = opts;
  const imgDir = path.join(opts.dataDir, 'demo-images');
  fs.mkdirSync(imgDir, { recursive: true });
  const hash = await hashPassword(DEMO_PASSWORD);
  const ids: Record<string, string> = {};
  const truthByCase = new Map<string, DemoTruth>();
  const ptxChoice: ('none' | 'left' | 'right')[] = [];
  const massChoice: ('left' | 'right' | null)[] = [];
  const ptxOf = (i: number) => ptxChoice[i];
  const massOf = (i: number) => massChoice[i];

  await db.transaction(async (tx) => {
    for (const a of DEMO_ACCOUNTS) {
      const id = randomUUID();
      ids[a.email] = id;
      await tx.insert(users).values({ id, email: a.email, name: a.name, passwordHash: hash, isAdmin: a.admin, canCreateProjects: a.email === 'lead@example.org' });
    }
    const lead = ids['lead@example.org'];
    const specs = [
      {
        slug: 'chest-pneumothorax',
        name: 'Chest radiograph — pneumothorax',
        description: 'Is there a pneumothorax? Two blinded readers; disagreements go to the adjudicator. The reader panel is the truth.',
        definition: withProtocol(pneumothoraxDefinition, CHEST_PROTOCOL),
        modality: 'DX',
        bodyPart: 'CHEST',
        prefix: 'CXR',
      },
      {
        slug: 'mammo-birads',
        name: 'Screening mammography — BI-RADS',
        description:
          'BI-RADS per breast from two readers (adjudication beyond one category or across 3|4). Truth: malignant within 12 months, from pathology or a negative follow-up exam within 365 days.',
        definition: withProtocol(mammographyDefinition, MAMMO_PROTOCOL),
        modality: 'MG',
        bodyPart: 'BREAST',
        prefix: 'MG',
      },
      {
        slug: 'chest-ct-nodule',
        name: 'Chest CT — lung nodule',
        description: 'Is there a lung nodule of 4 mm or more? A small CT demo: scroll the series with the wheel. Two blinded readers; disagreements go to the adjudicator.',
        definition: ctNoduleDefinition(pneumothoraxDefinition),
        modality: 'CT',
        bodyPart: 'CHEST',
        prefix: 'CT',
        cases: 4,
      },
    ];
    for (const [p, spec] of specs.entries()) {
      const [project] = await tx
        .insert(projects)
        .values({ slug: spec.slug, name: spec.name, description: spec.description, licence: 'CC BY 4.0 (synthetic demo images)', ownerId: lead })
        .returning();
      await tx.insert(projectVersions).values({ projectId: project.id, version: 1, ...spec.definition, note: 'Initial version', createdBy: lead });
      const members: { email: string; role: 'reader' | 'adjudicator' | 'lead' }[] = [
        { email: 'lead@example.org', role: 'lead' },
        { email: 'adjudicator@example.org', role: 'adjudicator' },
        ...[1, 2, 3, 4].map((n) => ({ email: `reader${n}@example.org`, role: 'reader' as const })),
      ];
      for (const m of members) await tx.insert(projectMembers).values({ projectId: project.id, userId: ids[m.email], role: m.role });
      await writeAudit(tx, { actorId: lead, action: 'project.create', projectId: project.id, details: { slug: spec.slug, seeded: true } });

      const r = rng(1000 + p);
      const patientIds: string[] = [];
      for (let i = 0; i < 32; i++) {
        const [pt] = await tx
          .insert(patients)
          .values({ projectId: project.id, pseudonym: `${spec.prefix}-P${String(i + 1).padStart(3, '0')}`, split: splitFor(i) })
          .returning();
        patientIds.push(pt.id);
      }
      for (let i = 0; i < ((spec as { cases?: number }).cases ?? 45); i++) {
        const caseNo = String(i + 1).padStart(3, '0');
        const patientId = patientIds[i < 32 ? i : Math.floor(r() * 32)];
        const studyDate = isoDate(new Date(Date.UTC(2025, 0, 6)), Math.floor(i * 7 + r() * 5));
        const studyInstanceUid = `1.2.826.0.1.3680043.10.1234.${p + 1}.${i + 1}`;
        const study = {
          dir: imgDir,
          slug: spec.slug,
          caseNo,
          studyUid: studyInstanceUid,
          studyDate,
          accession: `${spec.prefix}-ACC-${caseNo}`,
          patientId: `${spec.prefix}-P${String((i % 32) + 1).padStart(3, '0')}`,
        };
        let images: string[];
        if (p === 0) {
          const ptx = r() < 0.35 ? (r() < 0.5 ? 'left' : 'right') : 'none';
          ptxChoice[i] = ptx;
          images = writeDemoStudy({ ...study, seed: 7919 * (i + 1), study: { kind: 'chest', pneumothorax: ptx } });
        } else if (p === 1) {
          const massSide = r() < 0.3 ? (r() < 0.5 ? 'left' : 'right') : null;
          massChoice[i] = massSide;
          images = writeDemoStudy({ ...study, seed: 104729 * (i + 1), study: { kind: 'mammo', mass: massSide } });
        } else {
          images = writeDemoStudy({ ...study, seed: 3571 * (i + 1), study: { kind: 'ct', nodule: r() < 0.5 } });
        }
        const [c] = await tx
          .insert(cases)
          .values({
            projectId: project.id,
            patientId,
            projectVersion: 1,
            externalId: `${spec.prefix}-ACC-${caseNo}`,
            studyInstanceUid,
            studyDate,
            modality: spec.modality,
            bodyPart: spec.bodyPart,
            metadata: { site: i % 2 ? 'Site A' : 'Site B', view: p === 0 ? 'PA + lateral' : p === 1 ? 'CC + MLO' : 'axial' },
            images,
          })
          .returning();
        for (const f of spec.definition.readerForm.findings) await tx.insert(findings).values({ caseId: c.id, key: f.key, label: f.label });
        await startCaseWorkflow({ tx: tx as unknown as Tx, caseId: c.id, actorId: lead, at: isoAt(studyDate, 0) });
        if (p < 2) truthByCase.set(c.id, { project: spec.slug, index: i, studyDate, truth: p === 0 ? { ptx: ptxOf(i) } : { mass: massOf(i) } });
      }
    }
    await seedDemoMarks({ tx: tx as unknown as Tx, ids, imgDir });
  });
  // Reads, adjudications and decisions go through the workflow runtime, as real ones would.
  if (opts.activity !== false) await simulateDemoActivity({ db, ids, truthByCase });
  await seedDemoStudy({ db, ids, imgDir });
  return ids;
}

function isoAt(date: string, addDays: number) {
  return new Date(Date.parse(`${date}T09:00:00Z`) + addDays * 86400_000).toISOString();
}
