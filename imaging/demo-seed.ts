/**
 * The demo's DICOM: each demo case's study is written as Part 10 files under
 * <data dir>/demo-images and referenced from the case as /demo-images/<file>, which the app serves
 * only through the case's access-checked image path. Also the demo's chest CT project and the
 * hanging protocols of the demo projects.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ProjectDefinition } from '../workflows/definition.ts';
import { hangingProtocolSchema, type HangingProtocolInput } from './hanging-protocol.ts';
import { chestStudy, ctStudy, mammoStudy, type DemoObject } from './demo-images.ts';

export type DemoStudy = { kind: 'chest'; pneumothorax: 'none' | 'left' | 'right' } | { kind: 'mammo'; mass: 'left' | 'right' | null } | { kind: 'ct'; nodule: boolean };

export function writeDemoStudy(opts: {
  dir: string;
  slug: string;
  caseNo: string;
  studyUid: string;
  studyDate: string;
  accession: string;
  patientId: string;
  seed: number;
  study: DemoStudy;
}): string[] {
  const s = { studyUid: opts.studyUid, studyDate: opts.studyDate, accession: opts.accession, patientId: opts.patientId, seed: opts.seed };
  const st = opts.study;
  const objects: DemoObject[] = st.kind === 'chest' ? chestStudy(s, st.pneumothorax) : st.kind === 'mammo' ? mammoStudy(s, st.mass) : ctStudy(s, 20, st.nodule);
  fs.mkdirSync(opts.dir, { recursive: true });
  return objects.map((o) => {
    const file = `${opts.slug}-${opts.caseNo}-${o.name}`;
    fs.writeFileSync(path.join(opts.dir, file), o.bytes);
    return `/demo-images/${file}`;
  });
}

export const MAMMO_PROTOCOL: HangingProtocolInput = {
  name: 'Screening mammography 2×2',
  rows: 2,
  columns: 2,
  viewports: [
    { label: 'R CC', match: { ImageLaterality: 'R', ViewPosition: 'CC' }, align: 'right' },
    { label: 'L CC', match: { ImageLaterality: 'L', ViewPosition: 'CC' }, align: 'left' },
    { label: 'R MLO', match: { ImageLaterality: 'R', ViewPosition: 'MLO' }, align: 'right' },
    { label: 'L MLO', match: { ImageLaterality: 'L', ViewPosition: 'MLO' }, align: 'left' },
  ],
};

export const CHEST_PROTOCOL: HangingProtocolInput = {
  name: 'Chest PA | lateral',
  rows: 1,
  columns: 2,
  viewports: [
    { label: 'PA', match: { ViewPosition: 'PA' } },
    { label: 'Lateral', match: { ViewPosition: 'LL' } },
  ],
};

export const CT_PROTOCOL: HangingProtocolInput = { name: 'CT stack', rows: 1, columns: 1, viewports: [{ label: 'Axial', match: { Modality: 'CT' }, stack: true }] };

export function withProtocol(def: ProjectDefinition, hangingProtocol: HangingProtocolInput): ProjectDefinition {
  return { ...def, readerForm: { ...def.readerForm, hangingProtocol: hangingProtocolSchema.parse(hangingProtocol) } };
}

export const ctNoduleDefinition = (base: ProjectDefinition): ProjectDefinition =>
  withProtocol(
    {
      ...base,
      readerForm: {
        findings: [],
        fields: [
          {
            kind: 'binary',
            key: 'nodule',
            label: 'Lung nodule present?',
            help: 'A solid nodule of 4 mm or more.',
            scope: 'case',
            required: true,
            trueLabel: 'Present',
            falseLabel: 'Absent',
          },
        ],
        confidence: true,
        comment: true,
      },
      referenceStandard: {
        level: 'case',
        outcome: { key: 'nodule', label: 'Lung nodule', positiveLabel: 'Present', negativeLabel: 'Absent' },
        source: 'panel',
        panelField: 'nodule',
      },
    },
    CT_PROTOCOL,
  );
