/**
 * The lead's path as a new user walks it, from an empty project to a released test set: a
 * 1,000-case historical project imported in the background with a progress bar, evidence uploaded
 * in the page, a release refused while cases are pending and then made with the lead's
 * confirmation, its Croissant card valid against the committed context, and the held-back test
 * split downloaded by the one member the lead named, the download logged for the lead.
 */
import { describe, expect, it } from 'vitest';
import { validateCroissant } from '../../formats/croissant.ts';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';

const CASES = 1000;
const header = 'case_id,patient_id,study_date,modality,body_part,split,images';
// Every study is from 2020: the definition's 365-day follow-up window closed long ago.
const manifest = [header, ...Array.from({ length: CASES }, (_, k) => `H${k + 1},P${k + 1},2020-0${1 + (k % 9)}-1${k % 10},MG,BREAST,${k % 5 === 4 ? 'test' : 'train'},`)].join(
  '\n',
);
const evidence = [
  'case_id,finding,kind,date,result_code,text',
  'H5,right,pathology,2020-07-20,benign,Fibroadenoma',
  'H5,left,pathology,2020-07-20,malignant,IDC grade 2',
  'H1,left,pathology,2020-03-01,benign,',
].join('\n');

describe.skipIf(!hasChromium)("the lead's path to a released test set", () => {
  const ctx = useServerAndBrowser();

  it('imports a historical project, uploads evidence, releases with the test split held back, and sees the named download logged', async () => {
    const base = ctx.srv.url;
    const lead = await ctx.browser.newContext({ acceptDownloads: true });
    const page = await lead.newPage();
    await signInAs(page, base, 'lead@example.org');
    await page.waitForURL(`${base}/`);

    await page.goto(`${base}/projects/new`);
    await page.getByLabel('Name').fill('Historical mammography');
    await page.getByLabel('Address').fill('historical-mg');
    await page.getByLabel('Licence of the data').fill('CC-BY-4.0');
    await page.getByLabel(/BI-RADS per breast/).check();
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/\/projects\/historical-mg\//);

    // The manifest: checked in the background, previewed, then imported in the background.
    await page.goto(`${base}/projects/historical-mg/cases/import`);
    await page.getByLabel('Manifest file').setInputFiles({ name: 'historical.csv', mimeType: 'text/csv', buffer: Buffer.from(`${manifest}\n`) });
    await page.getByRole('button', { name: 'Check and preview' }).click();
    const importButton = page.getByRole('button', { name: 'Import 1,000 cases' });
    await importButton.waitFor({ timeout: 120_000 });
    expect(await page.getByText(/1,000 cases are historical/).count()).toBe(1);
    await importButton.click();
    await page.getByRole('progressbar', { name: /^Import cases/ }).waitFor();
    await page.getByText('1,000 cases imported').waitFor({ timeout: 300_000 });
    const bar = page.getByRole('progressbar', { name: 'Import cases: Finished' });
    expect(await bar.getAttribute('value')).toBe('100');
    expect(await page.getByText(/1,000 of them are historical and wait for their evidence/).count()).toBe(1);

    // Evidence in the page: a wrong code is refused with its line and the mapping's codes; then recorded.
    await page.goto(`${base}/projects/historical-mg/evidence`);
    await page.getByLabel('…or paste it here').fill(`${evidence}\nH2,left,pathology,2020-05-01,maybe,\n`);
    await page.getByRole('button', { name: 'Check and preview' }).click();
    const problems = page.getByRole('alert');
    await problems.waitFor({ timeout: 60_000 });
    expect(await problems.textContent()).toMatch(/line 5/i);
    expect(await problems.textContent()).toMatch(/benign/);
    await page.getByLabel('…or paste it here').fill(`${evidence}\n`);
    await page.getByRole('button', { name: 'Check and preview' }).click();
    await page.getByRole('button', { name: 'Record 3 results' }).click({ timeout: 60_000 });
    await page.getByText('3 results recorded for 2 cases').waitFor({ timeout: 120_000 });

    // A member to name for the held-back truth.
    await page.goto(`${base}/projects/historical-mg/members`);
    await page.getByLabel('Email', { exact: true }).fill('reader1@example.org');
    await page.getByLabel('Role', { exact: true }).selectOption('reader');
    await page.getByRole('button', { name: 'Add role' }).click();
    await page
      .getByRole('cell', { name: /reader1@example\.org/ })
      .first()
      .waitFor();

    // Nothing is read yet: a release is refused until the lead confirms the pending cases.
    await page.goto(`${base}/projects/historical-mg/releases`);
    await page.getByText(/Not settled yet/).waitFor();
    await page.getByLabel(/Sequester the test split/).check();
    await page.getByRole('button', { name: 'Make release 1' }).click();
    await page.locator('.field-error').first().waitFor();
    expect(await page.getByText('No release yet.').count()).toBe(1);
    await page.getByLabel(/Release anyway, with 1,?000 cases pending/).check();
    await page.getByLabel(/Sequester the test split/).check();
    await page.getByRole('button', { name: 'Make release 1' }).click();
    await page.getByText(/Release 1 is ready \(test split held back\)/).waitFor({ timeout: 300_000 });
    await page.getByRole('link', { name: 'Open it' }).click();
    await page.getByRole('heading', { name: /Release 1/ }).waitFor();
    expect(await page.getByText(/Released with 1,?000 cases pending/).count()).toBe(1);

    // Its Croissant card validates against the committed Croissant 1.1 context.
    const cardResponse = await page.request.get(`${base}/projects/historical-mg/releases/1/croissant.json`);
    expect(cardResponse.status()).toBe(200);
    const card = (await cardResponse.json()) as Record<string, unknown>;
    expect(validateCroissant(card)).toEqual([]);
    expect(card.license).toMatch(/CC-BY-4.0/);

    // The lead names the reader; the held-back file is theirs to download.
    const heldBack = page
      .locator('tr', { has: page.getByText('held back', { exact: true }) })
      .first()
      .getByRole('link');
    const heldBackName = (await heldBack.textContent())!.trim();
    const member = page.getByLabel('Name a member');
    const option = (await member.locator('option', { hasText: 'reader1@example.org' }).textContent())!;
    await member.selectOption({ label: option });
    await page.getByRole('button', { name: 'Allow download' }).click();
    await page.getByText(/named \d{4}-\d{2}-\d{2}/).waitFor();

    const other = await ctx.browser.newContext({ acceptDownloads: true });
    const readerPage = await other.newPage();
    await signInAs(readerPage, base, 'reader1@example.org');
    await readerPage.waitForURL(`${base}/`);
    await readerPage.goto(`${base}/projects/historical-mg/releases/1`);
    await readerPage.getByText('The lead named you to download this release.').waitFor();
    const [download] = await Promise.all([readerPage.waitForEvent('download'), readerPage.getByRole('link', { name: heldBackName }).click()]);
    const body = await new Promise<string>((resolve, reject) => {
      download
        .createReadStream()
        .then((s) => {
          let text = '';
          s.on('data', (b: Buffer) => (text += b.toString()));
          s.on('end', () => resolve(text));
          s.on('error', reject);
        })
        .catch(reject);
    });
    // Only the test split's cases, H5 among them (every fifth case).
    expect(body).toContain('H5');
    expect(body).not.toMatch(/\bH1\b/);

    // The lead sees who downloaded which file.
    await page.reload();
    const log = page.locator('section', { has: page.getByRole('heading', { name: 'Downloads' }) });
    await log
      .getByRole('cell', { name: /reader1@example\.org|Reader One/ })
      .first()
      .waitFor();
    expect(await log.getByRole('cell', { name: heldBackName }).count()).toBeGreaterThan(0);
    await other.close();
    await lead.close();
  }, 900_000);
});
