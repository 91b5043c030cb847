/**
 * MLCommons Croissant 1.1 dataset cards for releases and an offline check of a
 * card against the committed Croissant context (formats/croissant/context-1.1.json).
 *
 * The card is the catalogue entry a data scientist reads first: name, description, licence,
 * owner, citation, modality and body part, case distribution by class and split, how truth was
 * established (measurementTechnique + the reference-standard status counts), label definitions,
 * STARD flow counts, and every file with its SHA-256. Truthline's own terms live under `tl:`
 * (declared in the card's context); JSON-valued ones are typed `@json` so JSON-LD keeps them whole.
 */
import CONTEXT from './croissant/context-1.1.json';

export const CROISSANT_CONFORMS_TO = 'http://mlcommons.org/croissant/1.1';
export const CROISSANT_CONTEXT: Readonly<Record<string, unknown>> = CONTEXT;
export const TL_VOCAB = 'urn:truthline:vocab:';

/** Truthline terms the card adds to the Croissant context. */
const TL_TERMS: Record<string, unknown> = {
  tl: TL_VOCAB,
  caseDistribution: { '@id': 'tl:caseDistribution', '@type': '@json' },
  referenceStandardStatus: { '@id': 'tl:referenceStandardStatus', '@type': '@json' },
  labelDefinitions: { '@id': 'tl:labelDefinitions', '@type': '@json' },
  stard: { '@id': 'tl:stard', '@type': '@json' },
  pendingAtRelease: { '@id': 'tl:pendingAtRelease', '@type': '@json' },
  contentHash: 'tl:contentHash',
  sequestered: 'tl:sequestered',
  bodyPart: 'tl:bodyPart',
  modality: 'tl:modality',
};

export type CardFile = { name: string; sha256: string; bytes: number; encodingFormat: string; description: string; sequestered: boolean };
export type CardField = { name: string; description: string; dataType: string };
export type CardInput = {
  project: { id: string; slug: string; name: string; description: string; licence: string; owner: string };
  release: { number: number; contentHash: string; createdAt: string; sequestered: boolean };
  modalities: string[];
  bodyParts: string[];
  /** Cases per split, and (not for held-back splits) records per class per split. */
  distribution: { bySplit: Record<string, number>; byClass: Record<string, Record<string, number>>; heldBack: string[] };
  referenceStandard: { description: string; status: Record<string, number> };
  labels: unknown;
  stard: unknown;
  pending: Record<string, number>;
  files: CardFile[];
  /** Record sets: file name → its columns. */
  recordSets: { id: string; file: string; description: string; fields: CardField[] }[];
};

export function buildCroissantCard(x: CardInput): Record<string, unknown> {
  const { project: p, release: r } = x;
  const date = r.createdAt.slice(0, 10);
  const title = `${p.name} — release ${r.number}`;
  return {
    '@context': { ...CROISSANT_CONTEXT, ...TL_TERMS },
    '@type': 'sc:Dataset',
    '@id': `urn:truthline:project:${p.id}:release:${r.number}`,
    conformsTo: CROISSANT_CONFORMS_TO,
    name: title,
    description: p.description.trim() || `Reference-standard labels of the Truthline project ${p.slug}, release ${r.number}.`,
    license: p.licence.trim() || 'not stated: ask the project owner',
    creator: { '@type': 'sc:Person', name: p.owner },
    citeAs: `${p.owner}. ${title}. Truthline, ${date}. sha256:${r.contentHash}`,
    datePublished: date,
    version: `${r.number}.0.0`,
    keywords: [...x.modalities, ...x.bodyParts, 'reference standard', 'ground truth'],
    modality: x.modalities,
    bodyPart: x.bodyParts,
    measurementTechnique: x.referenceStandard.description,
    referenceStandardStatus: x.referenceStandard.status,
    caseDistribution: x.distribution,
    labelDefinitions: x.labels,
    stard: x.stard,
    pendingAtRelease: x.pending,
    contentHash: `sha256:${r.contentHash}`,
    sequestered: r.sequestered,
    ...(r.sequestered
      ? {
          conditionsOfAccess: `The test split's truth (${x.files
            .filter((f) => f.sequestered)
            .map((f) => f.name)
            .join(', ')}) is held back: only the project lead and the people the lead names may download it, and every download is logged.`,
        }
      : {}),
    distribution: x.files.map((f) => ({
      '@type': 'cr:FileObject',
      '@id': f.name,
      name: f.name,
      description: f.description,
      contentUrl: f.name,
      contentSize: `${f.bytes} B`,
      encodingFormat: f.encodingFormat,
      sha256: f.sha256,
    })),
    recordSet: x.recordSets.map((rs) => ({
      '@type': 'cr:RecordSet',
      '@id': rs.id,
      name: rs.id,
      description: rs.description,
      field: rs.fields.map((fd) => ({
        '@type': 'cr:Field',
        '@id': `${rs.id}/${fd.name}`,
        name: fd.name,
        description: fd.description,
        dataType: fd.dataType,
        source: { fileObject: { '@id': rs.file }, extract: { column: fd.name } },
      })),
    })),
  };
}

/** schema.org terms a card may use through @vocab (anything else is probably a typo). */
const SCHEMA_TERMS = new Set([
  'name',
  'description',
  'license',
  'creator',
  'datePublished',
  'version',
  'keywords',
  'measurementTechnique',
  'conditionsOfAccess',
  'distribution',
  'contentUrl',
  'contentSize',
  'encodingFormat',
  'sha256',
  'url',
  'identifier',
]);
const DATA_TYPES = new Set(['sc:Text', 'sc:Integer', 'sc:Float', 'sc:Boolean', 'sc:Date', 'sc:DateTime', 'sc:URL']);

/**
 * Checks a card offline against the committed Croissant 1.1 context: its context keeps every
 * Croissant term unchanged; every key is a JSON-LD keyword, a context term, a compact IRI with a
 * declared prefix, or a known schema.org term; it declares conformance to 1.1 and has the
 * required dataset properties; ids are unique; every field's source names a FileObject of the
 * card and every FileObject has a SHA-256. Returns the problems by JSON path (empty = valid).
 */
export function validateCroissant(card: unknown): string[] {
  const errs: string[] = [];
  if (!card || typeof card !== 'object' || Array.isArray(card)) return ['$: a card is a JSON object'];
  const c = card as Record<string, unknown>;
  const ctx = c['@context'];
  if (!ctx || typeof ctx !== 'object' || Array.isArray(ctx)) return ['$.@context: missing or not an object'];
  const context = ctx as Record<string, unknown>;
  for (const [k, v] of Object.entries(CROISSANT_CONTEXT))
    if (JSON.stringify(context[k]) !== JSON.stringify(v)) errs.push(`$.@context.${k}: must be ${JSON.stringify(v)} as in Croissant 1.1`);
  const prefixes = new Set(
    Object.entries(context)
      .filter(([, v]) => typeof v === 'string' && /[:/#]$/.test(v as string))
      .map(([k]) => k),
  );
  const jsonTerms = new Set(
    Object.entries(context)
      .filter(([, v]) => v && typeof v === 'object' && (v as Record<string, unknown>)['@type'] === '@json')
      .map(([k]) => k),
  );
  const keyOk = (k: string) => k.startsWith('@') || k in context || SCHEMA_TERMS.has(k) || (k.includes(':') && prefixes.has(k.split(':')[0]));
  const ids = new Map<string, string>();
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}[${i}]`));
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (path === '$' && k === '@context') continue;
      const at = `${path}.${k}`;
      if (!keyOk(k)) errs.push(`${at}: "${k}" is neither a Croissant term, a declared prefix nor a schema.org term the card uses`);
      if (k === '@id' && typeof x === 'string' && Object.keys(v as object).length > 1) {
        if (ids.has(x)) errs.push(`${at}: id "${x}" is used again (first at ${ids.get(x)})`);
        else ids.set(x, at);
      }
      if (jsonTerms.has(k)) continue; // a JSON literal: its keys are data, not terms
      walk(x, at);
    }
  };
  walk(c, '$');
  if (c['@type'] !== 'sc:Dataset') errs.push('$.@type: must be "sc:Dataset"');
  if (c.conformsTo !== CROISSANT_CONFORMS_TO) errs.push(`$.conformsTo: must be "${CROISSANT_CONFORMS_TO}"`);
  for (const k of ['name', 'description', 'license', 'creator', 'citeAs', 'datePublished', 'version', 'distribution', 'recordSet'])
    if (c[k] === undefined || c[k] === '') errs.push(`$.${k}: required`);
  const files = new Set<string>();
  (Array.isArray(c.distribution) ? c.distribution : []).forEach((f: Record<string, unknown>, i: number) => {
    if (f['@type'] !== 'cr:FileObject') errs.push(`$.distribution[${i}].@type: must be "cr:FileObject"`);
    if (typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) errs.push(`$.distribution[${i}].sha256: a SHA-256 in hex is required`);
    for (const k of ['contentUrl', 'encodingFormat']) if (typeof f[k] !== 'string' || !f[k]) errs.push(`$.distribution[${i}].${k}: required`);
    files.add(String(f['@id']));
  });
  (Array.isArray(c.recordSet) ? c.recordSet : []).forEach((rs: Record<string, unknown>, i: number) => {
    if (rs['@type'] !== 'cr:RecordSet') errs.push(`$.recordSet[${i}].@type: must be "cr:RecordSet"`);
    (Array.isArray(rs.field) ? rs.field : []).forEach((fd: Record<string, unknown>, j: number) => {
      const at = `$.recordSet[${i}].field[${j}]`;
      if (fd['@type'] !== 'cr:Field') errs.push(`${at}.@type: must be "cr:Field"`);
      if (!DATA_TYPES.has(String(fd.dataType))) errs.push(`${at}.dataType: "${String(fd.dataType)}" is not a schema.org data type`);
      const src = fd.source as { fileObject?: { '@id'?: string }; extract?: { column?: string } } | undefined;
      if (!src?.fileObject?.['@id'] || !files.has(src.fileObject['@id'])) errs.push(`${at}.source.fileObject: must name a FileObject of the distribution`);
      if (!src?.extract?.column) errs.push(`${at}.source.extract.column: required`);
    });
  });
  return errs;
}
