/**
 * Synthetic demo images (no patient data, no licence questions): a chest radiograph with or
 * without a pneumothorax, and a mammogram (one breast per image) with or without a mass.
 */
import { encodeGreyPng } from './png.ts';

export function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

export function chestRadiograph(seed: number, pneumothorax: 'none' | 'left' | 'right'): Buffer {
  const W = 320,
    H = 384;
  const r = rng(seed);
  const px = new Uint8Array(W * H);
  const tilt = (r() - 0.5) * 10;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const nx = (x - W / 2 - tilt) / (W / 2),
        ny = (y - H / 2) / (H / 2);
      let v = 200 - 60 * Math.abs(nx) ** 2; // soft tissue
      const inLung = (cx: number) => ((nx - cx) / 0.36) ** 2 + ((ny + 0.05) / 0.72) ** 2 < 1;
      const left = inLung(0.42),
        right = inLung(-0.42);
      if (left || right) {
        v = 70 + 25 * (ny + 1); // aerated lung is dark
        v += 18 * Math.max(0, Math.sin((y + 12 * Math.sin(x / 40)) / 9)) ** 6; // ribs
        const side = nx > 0 ? 'left' : 'right';
        const edge = nx > 0 ? 0.42 + 0.36 * 0.72 : -0.42 - 0.36 * 0.72;
        const collapsed = pneumothorax === side && Math.abs(nx - edge) < 0.22 && ny < 0.2;
        if (collapsed)
          v = 40; // no lung markings beyond the pleural line
        else v += 10 * Math.sin(x * 0.7 + y * 0.3) * Math.sin(x * 0.21 - y * 0.55); // vascular markings
        if (pneumothorax === side && Math.abs(Math.abs(nx - edge) - 0.22) < 0.006 && ny < 0.2) v = 170; // pleural line
      }
      if (Math.abs(nx + 0.05) < 0.12 && ny > -0.6) v = Math.max(v, 215); // mediastinum / spine
      if (ny > 0.45 && Math.abs(nx) < 0.9 && ny > 0.45 + 0.3 * Math.abs(nx)) v = 225; // diaphragm
      px[y * W + x] = clamp(v + (r() - 0.5) * 14);
    }
  }
  return encodeGreyPng(W, H, px);
}

export function mammogram(seed: number, side: 'left' | 'right', mass: boolean): Buffer {
  const W = 256,
    H = 320;
  const r = rng(seed);
  const px = new Uint8Array(W * H);
  const mx = 0.35 + r() * 0.3,
    my = 0.3 + r() * 0.4,
    mr = 0.05 + r() * 0.04;
  const density = 0.5 + r() * 0.8;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const xx = side === 'left' ? x / W : 1 - x / W;
      const yy = (y - H / 2) / (H / 2);
      const inside = xx < 0.85 * Math.sqrt(Math.max(0, 1 - yy * yy));
      let v = 8;
      if (inside) {
        v = 90 + 50 * (1 - xx) + density * 30 * Math.sin(xx * 23 + yy * 7 + Math.sin(yy * 19)) * Math.cos(yy * 31 - xx * 5);
        if (mass && (xx - mx) ** 2 + (yy - my) ** 2 < mr * mr) v += 70;
      }
      px[y * W + x] = clamp(v + (r() - 0.5) * 12);
    }
  }
  return encodeGreyPng(W, H, px);
}
