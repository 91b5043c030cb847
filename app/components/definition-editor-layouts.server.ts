/**
 * Layout presets the structured editor offers for the hanging protocol; a definition whose
 * protocol is none of them keeps it ("keep"), editable in the Advanced view.
 */
import { canonicalJson } from '../../workflows/canonical-json.ts';
import { hangingProtocolSchema, type HangingProtocol, type HangingProtocolInput } from '../../imaging/hanging-protocol.ts';

const PRESETS: { id: string; protocol: HangingProtocolInput }[] = [
  { id: 'single', protocol: { name: 'One image', rows: 1, columns: 1, viewports: [{ label: 'Image' }] } },
  {
    id: 'chest-pa-lateral',
    protocol: {
      name: 'Chest PA | lateral',
      rows: 1,
      columns: 2,
      viewports: [
        { label: 'PA', match: { ViewPosition: 'PA' } },
        { label: 'Lateral', match: { ViewPosition: 'LL' } },
      ],
    },
  },
  {
    id: 'mammo-4',
    protocol: {
      name: 'Screening mammography 2×2',
      rows: 2,
      columns: 2,
      viewports: [
        { label: 'R CC', match: { ImageLaterality: 'R', ViewPosition: 'CC' }, align: 'right' },
        { label: 'L CC', match: { ImageLaterality: 'L', ViewPosition: 'CC' }, align: 'left' },
        { label: 'R MLO', match: { ImageLaterality: 'R', ViewPosition: 'MLO' }, align: 'right' },
        { label: 'L MLO', match: { ImageLaterality: 'L', ViewPosition: 'MLO' }, align: 'left' },
      ],
    },
  },
  { id: 'ct-stack', protocol: { name: 'CT stack', rows: 1, columns: 1, viewports: [{ label: 'Axial', match: { Modality: 'CT' }, stack: true }] } },
];

const parsed = PRESETS.map((p) => ({ id: p.id, protocol: hangingProtocolSchema.parse(p.protocol) }));

export const LAYOUTS = parsed.map((p) => ({ id: p.id, name: p.protocol.name }));

export function layoutProtocol(id: string): HangingProtocol | null {
  return parsed.find((p) => p.id === id)?.protocol ?? null;
}

/** Which choice a draft's protocol is: none, a preset's id, or keep (its own). */
export function layoutOf(protocol: unknown): string {
  if (protocol === undefined || protocol === null) return 'none';
  const r = hangingProtocolSchema.safeParse(protocol);
  if (!r.success) return 'keep';
  return parsed.find((p) => canonicalJson(p.protocol) === canonicalJson(r.data))?.id ?? 'keep';
}
