/**
 * Development aid for looking at the diagnostic-accuracy dashboard of the demo reader study
 * (reader-study-ai): on a seeded embedded database, turns the study's reference standard to
 * evidence (a CT report per clinical case), lets both readers read every study case in both arms
 * (better with the AI) and records the CT reports, all through the workflow runtime; then refreshes
 * the dashboard figures. Never run against a real server.
 *
 *   TRUTHLINE_DATA_DIR=… npx tsx scripts/demo-study-evidence.ts
 */
import { and, eq } from 'drizzle-orm';
import { openFromEnv } from '../db/client.ts';
import { installDb } from '../db/index.ts';
import { projects, projectVersions, studyUnits, users } from '../db/schema.ts';
import { sendCaseEvent, getCaseWorkflow } from '../workflows/runtime.ts';
import { countedReads } from '../workflows/machine.ts';
import { getAgreementDashboard } from '../app/models/agreement.server.ts';
import { getAccuracy } from '../app/models/accuracy.server.ts';

const handle = await openFromEnv({ lock: true });
installDb(handle);
const db = handle.db;
const [p] = await db.select().from(projects).where(eq(projects.slug, 'reader-study-ai'));
if (!p) throw new Error('no reader-study-ai project: seed the demo first');
const [v] = await db
  .select()
  .from(projectVersions)
  .where(and(eq(projectVersions.projectId, p.id), eq(projectVersions.version, 1)));
await db
  .update(projectVersions)
  .set({
    referenceStandard: { ...(v.referenceStandard as object), source: 'evidence', panelField: undefined },
    mapping: {
      ...(v.mapping as object),
      rules: [
        { kind: 'report', resultCodes: ['ptx'], value: true, requiresWindow: false },
        { kind: 'report', resultCodes: ['no_ptx'], value: false, requiresWindow: false },
      ],
    },
  })
  .where(and(eq(projectVersions.projectId, p.id), eq(projectVersions.version, 1)));
const id = async (email: string) => (await db.select().from(users).where(eq(users.email, email)))[0].id;
const [lead, adj, r1, r2] = [await id('lead@example.org'), await id('adjudicator@example.org'), await id('reader1@example.org'), await id('reader2@example.org')];
const units = (
  await db
    .select()
    .from(studyUnits)
    .where(and(eq(studyUnits.projectId, p.id), eq(studyUnits.kind, 'study')))
).sort((a, b) => a.sourceKey.localeCompare(b.sourceKey));
const keys = [...new Set(units.map((u) => u.sourceKey))];
const positive = (k: string) => [0, 2, 5, 6].includes(keys.indexOf(k));
let seed = 11;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
let n = 0;
const T = Date.parse('2026-01-05T09:00:00Z');
const at = (d: number) => new Date(T + d * 86_400_000 + (n % 50) * 60_000).toISOString();
for (const u of units) {
  const aided = u.arm === 'aided';
  for (const [j, reader] of [r1, r2].entries()) {
    const right = rnd() < (aided ? 0.9 : 0.7);
    const answer = right ? positive(u.sourceKey) : !positive(u.sourceKey);
    await sendCaseEvent({
      db,
      caseId: u.caseId,
      actorId: reader,
      at: at(aided ? 40 + j : 2 + j),
      clientRequestId: `demo-ev-${++n}`,
      event: { type: 'read.submit', values: { pneumothorax: answer }, confidence: 70, timeSpentMs: 30_000 },
    });
  }
  const wf = await getCaseWorkflow({ caseId: u.caseId, db });
  if (wf?.state === 'adjudication') {
    const pick = countedReads(wf.context).find((x) => x.values?.pneumothorax === positive(u.sourceKey));
    if (pick)
      await sendCaseEvent({
        db,
        caseId: u.caseId,
        actorId: adj,
        at: at(60),
        clientRequestId: `demo-ev-${++n}`,
        event: { type: 'adjudication.decide', pickReadId: pick.id, rationale: 'Reviewed.' },
      });
  }
}
for (const u of units.filter((x) => x.arm === 'unaided'))
  await sendCaseEvent({
    db,
    caseId: u.caseId,
    actorId: lead,
    at: at(70),
    clientRequestId: `demo-ev-${++n}`,
    event: { type: 'evidence.record', kind: 'report', date: '2026-03-01', resultCode: positive(u.sourceKey) ? 'ptx' : 'no_ptx', text: 'CT chest.' },
  });
const dash = await getAgreementDashboard({ projectId: p.id, version: 1, db });
if (dash) await getAccuracy({ projectId: p.id, version: dash.version, db });
await handle.close();
console.log(`reader-study-ai: ${units.length} study units read by 2 readers, ${keys.length} CT reports`);
