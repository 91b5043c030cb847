/** The two demo projects: their reader forms, reference standards and policies. */
import type { ProjectDefinition } from '../workflows/definition.ts';
import { DEFAULT_EVIDENCE_PRECEDENCE } from '../domain/vocabulary.ts';

export const pneumothoraxDefinition: ProjectDefinition = {
  readerForm: {
    findings: [],
    fields: [
      {
        kind: 'binary',
        key: 'pneumothorax',
        label: 'Pneumothorax present?',
        help: 'Any visible pleural line with absent lung markings beyond it.',
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
    outcome: { key: 'pneumothorax', label: 'Pneumothorax', positiveLabel: 'Present', negativeLabel: 'Absent' },
    source: 'panel',
    panelField: 'pneumothorax',
  },
  mapping: { rules: [], precedence: [...DEFAULT_EVIDENCE_PRECEDENCE] },
  truthPolicy: {
    readersPerCase: 2,
    rules: {},
    defaultRule: { type: 'unanimous' },
    onDisagreement: 'adjudicate',
    adjudication: { mode: 'single', panelSize: 1 },
    cannotAssessLimit: 2,
    blinding: { revealAfterFinish: false, maskReaderIdentities: true },
    informedTruthing: false,
    assignmentExpiryHours: 72,
  },
};

const birads = [
  { value: '1', label: '1 — Negative', description: 'Nothing to comment on.' },
  { value: '2', label: '2 — Benign', description: 'Definitely benign findings.' },
  { value: '3', label: '3 — Probably benign', description: '≤ 2% likelihood of malignancy; short-interval follow-up.' },
  { value: '4', label: '4 — Suspicious', description: '2–95% likelihood of malignancy; biopsy advised.' },
  { value: '5', label: '5 — Highly suggestive of malignancy', description: '≥ 95% likelihood of malignancy.' },
];

export const mammographyDefinition: ProjectDefinition = {
  readerForm: {
    findings: [
      { key: 'left', label: 'Left breast' },
      { key: 'right', label: 'Right breast' },
    ],
    fields: [
      {
        kind: 'ordinal',
        key: 'birads',
        label: 'BI-RADS assessment',
        help: 'Final assessment category for this breast.',
        scope: 'finding',
        required: true,
        options: birads,
        outsideScale: [{ value: '0', label: '0 — Incomplete', description: 'Needs additional imaging evaluation.' }],
      },
    ],
    confidence: true,
    comment: true,
  },
  referenceStandard: {
    level: 'finding',
    outcome: { key: 'malignant_12m', label: 'Malignant within 12 months', positiveLabel: 'Malignant', negativeLabel: 'Not malignant' },
    source: 'evidence',
  },
  mapping: {
    rules: [
      { kind: 'pathology', resultCodes: ['malignant'], value: true, requiresWindow: false },
      { kind: 'surgery', resultCodes: ['malignant'], value: true, requiresWindow: false },
      { kind: 'pathology', resultCodes: ['benign'], value: false, requiresWindow: false },
      { kind: 'follow_up', resultCodes: ['negative'], value: false, requiresWindow: true },
    ],
    precedence: [...DEFAULT_EVIDENCE_PRECEDENCE],
  },
  truthPolicy: {
    readersPerCase: 2,
    rules: { birads: { type: 'ordinal_distance', d: 1, thresholds: [['3', '4']] } },
    defaultRule: { type: 'unanimous' },
    onDisagreement: 'adjudicate',
    adjudication: { mode: 'single', panelSize: 1 },
    cannotAssessLimit: 2,
    followUpWindow: { startDays: 0, endDays: 365, onClose: 'unverified' },
    blinding: { revealAfterFinish: false, maskReaderIdentities: true },
    informedTruthing: true,
    assignmentExpiryHours: 72,
  },
};
