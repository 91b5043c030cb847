#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so operators need no build step.
//
// Fast start for `agreement` (a pure computation, often on large files): the command module and
// everything it imports are bundled by esbuild (tsx's own dependency) into one cached file, which
// plain node then loads without the tsx loader or hundreds of small module files (~1 s less
// start-up). The cache (node_modules/.cache/truthline, else the OS temp dir) is rebuilt on its
// own whenever any bundled file changes size or mtime, so there is nothing to build by hand.
// TRUTHLINE_CLI_CACHE=0 turns it off; any problem with it falls back to the tsx path below.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const BUNDLED = new Set(['agreement', 'extract']);

if (BUNDLED.has(argv[0]) && process.env.TRUTHLINE_CLI_CACHE !== '0') {
  let run = null;
  try {
    run = await bundledCommand(argv[0]);
  } catch {
    run = null;
  }
  if (run) process.exitCode = await run(argv.slice(1));
  else await viaTsx();
} else {
  await viaTsx();
}

async function viaTsx() {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('./main.ts');
  process.exitCode = await main(argv);
}

/** `run` of cli/commands/<name>.ts from a fresh cached bundle (built when missing or stale). */
async function bundledCommand(name) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.dirname(here);
  const require = createRequire(import.meta.url);
  const tsxRequire = createRequire(require.resolve('tsx/package.json'));
  const esbuildVersion = tsxRequire('esbuild/package.json').version;
  const key = `truthline-cli-bundle/1 esbuild ${esbuildVersion} ${root}`;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  const dirs = [path.join(root, 'node_modules', '.cache', 'truthline'), path.join(tmpdir(), `truthline-cli-${uid}`)];

  for (const dir of dirs) {
    const file = freshBundle(path.join(dir, `${name}.json`), key, root);
    if (file) return require(file).run;
  }

  const esbuild = tsxRequire('esbuild');
  const started = Date.now();
  const res = await esbuild.build({
    entryPoints: [path.join(here, 'commands', `${name}.ts`)],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = res.outputFiles[0].contents;
  const inputs = Object.keys(res.metafile.inputs).map((f) => {
    const s = statSync(path.resolve(root, f));
    return [f, s.size, s.mtimeMs];
  });
  // A file changed while it was being bundled: use this bundle once, do not keep it.
  const keep = inputs.every(([, , mtime]) => mtime < started);
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  for (const dir of dirs) {
    try {
      mkdirSync(dir, { recursive: true });
      const bundle = path.join(dir, `${name}-${hash}.cjs`);
      const tmp = `.${process.pid}.${Date.now()}.tmp`;
      writeFileSync(bundle + tmp, code);
      renameSync(bundle + tmp, bundle);
      if (keep) {
        const manifest = path.join(dir, `${name}.json`);
        writeFileSync(manifest + tmp, JSON.stringify({ key, bundle: path.basename(bundle), inputs }));
        renameSync(manifest + tmp, manifest);
        for (const old of readdirSync(dir)) {
          if (old.startsWith(`${name}-`) && old.endsWith('.cjs') && old !== path.basename(bundle)) unlinkSync(path.join(dir, old));
        }
      }
      return require(bundle).run;
    } catch {
      // not writable: next directory
    }
  }
  return null;
}

/** The bundle named by a manifest whose every input still has the recorded size and mtime, else null. */
function freshBundle(manifest, key, root) {
  let m;
  try {
    m = JSON.parse(readFileSync(manifest, 'utf8'));
  } catch {
    return null;
  }
  if (m.key !== key || !Array.isArray(m.inputs) || typeof m.bundle !== 'string') return null;
  for (const [f, size, mtime] of m.inputs) {
    const s = statSync(path.resolve(root, f), { throwIfNoEntry: false });
    if (!s || s.size !== size || s.mtimeMs !== mtime) return null;
  }
  return path.join(path.dirname(manifest), m.bundle);
}
