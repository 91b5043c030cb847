#!/usr/bin/env node
// Code says why, not which ticket asked for it: a comment that cites an issue number goes stale
// the day the issue closes. Decision notes under docs/ may cite issues; code may not.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['app', 'bench', 'cli', 'db', 'domain', 'formats', 'imaging', 'jobs', 'reports', 'scripts', 'seed', 'stats', 'test', 'viewer', 'workflows', 'server.ts', '.ci'];
const code = /\.(ts|tsx|js|mjs|cjs|sh)$|^run$/;
const citation = /\bissues? ?#?\d+\b/i;
const found = [];

function walk(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isDirectory()) {
    for (const name of readdirSync(path)) if (name !== 'node_modules' && name !== 'fixtures') walk(join(path, name));
    return;
  }
  if (!code.test(path.split('/').pop() ?? '')) return;
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (citation.test(line)) found.push(`${path}:${i + 1}: ${line.trim()}`);
    });
}

for (const root of roots) walk(root);
if (found.length > 0) {
  console.error(`Comments cite issue numbers (say why instead):\n${found.join('\n')}`);
  process.exit(1);
}
