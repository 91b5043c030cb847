/** Every job kind the app runs: importing this module registers their handlers with the runner. */
import './models/import.server.ts';
import './models/agreement-refresh.server.ts';
import './models/evidence-import.server.ts';
import './models/evidence-complete.server.ts';
import './models/releases.server.ts';
import './models/export-job.server.ts';
import './models/report-labels.server.ts';
import './models/marks-import.server.ts';
import './models/froc.server.ts';

export const JOB_LABEL: Record<string, string> = {
  'cases.check': 'Check a case manifest',
  'cases.import': 'Import cases',
  'evidence.check': 'Check an evidence file',
  'evidence.import': 'Import evidence',
  'evidence.complete': 'Mark historical evidence complete',
  'export.build': 'Build an export',
  'release.build': 'Make a release',
  'agreement.refresh': 'Recompute the agreement figures',
  'reports.label': 'Label reports with the report rules',
  'reports.record': 'Record reviewed report labels as evidence',
  'marks.check': 'Check a marks file',
  'marks.import': 'Import marks',
  'froc.compute': 'Compute the FROC localisation scores',
};
