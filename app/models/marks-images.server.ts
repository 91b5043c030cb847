/**
 * A case's images as marks name them (SOP Instance UID for DICOM, the manifest reference for web
 * images) with the view a person knows them by ("L CC", or the series description). DICOM files
 * under the data dir are read up to their pixel data; a DICOMweb instance reference carries its
 * UID; a DICOMweb study or series reference cannot be listed without asking the PACS, so a mark on
 * one of its instances cannot be checked here (`open`).
 */
import fs from 'node:fs';
import path from 'node:path';
import dcmjsModule from 'dcmjs';
import { dataRoot } from '../../db/client.ts';
import { uidForUrl } from '../../formats/dicom-sr.ts';
import { parseImageRef } from '../../imaging/refs.ts';
import type { ProjectRole } from '../permissions.server.ts';
import { visibleCaseImages } from './case-images.server.ts';

type Dcmjs = {
  data: {
    DicomMessage: { readFile(buf: ArrayBuffer, o: Record<string, unknown>): { dict: Record<string, unknown> } };
    DicomMetaDictionary: { naturalizeDataset(d: Record<string, unknown>): Record<string, unknown> };
  };
};
const dcmjs = dcmjsModule as unknown as Dcmjs;

export type CaseImageEntry = { index: number; ref: string; sopInstanceUid?: string; url?: string; view: string | null };
export type CaseImageIndex = {
  entries: CaseImageEntry[];
  /** Some images are DICOMweb studies or series whose instances are not known here. */
  open: boolean;
};

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : Array.isArray(v) && typeof v[0] === 'string' ? v[0].trim() : '');

/** "L CC" from laterality and view position; else the series description; else null. */
export function viewName(attrs: Record<string, unknown>): string | null {
  const side = text(attrs.ImageLaterality) || text(attrs.Laterality);
  const view = text(attrs.ViewPosition);
  if (view) return side ? `${side} ${view}` : view;
  return text(attrs.SeriesDescription) || null;
}

function dicomHeader(file: string): Record<string, unknown> | null {
  try {
    const buf = fs.readFileSync(file);
    const ab = new Uint8Array(buf).slice().buffer;
    const { dict } = dcmjs.data.DicomMessage.readFile(ab, { untilTag: '7FE00010', includeUntilTagValue: false, ignoreErrors: true });
    return dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict);
  } catch {
    return null;
  }
}

export function caseImageIndex({ images }: { images: string[] }): CaseImageIndex {
  const root = path.join(dataRoot(), 'demo-images');
  let open = false;
  const entries = images.map((ref, index): CaseImageEntry => {
    const r = parseImageRef(ref);
    if (r?.kind === 'local' && r.format === 'dicom') {
      const file = path.resolve(root, r.path);
      const h = file.startsWith(root + path.sep) && fs.existsSync(file) ? dicomHeader(file) : null;
      const sop = h ? text(h.SOPInstanceUID) : '';
      return { index, ref, ...(sop ? { sopInstanceUid: sop } : {}), view: h ? viewName(h) : null };
    }
    if (r?.kind === 'dicomweb') {
      if (r.instance) return { index, ref, sopInstanceUid: r.instance, view: null };
      open = true;
      return { index, ref, view: null };
    }
    return { index, ref, url: ref, sopInstanceUid: uidForUrl(ref), view: null };
  });
  return { entries, open };
}

/** SOP Instance UID → the view's name, for the DICOM images whose header says it. */
export function viewNames({ index }: { index: CaseImageIndex }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of index.entries) if (e.sopInstanceUid && !e.url && e.view) out[e.sopInstanceUid] = e.view;
  return out;
}

/**
 * The view names of a case's DICOM images, for whoever may see the case (the marks list names a
 * mark's image by them). A person who may not see the case gets notVisible(), as for its images.
 */
export async function caseImageViews({
  projectId,
  caseId,
  userId,
  roles,
}: {
  projectId: string;
  caseId: string;
  userId: string;
  roles: ProjectRole[];
}): Promise<Record<string, string>> {
  return viewNames({ index: caseImageIndex({ images: await visibleCaseImages({ projectId, caseId, userId, roles }) }) });
}
