/**
 * The structured definition editor as a plain HTML form: every input is named by its path in the
 * definition with a type suffix ("d.readerForm.fields.2.min|n"), so the server can rebuild the
 * whole definition from a post without any script in the browser. Rows are added, removed and
 * moved by submit buttons ("op"), which the server applies to the draft and renders again.
 *
 * What the editor does not show (per-question agreement rules, location rules, …) travels in the
 * hidden "base" input and is merged back, so switching between the structured and JSON views loses
 * nothing. Pure and zod-free: the route runs it on the server; the component uses the naming helpers.
 */

export type Draft = Record<string, unknown>;
type Seg = string | number;

/** Suffixes: n number, b yes/no (hidden "false" then checkbox "true": the last wins), o optional text, l list, a list marker. */
export type Suffix = '' | 'n' | 'b' | 'o' | 'l' | 'a';

export const inputName = (path: string, suffix: Suffix = '') => `d.${path}${suffix ? `|${suffix}` : ''}`;
export const inputId = (path: string) => `e-${path.replace(/[^a-zA-Z0-9]+/g, '-')}`;

const segs = (path: string): Seg[] => path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));

function container(root: Draft, path: Seg[]): Record<Seg, unknown> {
  let node: Record<Seg, unknown> = root;
  for (const [i, s] of path.slice(0, -1).entries()) {
    const nextIsIndex = typeof path[i + 1] === 'number';
    if (node[s] === undefined || node[s] === null || typeof node[s] !== 'object') node[s] = nextIsIndex ? [] : {};
    node = node[s] as Record<Seg, unknown>;
  }
  return node;
}

const UNSET = Symbol('unset');

function decodeValue(suffix: string, v: string): unknown {
  if (suffix === 'n') {
    const t = v.trim();
    if (t === '') return UNSET;
    const n = Number(t);
    return Number.isFinite(n) ? n : t;
  }
  if (suffix === 'b') return v === 'true';
  if (suffix === 'o') return v.trim() === '' ? UNSET : v;
  return v;
}

/** The form's own values, nested; UNSET marks an input left empty (the property is removed). */
function formTree(entries: Iterable<[string, string]>): Draft {
  const root: Draft = {};
  for (const [name, value] of entries) {
    if (!name.startsWith('d.')) continue;
    const [path, suffix = ''] = name.slice(2).split('|');
    const p = segs(path);
    const c = container(root, p);
    const last = p[p.length - 1];
    if (suffix === 'a') {
      if (!Array.isArray(c[last])) c[last] = [];
    } else if (suffix === 'l') {
      const list = Array.isArray(c[last]) ? (c[last] as unknown[]) : (c[last] = []);
      for (const item of value.split(/[\n,]/)) if (item.trim()) (list as unknown[]).push(item.trim());
    } else c[last] = decodeValue(suffix, value);
  }
  return root;
}

/** base ← form: objects merge, a list from the form replaces the base's (merging each row with the base row it was rendered from). */
function merge(base: unknown, form: unknown): unknown {
  if (form === UNSET) return undefined;
  if (Array.isArray(form)) {
    const b = Array.isArray(base) ? base : [];
    // Lists of text (codes, marks tools) are the form's alone; lists of rows keep what the rows did not render.
    return form.map((row, i) => (row && typeof row === 'object' && !Array.isArray(row) ? merge(b[i], row) : row));
  }
  if (form && typeof form === 'object') {
    const out: Record<string, unknown> = base && typeof base === 'object' && !Array.isArray(base) ? { ...(base as Record<string, unknown>) } : {};
    for (const [k, v] of Object.entries(form)) {
      const m = merge(out[k], v);
      if (m === undefined) delete out[k];
      else out[k] = m;
    }
    // An optional part switched off ("$on" unchecked) is removed whole.
    if ('$on' in out) {
      if (out.$on === false) return undefined;
      delete out.$on;
    }
    return out;
  }
  return form;
}

/** The definition a structured-editor post describes: the base draft with the form's values over it. */
export function decodeDraft(entries: Iterable<[string, string]>, base: unknown): Draft {
  const merged = merge(base && typeof base === 'object' ? base : {}, formTree(entries));
  return (merged ?? {}) as Draft;
}

export const FIELD_KINDS = ['binary', 'ordinal', 'nominal', 'multi_label', 'numeric'] as const;
export type FieldKind = (typeof FIELD_KINDS)[number];
export const KIND_LABEL: Record<FieldKind | 'marks', string> = {
  binary: 'Yes / no',
  ordinal: 'Ordered scale (e.g. BI-RADS)',
  nominal: 'Choice of categories',
  multi_label: 'Several categories may apply',
  numeric: 'Number',
  marks: 'Marks on the images',
};

function uniqueKey(prefix: string, rows: unknown[]): string {
  const taken = new Set(rows.map((r) => (r && typeof r === 'object' ? (r as { key?: unknown }).key : undefined)));
  let n = rows.length + 1;
  while (taken.has(`${prefix}_${n}`)) n++;
  return `${prefix}_${n}`;
}

function newRow(listPath: string, kind: string, rows: unknown[]): unknown {
  const last = listPath.split('.').pop();
  if (last === 'options' || last === 'outsideScale') return { value: '', label: '' };
  if (last === 'findings') return { key: uniqueKey('finding', rows), label: '' };
  if (last === 'rules') return { kind: 'pathology', resultCodes: [], value: true, requiresWindow: false };
  if (last === 'marks') return { key: uniqueKey('marks', rows), label: '', scope: 'case', required: false, tools: ['point'], fields: [] };
  const base = { key: uniqueKey('item', rows), label: '', kind, scope: 'case', required: true };
  if (kind === 'binary') return { ...base, trueLabel: 'Yes', falseLabel: 'No' };
  if (kind === 'ordinal')
    return {
      ...base,
      options: [
        { value: '1', label: '' },
        { value: '2', label: '' },
      ],
      outsideScale: [],
    };
  if (kind === 'nominal' || kind === 'multi_label')
    return {
      ...base,
      options: [
        { value: '', label: '' },
        { value: '', label: '' },
      ],
    };
  if (kind === 'numeric') return { ...base, unit: '' };
  return base;
}

function at(root: unknown, path: Seg[]): unknown {
  let node = root;
  for (const s of path) node = node && typeof node === 'object' ? (node as Record<Seg, unknown>)[s] : undefined;
  return node;
}

/**
 * Applies a row operation ("add|readerForm.fields|ordinal", "remove|readerForm.fields.2",
 * "up|…", "down|…") to the draft in place; answers the path of the row to focus next, or null
 * when the operation names nothing there.
 */
export function applyOp(draft: Draft, op: string): string | null {
  const [verb, path, kind = ''] = op.split('|');
  if (!path) return null;
  const p = segs(path);
  if (verb === 'add') {
    const parent = container(draft, p);
    const last = p[p.length - 1];
    if (!Array.isArray(parent[last])) parent[last] = [];
    const list = parent[last] as unknown[];
    list.push(newRow(path, kind, list));
    return `${path}.${list.length - 1}`;
  }
  const index = p[p.length - 1];
  const list = at(draft, p.slice(0, -1));
  if (typeof index !== 'number' || !Array.isArray(list) || index >= list.length) return null;
  const listPath = p.slice(0, -1).join('.');
  if (verb === 'remove') {
    list.splice(index, 1);
    return list.length ? `${listPath}.${Math.min(index, list.length - 1)}` : listPath;
  }
  const to = verb === 'up' ? index - 1 : verb === 'down' ? index + 1 : -1;
  if (to < 0 || to >= list.length) return null;
  [list[index], list[to]] = [list[to], list[index]];
  return `${listPath}.${to}`;
}
