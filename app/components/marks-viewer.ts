/**
 * Lesions (read values) as the Cornerstone viewer's marks (viewer/marks-types.ts) and back. A
 * lesion on a web image names it by its reference in the case manifest (what the exports and the
 * imports use); the viewer names it by the URL it loaded, so the two are mapped here. DICOM images
 * are named by SOP Instance UID (+ frame of a multi-frame) on both sides.
 */
import { useEffect, useState } from 'react';
import { parseImageRef, viewerImages } from '../../imaging/refs.ts';
import type { Mark, MarkLayer } from '../../viewer/marks-types.ts';
import type { ImageRef, Lesion } from '../../workflows/marks.ts';

export const OWN_COLOUR = '#ffd600';
export const READER_COLOURS = ['#00e5ff', '#ff4fd8', '#7cfc00', '#ff8c00', '#b388ff', '#ff5252'];

export type ImageNames = { toViewer(ref: ImageRef): ImageRef; fromViewer(ref: ImageRef): ImageRef; index(ref: ImageRef): number | null };

/** How the case's web images are named by the manifest and by the viewer. */
export function imageNames(images: string[], caseUrl: string): ImageNames {
  const toUrl = new Map<string, string>();
  const fromUrl = new Map<string, string>();
  viewerImages(images, caseUrl).forEach((v, i) => {
    if (v.kind !== 'web') return;
    toUrl.set(images[i]!, v.url);
    fromUrl.set(v.url, images[i]!);
  });
  return {
    toViewer: (ref) => (ref.url && toUrl.has(ref.url) ? { ...ref, url: toUrl.get(ref.url)! } : ref),
    // A DICOM image is named by its UID alone: the URL it was loaded from is the viewer's business.
    fromViewer: (ref) =>
      ref.sopInstanceUid ? { sopInstanceUid: ref.sopInstanceUid, ...(ref.frame ? { frame: ref.frame } : {}) } : { url: fromUrl.get(ref.url ?? '') ?? ref.url ?? '' },
    index: (ref) => {
      const i = ref.url ? images.indexOf(ref.url) : -1;
      return i >= 0 ? i : null;
    },
  };
}

export function lesionToMark(l: Lesion, names: ImageNames, label?: string): Mark {
  return { id: l.id, kind: l.kind, image: names.toViewer(l.image), points: l.points, ...(l.spacing ? { spacing: l.spacing } : {}), ...(label ? { label } : {}) };
}

/** A mark as drawn (or moved) in the viewer, as the lesion it is, keeping its answers. */
export function markToLesion(m: Mark, names: ImageNames, answers: Lesion['answers']): Lesion {
  return { id: m.id, kind: m.kind, image: names.fromViewer(m.image), points: m.points, answers, ...(m.spacing ? { spacing: m.spacing } : {}) };
}

/**
 * The view names ("L CC") of the case's DICOM images by SOP Instance UID, asked of the server once
 * per case (it reads the headers); empty for a case of web images only, or until the answer comes.
 */
export function useImageViews(images: string[], caseUrl: string): Record<string, string> {
  const [views, setViews] = useState<Record<string, string>>({});
  const dicom = images.some((ref) => {
    const r = parseImageRef(ref);
    return r?.kind === 'dicomweb' || (r?.kind === 'local' && r.format === 'dicom');
  });
  useEffect(() => {
    setViews({});
    if (!dicom) return;
    let live = true;
    fetch(`${caseUrl}/image-views`, { headers: { Accept: 'application/json' } })
      .then((r) => (r.ok ? (r.json() as Promise<{ views?: Record<string, string> }>) : { views: {} }))
      .then((d) => {
        if (live) setViews(d.views ?? {});
      })
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [dicom, caseUrl]);
  return views;
}

/** How the marks list names a lesion's image: its view, else its place in the case, else its UID's end. */
export function imageLabel(ref: ImageRef, names: ImageNames, views: Record<string, string>): string {
  const frame = ref.frame ? ` frame ${ref.frame}` : '';
  const view = ref.sopInstanceUid ? views[ref.sopInstanceUid] : undefined;
  if (view) return `${view}${frame}`;
  const i = names.index(ref);
  if (i !== null) return `image ${i + 1}`;
  return ref.sopInstanceUid ? `image …${ref.sopInstanceUid.slice(-6)}${frame}` : 'an image';
}

/** The colour of an imported source's marks (an AI model's detections): apart from every reader's. */
export const IMPORTED_COLOUR = '#ff6d00';

/**
 * An imported source's lesions (app/models/marks-import.server.ts, `caseImportedMarks`) as a locked
 * layer of the viewer, each mark labelled with the source and, for detections, the model's score.
 */
export function importedLayer({ source, lesions, names, colour = IMPORTED_COLOUR }: { source: string; lesions: Lesion[]; names: ImageNames; colour?: string }): MarkLayer {
  return {
    key: `imported:${source}`,
    colour,
    label: source,
    marks: lesions.map((l) => {
      const score = l.answers.score;
      return lesionToMark({ ...l, id: `imported-${l.id}` }, names, typeof score === 'number' || typeof score === 'string' ? `${source} ${score}` : source);
    }),
  };
}
