/**
 * Image references in a case manifest, and what the viewer is given for each. One place decides
 * how a reference is fetched: files under the data dir and DICOMweb objects only ever through the
 * case's access-checked paths; external http(s) images as they are.
 *
 *   /demo-images/<path>.(dcm|png|jpg)   a file under <data dir>/demo-images
 *   https://host/…(.png|.jpg)            an external web image
 *   dicomweb:studies/<uid>[/series/<uid>[/instances/<uid>]]   an object on the configured PACS
 */
export type ImageRef =
  | { kind: 'local'; path: string; format: 'dicom' | 'web' }
  | { kind: 'external'; url: string }
  | { kind: 'dicomweb'; study: string; series?: string; instance?: string };

const UID = '[0-9]+(?:\\.[0-9]+)*';
const DICOMWEB = new RegExp(`^dicomweb:(?:\\S*?/)?studies/(${UID})(?:/series/(${UID})(?:/instances/(${UID}))?)?$`);
const LOCAL = /^\/demo-images\/((?:[A-Za-z0-9_.-]+\/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*\.(dcm|png|jpe?g))$/i;

export function parseImageRef(ref: string): ImageRef | null {
  const d = DICOMWEB.exec(ref);
  if (d) return { kind: 'dicomweb', study: d[1], ...(d[2] ? { series: d[2] } : {}), ...(d[3] ? { instance: d[3] } : {}) };
  const l = LOCAL.exec(ref);
  if (l && !l[1].split('/').some((seg) => seg === '..' || seg === '.')) return { kind: 'local', path: l[1], format: l[2].toLowerCase() === 'dcm' ? 'dicom' : 'web' };
  if (/^https?:\/\/\S+$/i.test(ref)) return { kind: 'external', url: ref };
  return null;
}

/** What the viewer loads: a Cornerstone image id or a series to expand through DICOMweb. */
export type ViewerImage =
  | { kind: 'dicom'; url: string }
  | { kind: 'web'; url: string }
  | { kind: 'dicomweb'; base: string; study: string; series?: string; instance?: string }
  | { kind: 'missing'; ref: string };

/** `caseUrl` is the case's path, e.g. /projects/<slug>/cases/<caseId>. */
export function viewerImages(images: string[], caseUrl: string): ViewerImage[] {
  return images.map((ref, i) => {
    const r = parseImageRef(ref);
    if (!r) return { kind: 'missing', ref };
    if (r.kind === 'local') return { kind: r.format, url: `${caseUrl}/images/${i}` };
    if (r.kind === 'external') return { kind: 'web', url: r.url };
    return { kind: 'dicomweb', base: `${caseUrl}/dicomweb`, study: r.study, series: r.series, instance: r.instance };
  });
}

export function contentTypeFor(path: string): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return ext === 'dcm' ? 'application/dicom' : ext === 'png' ? 'image/png' : 'image/jpeg';
}
