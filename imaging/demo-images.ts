/**
 * Synthetic 12-bit demo studies as DICOM (no patient data): chest PA + lateral radiographs,
 * four-view screening mammograms and a small chest CT series. Pixel values are stored values;
 * each object carries the header a real one would (laterality, view, window, spacing).
 */
import { rng } from '../seed/images.ts';
import { SOP_CLASS, uid, writePart10, type Attributes, type GreyImage } from './part10.ts';

const clamp12 = (v: number) => (v < 0 ? 0 : v > 4095 ? 4095 : Math.round(v));

export type DemoObject = { name: string; bytes: Buffer };

// The demo reuses a few pixel variants per view and finding: generating every case's pixels made
// the first start (and every browser test's server) several times slower.
const VARIANTS = 4;
const pixelCache = new Map<string, GreyImage>();
function cached(key: string, make: () => GreyImage): GreyImage {
  let im = pixelCache.get(key);
  if (!im) pixelCache.set(key, (im = make()));
  return im;
}
type Study = { studyUid: string; studyDate: string; accession: string; patientId: string; seed: number };

function common(s: Study, modality: string, series: number, instance: number, extra: Record<string, unknown>): Attributes {
  return {
    SOPClassUID: SOP_CLASS[modality as keyof typeof SOP_CLASS],
    SOPInstanceUID: `${s.studyUid}.${series}.${instance}`,
    StudyInstanceUID: s.studyUid,
    SeriesInstanceUID: `${s.studyUid}.${series}`,
    Modality: modality,
    StudyDate: s.studyDate.replaceAll('-', ''),
    AccessionNumber: s.accession,
    PatientID: s.patientId,
    PatientName: `DEMO^${s.patientId}`,
    SeriesNumber: series,
    InstanceNumber: instance,
    Manufacturer: 'Truthline synthetic',
    ...extra,
  };
}

/** Chest radiograph, PA or lateral; a pneumothorax shows as a pleural line with no markings beyond. */
function chest(seed: number, view: 'PA' | 'LL', ptx: 'none' | 'left' | 'right'): GreyImage {
  const W = 384,
    H = 448;
  const r = rng(seed);
  const px = new Uint16Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const nx = (x - W / 2) / (W / 2),
        ny = (y - H / 2) / (H / 2);
      let v = 2600 - 900 * nx * nx; // soft tissue (higher = brighter in MONOCHROME2)
      if (Math.abs(nx) > 0.92) v = 300; // air outside the body
      if (view === 'PA') {
        const lung = (cx: number) => ((nx - cx) / 0.36) ** 2 + ((ny + 0.05) / 0.72) ** 2 < 1;
        const side = nx > 0 ? 'left' : 'right'; // PA: the patient's left on the viewer's right
        if (lung(0.42) || lung(-0.42)) {
          v = 1000 + 300 * (ny + 1) + 280 * Math.max(0, Math.sin((y + 12 * Math.sin(x / 40)) / 10)) ** 6;
          const edge = nx > 0 ? 0.42 + 0.26 : -0.42 - 0.26;
          const collapsed = ptx === side && Math.abs(nx - edge) < 0.22 && ny < 0.2;
          if (collapsed) v = 700;
          else v += 160 * Math.sin(x * 0.6 + y * 0.27) * Math.sin(x * 0.19 - y * 0.5);
          if (ptx === side && Math.abs(Math.abs(nx - edge) - 0.22) < 0.008 && ny < 0.2) v = 2300;
        }
        if (Math.abs(nx) < 0.13 && ny > -0.65) v = Math.max(v, 3000); // mediastinum and spine
      } else {
        if (((nx + 0.05) / 0.6) ** 2 + ((ny + 0.05) / 0.7) ** 2 < 1) v = 1300 + 250 * (ny + 1) + 120 * Math.sin(x * 0.3 + y * 0.2);
        if (nx > 0.45 && nx < 0.62 && ny > -0.7) v = Math.max(v, 3200); // spine, posterior
        if (Math.abs(nx + 0.1) < 0.14 && Math.abs(ny) < 0.25) v = Math.max(v, 2700); // heart
      }
      if (ny > 0.5 && ny > 0.5 + 0.3 * Math.abs(nx) && Math.abs(nx) < 0.92) v = 3100; // diaphragm
      px[y * W + x] = clamp12(v + (r() - 0.5) * 160);
    }
  }
  return { rows: H, columns: W, pixels: px, bitsStored: 12 };
}

/**
 * One mammographic view, stored as displayed: the right breast with its chest wall on the image's
 * right edge, the left breast with its chest wall on the left, so the two sides hang back to back.
 */
function mammo(seed: number, side: 'L' | 'R', view: 'CC' | 'MLO', mass: boolean): GreyImage {
  const W = 320,
    H = 400;
  const r = rng(seed);
  const px = new Uint16Array(W * H);
  const mx = 0.3 + r() * 0.3,
    my = (view === 'MLO' ? -0.1 : 0) + (r() - 0.5) * 0.5,
    mr = 0.05 + r() * 0.03;
  const density = 0.5 + r() * 0.8;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const depth = side === 'L' ? x / W : 1 - x / W; // 0 at the chest wall
      const yy = (y - H / 2) / (H / 2) + (view === 'MLO' ? 0.25 * (1 - depth) : 0);
      const inside = depth < 0.85 * Math.sqrt(Math.max(0, 1 - yy * yy));
      let v = 120;
      if (inside) {
        v = 1500 + 700 * (1 - depth) + density * 420 * Math.sin(depth * 23 + yy * 7 + Math.sin(yy * 19)) * Math.cos(yy * 31 - depth * 5);
        if (mass && (depth - mx) ** 2 + (yy - my) ** 2 < mr * mr) v += 1100;
      }
      if (view === 'MLO' && depth < 0.12 && yy < -0.45) v = Math.max(v, 2900); // pectoral muscle
      px[y * W + x] = clamp12(v + (r() - 0.5) * 150);
    }
  }
  return { rows: H, columns: W, pixels: px, bitsStored: 12 };
}

/** An axial chest CT slice in Hounsfield units (stored = HU + 1024), optionally with a nodule. */
function ctSlice(seed: number, z: number, nodule: boolean): GreyImage {
  const N = 256;
  const r = rng(seed);
  const px = new Uint16Array(N * N);
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const nx = (x - N / 2) / (N / 2),
        ny = (y - N / 2) / (N / 2);
      let hu = -1000;
      if ((nx / 0.9) ** 2 + (ny / 0.65) ** 2 < 1) {
        hu = 40; // soft tissue
        const lung = (cx: number) => ((nx - cx) / 0.33) ** 2 + (ny / (0.45 - 0.1 * Math.abs(z - 0.5))) ** 2 < 1;
        if (lung(0.4) || lung(-0.4)) hu = -850 + 60 * Math.sin(x * 0.9 + y * 0.7 + z * 9);
        if (Math.abs(nx) < 0.08 && ny > 0.35 && ny < 0.55) hu = 700; // vertebra
        if (((nx + 0.05) / 0.22) ** 2 + ((ny + 0.05) / 0.2) ** 2 < 1) hu = 45; // heart
        if ((nx / 0.9) ** 2 + (ny / 0.65) ** 2 > 0.88) hu = Math.abs(Math.sin(Math.atan2(ny, nx) * 9)) > 0.8 ? 600 : -80; // ribs and fat
        if (nodule && (nx - 0.42) ** 2 + (ny + 0.1) ** 2 < 0.0025 && Math.abs(z - 0.55) < 0.15) hu = 30;
      }
      px[y * N + x] = Math.max(0, Math.round(hu + 1024 + (r() - 0.5) * 30));
    }
  }
  return { rows: N, columns: N, pixels: px, bitsStored: 12 };
}

export function chestStudy(s: Study, ptx: 'none' | 'left' | 'right'): DemoObject[] {
  return (['PA', 'LL'] as const).map((view, i) => ({
    name: `${i + 1}-${view}.dcm`,
    bytes: writePart10(
      common(s, 'DX', 1, i + 1, {
        BodyPartExamined: 'CHEST',
        ViewPosition: view,
        PatientOrientation: view === 'PA' ? ['L', 'F'] : ['A', 'F'],
        ImagerPixelSpacing: [0.8, 0.8],
        WindowCenter: 2000,
        WindowWidth: 3000,
        SeriesDescription: `Chest ${view}`,
      }),
      cached(`chest ${view} ${view === 'PA' ? ptx : 'none'} ${s.seed % VARIANTS}`, () => chest((s.seed % VARIANTS) * 2 + i + 1, view, view === 'PA' ? ptx : 'none')),
    ),
  }));
}

export const MAMMO_VIEWS = [
  ['R', 'CC'],
  ['L', 'CC'],
  ['R', 'MLO'],
  ['L', 'MLO'],
] as const;

export function mammoStudy(s: Study, massSide: 'left' | 'right' | null): DemoObject[] {
  return MAMMO_VIEWS.map(([side, view], i) => ({
    name: `${i + 1}-${side}${view}.dcm`,
    bytes: writePart10(
      common(s, 'MG', 1, i + 1, {
        BodyPartExamined: 'BREAST',
        ImageLaterality: side,
        Laterality: side,
        ViewPosition: view,
        PatientOrientation: side === 'R' ? ['P', view === 'CC' ? 'L' : 'F'] : ['A', view === 'CC' ? 'R' : 'F'],
        ImagerPixelSpacing: [0.2, 0.2],
        WindowCenter: 2100,
        WindowWidth: 2600,
        PresentationIntentType: 'FOR PRESENTATION',
        SeriesDescription: `${side} ${view}`,
      }),
      cached(`mammo ${side}${view} ${massSide === (side === 'L' ? 'left' : 'right')} ${s.seed % VARIANTS}`, () =>
        mammo((s.seed % VARIANTS) * 4 + i + 1, side, view, massSide === (side === 'L' ? 'left' : 'right')),
      ),
    ),
  }));
}

export function ctStudy(s: Study, slices: number, nodule: boolean): DemoObject[] {
  return Array.from({ length: slices }, (_, i) => ({
    name: `${String(i + 1).padStart(3, '0')}.dcm`,
    bytes: writePart10(
      common(s, 'CT', 1, i + 1, {
        BodyPartExamined: 'CHEST',
        ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
        PixelSpacing: [1.4, 1.4],
        SliceThickness: 5,
        ImagePositionPatient: [-179.2, -179.2, -i * 5],
        ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
        RescaleIntercept: -1024,
        RescaleSlope: 1,
        RescaleType: 'HU',
        WindowCenter: -600,
        WindowWidth: 1500,
        SeriesDescription: 'Chest CT axial 5 mm',
      }),
      cached(`ct ${nodule} ${i}/${slices}`, () => ctSlice(1000 + i, i / Math.max(1, slices - 1), nodule)),
    ),
  }));
}

export { uid };
