/** The example rules the reports page offers (its form schemas are in reports.server.ts). */
export const EXAMPLE_RULES = JSON.stringify(
  {
    name: 'chest-ct',
    version: 1,
    findings: [
      { finding: 'pneumothorax', phrases: ['pneumothorax'] },
      { finding: 'effusion', phrases: ['pleural effusion', 'effusion'] },
      { finding: 'nodule', phrases: ['nodule', 'nodules'], patterns: ['\\d+(\\.\\d+)?\\s*mm\\s+nodule'] },
    ],
    triggers: { add: [], remove: [] },
  },
  null,
  2,
);
