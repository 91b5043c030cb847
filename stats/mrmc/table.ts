/** Plain-text table of an MRMC document (the CLI's `--format table`). */
import type { MrmcDocument } from './analysis.ts';
import type { Difference, ArmEstimate } from './or.ts';

const f = (x: number | null, d = 4) => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(d));
const pv = (p: number) => (!Number.isFinite(p) ? '—' : p < 0.0001 ? '<0.0001' : p.toFixed(4));
const ci = (c: [number, number]) => `(${f(c[0])}, ${f(c[1])})`;

function arms(rows: ArmEstimate[]): string[] {
  return rows.map((a) => `    ${a.arm.padEnd(14)} ${f(a.estimate)}  SE ${f(a.se)}  ${a.df === null ? 'z' : `df ${f(a.df, 2)}`}  CI ${ci(a.ci)}`);
}
function diffs(rows: Difference[]): string[] {
  return rows.map(
    (d) =>
      `    ${`${d.arms[0]} − ${d.arms[1]}`.padEnd(14)} ${f(d.estimate)}  SE ${f(d.se)}  ${d.df === null ? `z ${f(d.statistic, 3)}` : `t ${f(d.statistic, 3)} df ${f(d.df, 2)}`}  p ${pv(d.p)}  CI ${ci(d.ci)}`,
  );
}

export function mrmcTable(doc: MrmcDocument): string {
  const { or, design } = doc;
  const L: string[] = [];
  L.push(`MRMC analysis: ${doc.fom.label}; ${doc.method}`);
  L.push(`${design.arms.length} arm(s) × ${design.readers.length} readers × ${design.cases} cases (${design.positive} positive, ${design.negative} negative), fully crossed`);
  L.push('', 'FOM per reader:');
  L.push(`    ${'reader'.padEnd(14)} ${design.arms.map((a) => a.padStart(10)).join(' ')}`);
  for (const r of design.readers) L.push(`    ${r.padEnd(14)} ${design.arms.map((a) => f(or.foms.find((x) => x.arm === a && x.reader === r)!.value).padStart(10)).join(' ')}`);
  L.push('', 'Random readers, random cases (OR, Hillis ddf):');
  if (design.arms.length > 1) L.push(`    F(${or.rrrc.df1}, ${f(or.rrrc.df2, 2)}) = ${f(or.rrrc.F)}, p = ${pv(or.rrrc.p)}`, ...diffs(or.rrrc.differences));
  L.push('  reader-averaged FOM per arm:', ...arms(or.rrrc.arms));
  if (design.arms.length > 1) {
    L.push('', 'Fixed readers, random cases:', `    χ²(${or.frrc.df}) = ${f(or.frrc.chisq)}, p = ${pv(or.frrc.p)}`, ...diffs(or.frrc.differences), ...arms(or.frrc.arms));
    L.push(
      '',
      'Random readers, fixed cases:',
      `    F(${or.rrfc.df1}, ${or.rrfc.df2}) = ${f(or.rrfc.F)}, p = ${pv(or.rrfc.p)}`,
      ...diffs(or.rrfc.differences),
      ...arms(or.rrfc.arms),
    );
  }
  const c = or.components;
  L.push('', 'OR variance components (ANOVA estimates, may be negative):');
  L.push(`    Var(R) ${f(c.varR, 6)}  Var(T×R) ${f(c.varTR, 6)}  Var(error) ${f(c.varError, 6)}`);
  L.push(`    Cov1 ${f(c.cov1, 6)} (r ${f(c.corr1, 3)})  Cov2 ${f(c.cov2, 6)} (r ${f(c.corr2, 3)})  Cov3 ${f(c.cov3, 6)} (r ${f(c.corr3, 3)})`);
  if (doc.dbm) {
    const d = doc.dbm.components;
    L.push('', 'DBM variance components (normalised jackknife pseudovalues):');
    L.push(
      `    Var(R) ${f(d.varR, 6)}  Var(C) ${f(d.varC, 6)}  Var(T×R) ${f(d.varTR, 6)}  Var(T×C) ${f(d.varTC, 6)}  Var(R×C) ${f(d.varRC, 6)}  Var(T×R×C)+error ${f(d.varTRCError, 6)}`,
    );
  }
  return L.join('\n') + '\n';
}
