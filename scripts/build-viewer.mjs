/**
 * Builds the Cornerstone3D viewer (viewer/) into public/viewer/: the viewer module, the DICOM
 * decode worker as a second entry point (the loader creates it as
 * new URL('./decodeImageFrameWorker.js', import.meta.url), so it sits beside the viewer), and the
 * codecs' .wasm files, which the decoders look up relative to the worker (rewritten below to
 * ./codecs/<file>.wasm so they are served with their real names and MIME type).
 */
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Beside the server build when TRUTHLINE_BUILD_DIR is set (tests), else in ./public.
const OUT = path.join(path.resolve(ROOT, process.env.TRUTHLINE_BUILD_DIR ?? '.'), 'public/viewer');
const require = createRequire(path.join(ROOT, 'node_modules/@cornerstonejs/dicom-image-loader/package.json'));
const codecsDir = path.join(OUT, 'codecs');

fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(codecsDir, { recursive: true });

/** new URL('@cornerstonejs/codec-x/decodewasm', import.meta.url) → new URL('./codecs/<file>.wasm', import.meta.url) */
const wasmUrls = {
  name: 'codec-wasm-urls',
  setup(b) {
    b.onLoad({ filter: /dicom-image-loader[\\/]dist[\\/]esm[\\/]shared[\\/]decoders[\\/].*\.js$/ }, async (args) => {
      let src = await fs.promises.readFile(args.path, 'utf8');
      src = src.replace(/new URL\(\s*'(@cornerstonejs\/[^']+)'\s*,\s*import\.meta\.url\s*\)/g, (_m, spec) => {
        const file = require.resolve(spec);
        const name = path.basename(file);
        fs.copyFileSync(file, path.join(codecsDir, name));
        return `new URL('./codecs/${name}', import.meta.url)`;
      });
      return { contents: src, loader: 'js' };
    });
  },
};

const shims = {
  name: 'node-shims',
  setup(b) {
    // Browser stand-ins for node built-ins some dependencies import; fs/path are only reached in node.
    b.onResolve({ filter: /^(events|url)$/ }, (a) => ({ path: a.path, namespace: 'shim' }));
    b.onLoad({ filter: /.*/, namespace: 'shim' }, (a) =>
      a.path === 'events'
        ? {
            contents: `export * from ${JSON.stringify(require.resolve('events/'))}; export { default } from ${JSON.stringify(require.resolve('events/'))};`,
            resolveDir: ROOT,
            loader: 'js',
          }
        : {
            contents:
              'export const URL = globalThis.URL; export const URLSearchParams = globalThis.URLSearchParams; export function fileURLToPath(u) { return new URL(u).pathname; } export default { URL, URLSearchParams, fileURLToPath };',
            loader: 'js',
          },
    );
  },
};

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: process.env.NODE_ENV !== 'development',
  sourcemap: true,
  external: ['fs', 'path', 'module', 'crypto', 'worker_threads'],
  plugins: [wasmUrls, shims],
  logLevel: 'warning',
  legalComments: 'linked',
  define: { 'process.env.NODE_ENV': '"production"' },
};

const started = Date.now();
await build({ ...common, entryPoints: { viewer: path.join(ROOT, 'viewer/index.ts') }, outdir: OUT });
await build({
  ...common,
  entryPoints: { decodeImageFrameWorker: path.join(ROOT, 'node_modules/@cornerstonejs/dicom-image-loader/dist/esm/decodeImageFrameWorker.js') },
  outdir: OUT,
});
const files = fs.readdirSync(OUT, { recursive: true }).filter((f) => !f.endsWith('.map'));
process.stdout.write(`viewer built in ${Date.now() - started} ms: ${files.join(', ')}\n`);
