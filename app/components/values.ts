/** Answers and truth values as short text: {"left/birads":"4"} → "left/birads 4". */
export function formatValues(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.map(formatValues).join(', ');
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return '—';
    return entries.map(([k, x]) => `${k} ${formatValues(x)}`).join(' · ');
  }
  return String(v);
}

/** A count as people read it: 100000 → "100,000" (the same on server and client, so hydration matches). */
export function formatCount(n: number): string {
  return n.toLocaleString('en-GB');
}
