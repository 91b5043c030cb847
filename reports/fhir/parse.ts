/**
 * FHIR R4 evidence: DiagnosticReport and pathology Observation resources from a Bundle (JSON),
 * a single resource (JSON) or a bulk-export NDJSON file, as plain items the importer matches to
 * cases. Pure: no app, no database. Every problem names the resource and the JSON path (and the
 * line of an NDJSON file); nothing is half read.
 */
import type { Attachment, Bundle, CodeableConcept, DiagnosticReport, Identifier, ImagingStudy, Observation, Reference, Resource } from '@medplum/fhirtypes';

export interface FhirCode {
  system: string;
  code: string;
  display: string;
}

export interface FhirEvidence {
  /** "DiagnosticReport/f201". */
  resource: string;
  /** meta.versionId, when given. */
  versionId: string | null;
  kind: 'report' | 'pathology';
  /** The clinically relevant date (effective, else issued), YYYY-MM-DD. */
  date: string;
  /** The subject's logical id ("Patient/f201" → "f201"), when a Patient reference. */
  patient: string | null;
  accessions: string[];
  studyUids: string[];
  /** Coded results: DiagnosticReport.conclusionCode; Observation.valueCodeableConcept and interpretation. */
  codes: FhirCode[];
  /**
   * The same codes grouped by concept, with the JSON path of each concept: codings of one concept
   * say one thing (SNOMED CT and a local code), different concepts say different things.
   */
  concepts: { path: string; codes: FhirCode[] }[];
  /** conclusion and text presentedForm / valueString, joined. */
  text: string;
  /** Where the resource is: the NDJSON line (1-based) or 0 for a JSON document. */
  line: number;
  /** JSON path of the resource ("entry[2].resource", "" for a single resource). */
  path: string;
}

export interface FhirError {
  line: number;
  /** "DiagnosticReport/f201" when known. */
  resource: string | null;
  path: string;
  message: string;
}

export function formatFhirError(e: FhirError, file = ''): string {
  const where = file ? [file, e.line > 0 ? String(e.line) : ''].filter(Boolean).join(':') : e.line > 0 ? `line ${e.line}` : '';
  return `${where ? `${where}: ` : ''}${e.resource ? `${e.resource} ` : ''}${e.path ? `${e.path}: ` : ''}${e.message}`;
}

export interface ParsedFhir {
  items: FhirEvidence[];
  errors: FhirError[];
  /** Resources of other types, counted (Patient, ImagingStudy used for UIDs, …). */
  skipped: Record<string, number>;
}

const ACCESSION = 'ACSN';
const PATHOLOGY_CATEGORIES = new Set(['PAT', 'SP', 'CP', 'CG', 'OSL']);
/**
 * LOINC codes of pathology report observations (class PATH: Pathology study, final diagnosis,
 * gross, microscopic, site of origin, relevant history, cytology study, comprehensive panel).
 */
const PATHOLOGY_LOINC = new Set(['11526-1', '22637-3', '22634-0', '22635-7', '22633-2', '22636-5', '33717-0', '60567-5']);
const LOINC = 'http://loinc.org';

/**
 * What an Observation is evidence of: pathology when its category (HL7 v2-0074) or its LOINC code
 * says so, a report when it is an imaging observation; anything else (vital signs, laboratory
 * values, surveys…) is not evidence for imaging truth and is skipped, never taken for pathology.
 */
function observationKind(r: Observation): 'pathology' | 'report' | null {
  const cats = (r.category ?? []).flatMap((c) => c.coding ?? []);
  if (cats.some((x) => PATHOLOGY_CATEGORIES.has(x.code ?? ''))) return 'pathology';
  if ((r.code?.coding ?? []).some((x) => x.system === LOINC && PATHOLOGY_LOINC.has(x.code ?? ''))) return 'pathology';
  if (cats.some((x) => x.code === 'imaging')) return 'report';
  return null;
}
const DICOM_UID = 'urn:dicom:uid';

/** Parse a Bundle / resource JSON document or NDJSON text. */
export function parseFhir(text: string): ParsedFhir {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const trimmed = body.trimStart();
  const out: ParsedFhir = { items: [], errors: [], skipped: {} };
  if (!trimmed) {
    out.errors.push({ line: 0, resource: null, path: '', message: 'the file is empty (expected a FHIR Bundle, a resource, or NDJSON)' });
    return out;
  }
  let docs: { value: unknown; line: number }[] = [];
  const firstLineEnd = trimmed.indexOf('\n');
  const firstLine = firstLineEnd < 0 ? trimmed : trimmed.slice(0, firstLineEnd);
  let isNdjson = false;
  if (firstLine.trim().endsWith('}')) {
    try {
      JSON.parse(firstLine);
      isNdjson = true;
    } catch {
      isNdjson = false;
    }
  }
  if (isNdjson) {
    body.split('\n').forEach((l, i) => {
      if (!l.trim()) return;
      try {
        docs.push({ value: JSON.parse(l), line: i + 1 });
      } catch (e) {
        out.errors.push({ line: i + 1, resource: null, path: '', message: `invalid JSON: ${(e as Error).message}` });
      }
    });
  } else {
    try {
      docs = [{ value: JSON.parse(body), line: 0 }];
    } catch (e) {
      const msg = (e as Error).message;
      const pos = /position (\d+)/.exec(msg);
      out.errors.push({ line: pos ? body.slice(0, Number(pos[1])).split('\n').length : 0, resource: null, path: '', message: `invalid JSON: ${msg}` });
      return out;
    }
  }
  // Resources with their location; a Bundle's entries are unpacked.
  const resources: { r: Resource; line: number; path: string }[] = [];
  for (const d of docs) {
    const v = d.value as Resource | null;
    if (!v || typeof v !== 'object' || Array.isArray(v) || typeof (v as { resourceType?: unknown }).resourceType !== 'string') {
      out.errors.push({ line: d.line, resource: null, path: 'resourceType', message: 'not a FHIR resource (no resourceType)' });
      continue;
    }
    if (v.resourceType === 'Bundle') {
      const entries = (v as Bundle).entry;
      if (!Array.isArray(entries)) {
        out.errors.push({ line: d.line, resource: `Bundle/${v.id ?? ''}`, path: 'entry', message: 'a Bundle needs an entry array' });
        continue;
      }
      entries.forEach((e, i) => {
        const r = e?.resource;
        if (!r || typeof r !== 'object' || typeof r.resourceType !== 'string')
          out.errors.push({ line: d.line, resource: null, path: `entry[${i}].resource`, message: 'missing or without resourceType' });
        else resources.push({ r, line: d.line, path: `entry[${i}].resource` });
      });
    } else resources.push({ r: v, line: d.line, path: '' });
  }
  const studies = new Map<string, ImagingStudy>();
  for (const { r } of resources) if (r.resourceType === 'ImagingStudy' && r.id) studies.set(`ImagingStudy/${r.id}`, r);
  for (const { r, line, path } of resources) {
    if (r.resourceType === 'DiagnosticReport') readReport(r, line, path, studies, out);
    else if (r.resourceType === 'Observation') readObservation(r, line, path, out);
    else out.skipped[r.resourceType] = (out.skipped[r.resourceType] ?? 0) + 1;
  }
  out.errors.sort((a, b) => a.line - b.line);
  return out;
}

const at = (base: string, p: string) => (base ? `${base}.${p}` : p);

function dateOf(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const m = /^(\d{4}-\d{2}-\d{2})(?:T[\d:.]+(?:Z|[+-]\d{2}:\d{2}))?$/.exec(v);
  if (!m) return null;
  const d = new Date(`${m[1]}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === m[1] ? m[1] : null;
}

function codesOf(cc: CodeableConcept | undefined): FhirCode[] {
  return (cc?.coding ?? [])
    .filter((c) => c && typeof c.code === 'string' && c.code.trim())
    .map((c) => ({ system: c.system ?? '', code: c.code!.trim(), display: c.display ?? '' }));
}

function isAccession(id: Identifier | undefined): boolean {
  return !!id?.type?.coding?.some((c) => c.code === ACCESSION);
}

function uidOf(id: Identifier | undefined): string | null {
  if (!id?.value || id.system !== DICOM_UID) return null;
  return id.value.replace(/^urn:oid:/, '');
}

function patientOf(ref: Reference | undefined): string | null {
  const m = /^(?:.*\/)?Patient\/([^/]+)$/.exec(ref?.reference ?? '');
  return m ? m[1] : (ref?.identifier?.value ?? null);
}

/** text/plain attachments (inline base64 data); others are noted, not read. */
function attachmentText(a: Attachment, path: string, resource: string, line: number, errors: FhirError[]): string {
  if (!a.data) return '';
  const type = (a.contentType ?? '').toLowerCase();
  if (!type.startsWith('text/plain')) return '';
  if (!/^[A-Za-z0-9+/=\s]*$/.test(a.data)) {
    errors.push({ line, resource, path: `${path}.data`, message: 'not base64' });
    return '';
  }
  const bytes = Buffer.from(a.data, 'base64');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    errors.push({ line, resource, path: `${path}.data`, message: 'text/plain data is not valid UTF-8' });
    return '';
  }
}

function readReport(r: DiagnosticReport, line: number, path: string, studies: Map<string, ImagingStudy>, out: ParsedFhir): void {
  const name = `DiagnosticReport/${r.id ?? '(no id)'}`;
  const before = out.errors.length;
  const err = (p: string, message: string) => out.errors.push({ line, resource: name, path: at(path, p), message });
  if (!r.id) err('id', 'required (the provenance names the resource by id)');
  const date = dateOf(r.effectiveDateTime) ?? dateOf(r.effectivePeriod?.start) ?? dateOf(r.issued);
  if (!date)
    err(
      r.effectiveDateTime !== undefined ? 'effectiveDateTime' : 'effectiveDateTime',
      r.effectiveDateTime !== undefined ? `not a FHIR dateTime with a day: "${String(r.effectiveDateTime)}"` : 'no effectiveDateTime, effectivePeriod.start or issued with a day',
    );
  const accessions = new Set<string>();
  (r.identifier ?? []).forEach((id) => isAccession(id) && id.value && accessions.add(id.value.trim()));
  (r.basedOn ?? []).forEach((b) => isAccession(b.identifier) && b.identifier?.value && accessions.add(b.identifier.value.trim()));
  const uids = new Set<string>();
  (r.imagingStudy ?? []).forEach((ref) => {
    const direct = uidOf(ref.identifier);
    if (direct) uids.add(direct);
    const study = ref.reference ? studies.get(ref.reference) : undefined;
    for (const id of study?.identifier ?? []) {
      const u = uidOf(id);
      if (u) uids.add(u);
      if (isAccession(id) && id.value) accessions.add(id.value.trim());
    }
  });
  const pathology = (r.category ?? []).some((c) => c.coding?.some((x) => PATHOLOGY_CATEGORIES.has(x.code ?? '')));
  const texts: string[] = [];
  if (typeof r.conclusion === 'string' && r.conclusion.trim()) texts.push(r.conclusion.trim());
  (r.presentedForm ?? []).forEach((a, i) => {
    const t = attachmentText(a, at(path, `presentedForm[${i}]`), name, line, out.errors);
    if (t.trim()) texts.push(t.trim());
  });
  const concepts = (r.conclusionCode ?? []).map((cc, i) => ({ path: at(path, `conclusionCode[${i}]`), codes: codesOf(cc) })).filter((c) => c.codes.length);
  const codes = concepts.flatMap((c) => c.codes);
  if (!codes.length && !texts.length) err('conclusion', 'no conclusion, conclusionCode or text presentedForm: nothing to record');
  if (out.errors.length > before) return;
  out.items.push({
    resource: name,
    versionId: r.meta?.versionId ?? null,
    kind: pathology ? 'pathology' : 'report',
    date: date!,
    patient: patientOf(r.subject),
    accessions: [...accessions],
    studyUids: [...uids],
    codes,
    concepts,
    text: texts.join('\n\n'),
    line,
    path,
  });
}

function readObservation(r: Observation, line: number, path: string, out: ParsedFhir): void {
  const name = `Observation/${r.id ?? '(no id)'}`;
  const kind = observationKind(r);
  if (!kind) {
    out.skipped['Observation (not pathology or imaging)'] = (out.skipped['Observation (not pathology or imaging)'] ?? 0) + 1;
    return;
  }
  const before = out.errors.length;
  const err = (p: string, message: string) => out.errors.push({ line, resource: name, path: at(path, p), message });
  if (!r.id) err('id', 'required (the provenance names the resource by id)');
  const date = dateOf(r.effectiveDateTime) ?? dateOf(r.effectivePeriod?.start) ?? dateOf(r.issued);
  if (!date)
    err(
      'effectiveDateTime',
      r.effectiveDateTime !== undefined ? `not a FHIR dateTime with a day: "${String(r.effectiveDateTime)}"` : 'no effectiveDateTime, effectivePeriod.start or issued with a day',
    );
  const concepts = [
    { path: at(path, 'valueCodeableConcept'), codes: codesOf(r.valueCodeableConcept) },
    ...(r.interpretation ?? []).map((cc, i) => ({ path: at(path, `interpretation[${i}]`), codes: codesOf(cc) })),
  ].filter((c) => c.codes.length);
  const codes = concepts.flatMap((c) => c.codes);
  const text = typeof r.valueString === 'string' ? r.valueString.trim() : '';
  if (!codes.length && !text) err('value[x]', 'no valueCodeableConcept, interpretation or valueString: nothing to record');
  const accessions = (r.identifier ?? [])
    .filter(isAccession)
    .map((i) => i.value?.trim() ?? '')
    .filter(Boolean);
  (r.basedOn ?? []).forEach((b) => isAccession(b.identifier) && b.identifier?.value && accessions.push(b.identifier.value.trim()));
  if (out.errors.length > before) return;
  out.items.push({
    resource: name,
    versionId: r.meta?.versionId ?? null,
    kind,
    date: date!,
    patient: patientOf(r.subject),
    accessions,
    studyUids: [],
    codes,
    concepts,
    text,
    line,
    path,
  });
}
