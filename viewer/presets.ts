/** Window presets by modality. Radiographs and mammograms use the header's own window (preset 0). */
export type Preset = { name: string; window: number; level: number };

const CT: Preset[] = [
  { name: 'Lung', window: 1500, level: -600 },
  { name: 'Mediastinum', window: 350, level: 50 },
  { name: 'Bone', window: 2000, level: 300 },
  { name: 'Brain', window: 80, level: 40 },
];

export function presetsFor(modality: string | undefined): Preset[] {
  if (modality === 'CT') return CT;
  if (modality === 'MR') return [];
  return [];
}
