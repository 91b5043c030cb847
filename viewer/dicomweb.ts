/**
 * DICOMweb objects through the app's per-case proxy: the series (or study) metadata is fetched
 * once, each instance's header is handed to the loader, and its frames become wadors: image ids.
 */
import { wadors } from '@cornerstonejs/dicom-image-loader';
import type { ViewerImage } from '../imaging/refs.ts';

type Instance = Record<string, { vr?: string; Value?: unknown[] }>;

export async function loadDicomWeb(im: Extract<ViewerImage, { kind: 'dicomweb' }>): Promise<string[]> {
  const base = new URL(im.base, location.href).href.replace(/\/$/, '');
  const path = `studies/${im.study}${im.series ? `/series/${im.series}` : ''}${im.series && im.instance ? `/instances/${im.instance}` : ''}`;
  const res = await fetch(`${base}/${path}/metadata`, { headers: { Accept: 'application/dicom+json' }, credentials: 'same-origin' });
  if (!res.ok) throw new Error(`DICOMweb metadata ${path}: HTTP ${res.status}`);
  const instances = (await res.json()) as Instance[];
  const str = (m: Instance, tag: string) => String(m[tag]?.Value?.[0] ?? '');
  const num = (m: Instance, tag: string) => Number(m[tag]?.Value?.[0] ?? 0);
  instances.sort((a, b) => str(a, '0020000E').localeCompare(str(b, '0020000E')) || num(a, '00200013') - num(b, '00200013'));
  const ids: string[] = [];
  for (const m of instances) {
    if (!m['7FE00010'] && !m['00280010']) continue; // no pixel data: a report or a structured document
    const frames = Math.max(1, num(m, '00280008'));
    for (let f = 1; f <= frames; f++) {
      const id = `wadors:${base}/studies/${str(m, '0020000D')}/series/${str(m, '0020000E')}/instances/${str(m, '00080018')}/frames/${f}`;
      wadors.metaDataManager.add(id, m as never);
      ids.push(id);
    }
  }
  return ids;
}
