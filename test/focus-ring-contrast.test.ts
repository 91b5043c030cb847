/**
 * The keyboard focus ring's contrast (WCAG 2.1 SC 1.4.11, non-text contrast ≥ 3:1), computed
 * from the colours in app/styles.css: the ring drawn on light surfaces (--focus-ring) against
 * every light background the stylesheet paints, and the amber ring used inside the dark header
 * and viewer toolbar (--focus) against theirs. Contrast ratio and relative luminance as WCAG 2.1
 * defines them (sRGB, (L1 + 0.05) / (L2 + 0.05)).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const css = readFileSync(new URL('../app/styles.css', import.meta.url), 'utf8');
const vars = new Map([...css.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{3,6})\b/gi)].map((m) => [m[1], m[2]]));

function hex(c: string): [number, number, number] {
  const h = c.replace('#', '');
  const full = h.length === 3 ? [...h].map((x) => x + x).join('') : h;
  return [0, 2, 4].map((i) => Number.parseInt(full.slice(i, i + 2), 16)) as [number, number, number];
}
function luminance(c: string): number {
  const [r, g, b] = hex(c).map((v) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
const resolve = (v: string) => (v.startsWith('var(') ? vars.get(v.slice(6, -1)) : v);

/** Every rule's background colour: [selector, colour]. */
const backgrounds: [string, string][] = [...css.matchAll(/([^{}]+)\{([^}]*)\}/g)].flatMap((m) => {
  const bg = /background(?:-color)?:\s*(#[0-9a-f]{3,6}|var\(--[a-z-]+\))/i.exec(m[2]);
  const colour = bg ? resolve(bg[1]) : undefined;
  return colour ? [[m[1].trim(), colour] as [string, string]] : [];
});
const DARK = /app-header|viewer|tv-/;

describe('focus ring contrast', () => {
  it('sanity: the WCAG formula gives the known ratios', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  it('the ring on light pages is at least 3:1 against every light background in the stylesheet', () => {
    const ring = vars.get('focus-ring')!;
    expect(ring).toBeDefined();
    expect(css).toMatch(/(^|\n):focus-visible\s*\{\s*outline:\s*3px solid var\(--focus-ring\)/);
    const light = backgrounds.filter(([sel, c]) => !DARK.test(sel) && luminance(c) > 0.4);
    expect(light.length).toBeGreaterThan(10);
    const ratios = light.map(([sel, c]) => ({ sel, c, ratio: Math.round(contrast(ring, c) * 100) / 100 }));
    expect(ratios.filter((r) => r.ratio < 3)).toEqual([]);
    // The page background and panels, named so a palette change shows here first.
    expect(contrast(ring, vars.get('bg')!)).toBeGreaterThan(3);
    expect(contrast(ring, vars.get('panel')!)).toBeGreaterThan(3);
  });

  it('inside the dark header and viewer toolbar the ring is amber, at least 3:1 against their backgrounds', () => {
    const amber = vars.get('focus')!;
    for (const container of ['.app-header', '.viewer-tools']) {
      expect(css, `${container} overrides the ring colour`).toContain(`${container} :focus-visible { outline-color: var(--focus); }`);
      const bg = backgrounds.find(([sel]) => sel === container)?.[1];
      expect(bg, `${container} has a background`).toBeDefined();
      expect(contrast(amber, bg!)).toBeGreaterThan(3);
      // The dark ring would not do there: that is why the override exists.
      expect(contrast(vars.get('focus-ring')!, bg!)).toBeLessThan(3);
    }
  });
});
