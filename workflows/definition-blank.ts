/**
 * The blank starting point for a new project: the smallest definition the schemas accept (one
 * yes/no question whose panel consensus is the truth), meant to be rebuilt in the definition editor.
 */
import { DEFAULT_EVIDENCE_PRECEDENCE } from '../domain/vocabulary.ts';
import type { ProjectDefinition } from './definition.ts';

export const BLANK_DEFINITION: ProjectDefinition = {
  readerForm: {
    findings: [],
    fields: [{ kind: 'binary', key: 'finding', label: 'Finding present?', scope: 'case', required: true, trueLabel: 'Yes', falseLabel: 'No' }],
    confidence: false,
    comment: true,
  },
  referenceStandard: { level: 'case', outcome: { key: 'finding', label: 'Finding', positiveLabel: 'Positive', negativeLabel: 'Negative' }, source: 'panel', panelField: 'finding' },
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
