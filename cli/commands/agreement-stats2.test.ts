/** `truthline agreement` with the stats II options (--truth, --truth-from, --patients, --infer, --bootstrap). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from './agreement.ts';
import { validate } from '../../stats/schema.ts';

let dir: string;
const fx = JSON.parse(fs.readFileSync(new URL('../../stats/fixtures/accuracy/accuracy.json', import.meta.url), 'utf8'));
const meas = JSON.parse(fs.readFileSync(new URL('../../stats/fixtures/measurement/measurement.json', import.meta.url), 'utf8'));

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await run(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}
function write(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}
function close(actual: number, expected: number, what: string): void {
  const tol = 1e-9 + 1e-9 * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= tol)) throw new Error(`${what}: got ${actual}, expected ${expected}`);
}

let ratings: string;
let truth: string;
let patients: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'truthline-stats2-'));
  const c = fx.cases.three_class;
  const cats = ['a', 'b', 'c'];
  // Reader A = the fixture's predictions; reader B agrees with the truth except every 5th case.
  const rows = ['case_id,reader_id,label'];
  c.pred.forEach((p: number, i: number) => rows.push(`c${i},A,${cats[p]}`));
  c.truth.forEach((t: number, i: number) => rows.push(`c${i},B,${cats[i % 5 === 0 ? (t + 1) % 3 : t]}`));
  ratings = write('ratings.csv', rows.join('\n') + '\n');
  truth = write('truth.csv', 'case_id,label\n' + c.truth.map((t: number, i: number) => `c${i},${cats[t]}`).join('\n') + '\n');
  patients = write('cases.csv', 'case_id,patient_id,modality\n' + c.patient.map((p: number, i: number) => `c${i},P${p},CT`).join('\n') + '\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('agreement --truth', () => {
  it('scores each reader against the truth file, patient-clustered, and matches sklearn/statsmodels', async () => {
    const r = await cli([ratings, '--truth', truth, '--patients', patients, '--format', 'json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(validate(doc)).toEqual([]);
    const c = fx.cases.three_class;
    const get = (id: string, cat?: string) =>
      doc.statistics.find((e: any) => e.id === id && e.parameters.reader === 'A' && (cat ? e.parameters.category === cat : e.parameters.variant === 'overall'));
    close(get('accuracy').value, c.overall.value, 'accuracy');
    close(get('accuracy').ci.lower, c.overall.cluster_wilson[0], 'accuracy clustered lower');
    close(get('sensitivity', 'b').value, c.per_class[1].sensitivity.value, 'sensitivity b');
    close(get('sensitivity', 'b').se, c.per_class[1].sensitivity.cluster_se, 'sensitivity b cluster se');
    const kappa = doc.statistics.find((e: any) => e.id === 'cohen_kappa' && e.parameters.reader === 'A' && e.parameters.against === 'reference');
    close(kappa.value, c.kappa.none, 'kappa vs reference');
    expect(doc.inference.reference_standard.leave_one_reader_out).toBe(false);
    expect(doc.inference.reference_standard.confusion_rows_reference_columns_reader.A.a.a).toBe(c.confusion.value[0][0]);
  });

  it('leave-one-reader-out when the reference comes from the readers, and says so', async () => {
    const r = await cli([ratings, '--truth-from', 'majority', '--ties', 'first', '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(validate(doc)).toEqual([]);
    expect(doc.inference.reference_standard.leave_one_reader_out).toBe(true);
    expect(doc.inference.reference_standard.note).toMatch(/rebuilt without that reader/);
    const acc = doc.statistics.find((e: any) => e.id === 'accuracy' && e.parameters.reader === 'A' && e.parameters.variant === 'overall');
    expect(acc.notes.join(' ')).toMatch(/leave-one-reader-out/);
    // With two readers, A's reference is B alone.
    expect(acc.parameters.leave_one_reader_out).toBe(true);
  });

  it('reports and leaves out rated cases without truth', async () => {
    const t = write('truth-partial.csv', fs.readFileSync(truth, 'utf8').split('\n').slice(0, 11).join('\n') + '\n');
    const r = await cli([ratings, '--truth', t, '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.warnings.join(' ')).toMatch(/rated case\(s\) without a reference left out/);
    const acc = doc.statistics.find((e: any) => e.id === 'accuracy' && e.parameters.reader === 'A' && e.parameters.variant === 'overall');
    expect(acc.n.cases).toBe(10);
  });

  it('bad truth input exits 2 with the line and what is wrong', async () => {
    const unknownCase = write('t1.csv', 'case_id,label\nc0,a\nnope,b\n');
    let r = await cli([ratings, '--truth', unknownCase]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/t1\.csv:3: case "nope" has no ratings/);
    const badLabel = write('t2.csv', 'case_id,label\nc0,zebra\n');
    r = await cli([ratings, '--truth', badLabel]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/t2\.csv:2: unknown category "zebra"/);
    const noCol = write('t3.csv', 'case,label\nc0,a\n');
    r = await cli([ratings, '--truth', noCol]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/t3\.csv:1: missing column case_id/);
    r = await cli([ratings, '--bootstrap', '10']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--seed/);
    r = await cli([ratings, '--truth', truth, '--truth-from', 'majority']);
    expect(r.code).toBe(2);
  });
});

describe('agreement --infer and --bootstrap', () => {
  it('adds majority and Dawid–Skene to "inference" and seeded bootstrap CIs to every entry', async () => {
    const args = [ratings, '--truth', truth, '--patients', patients, '--infer', '--bootstrap', '60', '--seed', '7', '--cluster-by-patient', '--format', 'json'];
    const r = await cli(args);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(validate(doc)).toEqual([]);
    expect(Object.keys(doc.inference.dawid_skene.class_prior)).toEqual(['a', 'b', 'c']);
    expect(doc.inference.dawid_skene.confusion.A.a).toHaveProperty('b');
    expect(doc.inference.dawid_skene.posterior_categories).toEqual(['a', 'b', 'c']);
    expect(doc.inference.case_ids[0]).toBe('c0');
    expect(doc.inference.dawid_skene.posterior[0]).toHaveLength(3);
    expect(doc.inference.dawid_skene.labels).toHaveLength(doc.inference.case_ids.length);
    expect(doc.inference.majority.tie_policy).toBe('unresolved');
    expect(doc.inference.bootstrap).toMatchObject({ replicates: 60, seed: 7, unit: 'clusters' });
    const fleiss = doc.statistics.find((e: any) => e.id === 'fleiss_kappa');
    expect(fleiss.bootstrap.percentile.lower).toBeLessThan(fleiss.value);
    expect(fleiss.bootstrap.bca).not.toBeNull();
    // Same seed, same document.
    expect((await cli(args)).out).toBe(r.out);
  });

  it('resamples readers too on request', async () => {
    const r = await cli([ratings, '--bootstrap', '30', '--seed', '3', '--resample-readers', '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(validate(doc)).toEqual([]);
    expect(doc.inference.bootstrap.readers_resampled).toBe(true);
  });

  it('interval level adds ICC, Kendall W, Bland–Altman and Lin CCC (as R psych / irr)', async () => {
    const m = meas.datasets.shrout_fleiss.matrix as number[][];
    const rows = ['case_id,reader_id,label'];
    m.forEach((row, i) => row.forEach((v, j) => rows.push(`s${i + 1},J${j + 1},${v}`)));
    const f = write('sf.csv', rows.join('\n') + '\n');
    const r = await cli([f, '--level', 'interval', '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(validate(doc)).toEqual([]);
    for (const ref of meas.datasets.shrout_fleiss.icc.psych) {
      const e = doc.statistics.find((x: any) => x.id === 'icc' && x.parameters.form === ref.form);
      close(e.value, ref.value, ref.form);
      close(e.ci.lower, ref.lower, `${ref.form} lower`);
      expect(e.interpretation.scale).toMatch(/Koo & Li/);
    }
    close(doc.statistics.find((x: any) => x.id === 'kendall_w').value, meas.datasets.shrout_fleiss.kendall.value, 'W');
    const ccc = doc.statistics.find((x: any) => x.id === 'lin_ccc' && x.parameters.raters.join() === 'J1,J2');
    close(ccc.value, meas.datasets.shrout_fleiss.pairs_1_2.ccc.value, 'ccc');
    const bias = doc.statistics.find((x: any) => x.id === 'bland_altman' && x.parameters.variant === 'bias' && x.parameters.raters.join() === 'J1,J2');
    close(bias.value, meas.datasets.shrout_fleiss.pairs_1_2.bland_altman.bias, 'bias');
    const table = await cli([f, '--level', 'interval']);
    expect(table.out).toMatch(/icc\s+ICC\(A,1\)/);
  });
});
