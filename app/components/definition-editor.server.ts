/**
 * The server half of the structured definition editor: what the route's loader and action need
 * that must stay out of the browser bundle (the zod schemas, the checker, the layout presets).
 */
import { EVIDENCE_KINDS, WINDOW_CLOSE_STATES } from '../../domain/vocabulary.ts';
import { MARK_KINDS } from '../../workflows/marks.ts';
import { BLANK_DEFINITION } from '../../workflows/definition-blank.ts';
import { pathInWords, validateDefinition, type Problem } from '../../workflows/definition-check.ts';
import { readerFormSchema, type ReaderForm } from '../../workflows/definition.ts';
import { DEFINITION_PARTS as PARTS } from '../forms/lead.ts';
import type { EditorChoices } from './definition-editor.tsx';
import { decodeDraft, type Draft } from './definition-editor-form.ts';
import { LAYOUTS, layoutOf, layoutProtocol } from './definition-editor-layouts.server.ts';

export { layoutOf, validateDefinition };
export type ShownProblem = { path: string; where: string; message: string };

export const BLANK_DRAFT = BLANK_DEFINITION as unknown as Draft;
export const CHOICES: EditorChoices = { evidenceKinds: [...EVIDENCE_KINDS], markTools: [...MARK_KINDS], windowClose: [...WINDOW_CLOSE_STATES], layouts: LAYOUTS };

/** The reader form to preview, when the draft's form alone is valid (the rest may still have problems). */
export function previewOf(draft: Draft): ReaderForm | null {
  const r = readerFormSchema.safeParse(draft.readerForm);
  return r.success ? r.data : null;
}

/** Problems as the page lists them: the path (for the link to the input), the path in words, the message. */
export function shown(problems: Problem[], draft: unknown): ShownProblem[] {
  return problems.map((p) => ({ path: p.path.join('.'), where: pathInWords(p.path, draft), message: p.message }));
}

export const obj = (x: unknown): Record<string, unknown> => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : {});

/** The draft a post describes, from whichever view posted it; JSON that does not parse is a problem of its part. */
export function draftFromPost(fd: FormData): { draft: Draft; problems: Problem[]; texts?: Record<string, string> } {
  if (fd.get('view') === 'json') {
    const texts = Object.fromEntries(PARTS.map((p) => [p, String(fd.get(`json.${p}`) ?? '')]));
    const draft: Draft = {};
    const problems: Problem[] = [];
    for (const p of PARTS) {
      try {
        draft[p] = JSON.parse(texts[p]);
      } catch (e) {
        problems.push({ path: [p], message: `not valid JSON: ${(e as Error).message}` });
      }
    }
    return { draft, problems, texts };
  }
  let base: unknown = {};
  try {
    base = JSON.parse(String(fd.get('base') ?? '{}'));
  } catch {
    base = {};
  }
  const draft = decodeDraft(
    [...fd.entries()].filter((e): e is [string, string] => typeof e[1] === 'string'),
    base,
  );
  const hanging = String(fd.get('hanging') ?? 'keep');
  const form = obj(draft.readerForm);
  if (hanging === 'none') delete form.hangingProtocol;
  else if (hanging !== 'keep') {
    const protocol = layoutProtocol(hanging);
    if (protocol) form.hangingProtocol = protocol;
  }
  draft.readerForm = form;
  return { draft, problems: [] };
}
