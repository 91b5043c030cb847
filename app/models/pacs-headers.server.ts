/**
 * Header quality of a PACS study before it becomes a case (the seed whitepaper's warnings): each
 * a sentence a lead must acknowledge. Pure: given the study's QIDO answer and, per series, the
 * full header of its first instance and the transfer syntax its pixels are stored in.
 */
export type DicomJson = Record<string, { vr?: string; Value?: unknown[] } | undefined>;
export type SeriesHeaders = {
  uid: string;
  modality: string;
  instances: number;
  /** Full headers (WADO-RS metadata) of its instances: all of a small series, the first of a large one. */
  headers: DicomJson[];
  hasPixels: boolean;
  /** As the PACS stores the pixels (null: not known). */
  transferSyntax: string | null;
};

export function str(m: DicomJson | undefined, tag: string): string {
  const v = m?.[tag]?.Value?.[0];
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return String((v as { Alphabetic?: string }).Alphabetic ?? '').trim();
  return String(v).trim();
}
const all = (m: DicomJson | undefined, tag: string): string[] => (m?.[tag]?.Value ?? []).map((v) => String(v).trim()).filter(Boolean);

/** What the viewer's decoders read (dicom-image-loader 4.x codecs). */
export const SUPPORTED_TRANSFER_SYNTAXES: Record<string, string> = {
  '1.2.840.10008.1.2': 'implicit VR little endian',
  '1.2.840.10008.1.2.1': 'explicit VR little endian',
  '1.2.840.10008.1.2.2': 'explicit VR big endian',
  '1.2.840.10008.1.2.1.99': 'deflated explicit VR little endian',
  '1.2.840.10008.1.2.5': 'RLE lossless',
  '1.2.840.10008.1.2.4.50': 'JPEG baseline',
  '1.2.840.10008.1.2.4.51': 'JPEG extended',
  '1.2.840.10008.1.2.4.57': 'JPEG lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG lossless SV1',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS near-lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.4.201': 'HTJ2K lossless',
  '1.2.840.10008.1.2.4.202': 'HTJ2K lossless RPCL',
  '1.2.840.10008.1.2.4.203': 'HTJ2K',
};

/** Attributes that name or identify the patient (present = a reader could see them through the viewer). */
const IDENTIFYING: [string, string][] = [
  ['00100010', 'patient name'],
  ['00100030', 'birth date'],
  ['00101000', 'other patient IDs'],
  ['00101001', 'other patient names'],
  ['00101040', 'address'],
  ['00102154', 'telephone numbers'],
];
const LATERAL_MODALITIES = new Set(['MG']);

export function headerWarnings(
  study: DicomJson,
  series: SeriesHeaders[],
): { warnings: string[]; summary: { modality: string; bodyPart: string; laterality: string; views: string[]; manufacturer: string } } {
  const w: string[] = [];
  const first = (s: SeriesHeaders) => s.headers[0];
  const anyHeader = (f: (m: DicomJson) => boolean) => series.some((s) => s.hasPixels && s.headers.some(f));
  const images = series.filter((s) => s.hasPixels);
  const name = (s: SeriesHeaders) => `series ${str(first(s), '00200011') || series.indexOf(s) + 1}${s.modality ? ` (${s.modality})` : ''}`;
  if (!series.length) w.push('The study has no series.');
  for (const s of series.filter((x) => !x.hasPixels)) w.push(`${name(s)} has no pixel data (a report or document): it is left out of the case.`);
  if (series.length && !images.length) w.push('No series of the study has pixel data: there is nothing to read.');

  const modalities = [...new Set(images.map((s) => s.modality || str(first(s), '00080060')).filter(Boolean))];
  if (!modalities.length && !all(study, '00080061').length) w.push('Modality is missing.');
  for (const s of images) {
    const own = str(first(s), '00080060');
    if (s.modality && own && own !== s.modality) w.push(`${name(s)}: the series says modality ${s.modality}, its images say ${own}.`);
  }
  if (modalities.length > 1) w.push(`The image series have different modalities (${modalities.join(', ')}).`);

  const bodyParts = [...new Set(images.map((s) => str(first(s), '00180015').toUpperCase()).filter(Boolean))];
  if (images.length && !bodyParts.length) w.push('Body part examined (0018,0015) is missing.');
  if (bodyParts.length > 1) w.push(`Body part examined contradicts itself across series (${bodyParts.join(', ')}).`);

  const lats = new Set<string>();
  for (const s of images) {
    let contradicts = false;
    let missing = false;
    for (const m of s.headers) {
      const image = str(m, '00200062').toUpperCase();
      const seriesLat = str(m, '00200060').toUpperCase();
      if (image) lats.add(image);
      else if (seriesLat) lats.add(seriesLat);
      if (image && seriesLat && image !== seriesLat) contradicts = true;
      if (!image && !seriesLat) missing = true;
    }
    if (contradicts) w.push(`${name(s)}: laterality contradicts itself (Image Laterality and Laterality differ).`);
    const mod = s.modality || str(first(s), '00080060');
    if (LATERAL_MODALITIES.has(mod) && missing) w.push(`${name(s)}: laterality is missing on a ${mod} image.`);
  }

  if (anyHeader((m) => str(m, '00280301').toUpperCase() === 'YES')) w.push('Burned In Annotation = YES: text may be burned into the pixels (names, dates).');
  const present = new Set<string>();
  for (const m of [study, ...images.flatMap((s) => s.headers)])
    for (const [tag, label] of IDENTIFYING) if (str(m, tag) || (tag === '00101000' && all(m, tag).length)) present.add(label);
  if (present.size) w.push(`Identifying attributes are present (${[...present].join(', ')}): readers could see them through the viewer.`);
  const privateTags = anyHeader((m) => Object.keys(m).some((k) => /^[0-9A-F]{8}$/i.test(k) && Number.parseInt(k.slice(0, 4), 16) % 2 === 1));
  if (privateTags) w.push('Private tags are present (vendor data that may hold identifiers).');
  for (const s of images) {
    if (s.headers.some((m) => !m['00280030'] && !m['00181164'])) w.push(`${name(s)}: pixel spacing is missing (measurements will be in pixels).`);
    if (s.transferSyntax && !(s.transferSyntax in SUPPORTED_TRANSFER_SYNTAXES)) w.push(`${name(s)}: transfer syntax ${s.transferSyntax} is not one the viewer can decode.`);
  }

  return {
    warnings: w,
    summary: {
      modality: modalities[0] ?? all(study, '00080061')[0] ?? '',
      bodyPart: bodyParts[0] ?? '',
      laterality: [...lats].sort().join(' '),
      views: [...new Set(images.flatMap((s) => s.headers.map((m) => str(m, '00185101'))).filter(Boolean))],
      manufacturer: images[0] ? str(first(images[0]), '00080070') : '',
    },
  };
}
