/** Constants the lead's pages render (their form schemas are in lead.server.ts, out of the browser). */
import { STATE_LABEL as WORKFLOW_STATE_LABEL, WORKFLOW_STATES } from '../../domain/workflow-states.ts';

export { WORKFLOW_STATES };
export { TRUTH_STATES } from '../../domain/vocabulary.ts';
export const STATE_LABEL: Record<string, string> = { ...WORKFLOW_STATE_LABEL, none: 'Not started' };
export const MANIFEST_COLUMNS = ['case_id', 'patient_id', 'study_date', 'modality', 'body_part', 'split', 'images'] as const;
export const PART_LABEL: Record<'readerForm' | 'referenceStandard' | 'mapping' | 'truthPolicy', string> = {
  readerForm: 'Reader form',
  referenceStandard: 'Reference standard',
  mapping: 'Mapping (evidence → reference)',
  truthPolicy: 'Truth policy',
};

export const SLUG_RE = /^[a-z0-9][a-z0-9-]{1,62}$/;
export const TEMPLATES = ['binary_panel', 'birads_evidence', 'blank'] as const;

export const DEFINITION_PARTS = ['readerForm', 'referenceStandard', 'mapping', 'truthPolicy'] as const;
export type DefinitionPart = (typeof DEFINITION_PARTS)[number];
