/** docs/definition-format.md is generated from the definition's zod schemas: regenerate and compare. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOC_PATH, definitionFormatMarkdown, missingMeanings } from '../scripts/definition-docs.ts';

describe('docs/definition-format.md', () => {
  it('gives every property of the schemas a meaning', () => {
    expect(missingMeanings()).toEqual([]);
  });

  it('is what the schemas generate now (run `npx tsx scripts/definition-docs.ts` after changing a schema)', () => {
    expect(fs.readFileSync(DOC_PATH, 'utf8')).toBe(definitionFormatMarkdown());
  });

  it('documents each answer kind, the layout and the follow-up window', () => {
    const doc = definitionFormatMarkdown();
    for (const kind of ['binary', 'nominal', 'ordinal', 'multi_label', 'numeric']) expect(doc).toContain(`### \`readerForm.fields[]\` with \`kind: "${kind}"\``);
    expect(doc).toContain('| `startDays` | whole number | yes |  | ≥ 0 | The day the window opens. Not after `endDays`. |');
    expect(doc).toContain('### `readerForm.hangingProtocol`');
  });
});
