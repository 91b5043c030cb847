// TRUTHLINE_BUILD_DIR lets tests build into a folder of their own, so a test run never swaps the
// assets under a running server (and two test files never build into the same folder).
const out = process.env.TRUTHLINE_BUILD_DIR;

/** @type {import('@remix-run/dev').AppConfig} */
export default {
  // Server-only modules and tests are never routes.
  ignoredRouteFiles: ['**/.*', '**/*.server.*', '**/*.test.*'],
  serverModuleFormat: 'esm',
  serverPlatform: 'node',
  ...(out ? { serverBuildPath: `${out}/build/index.js`, assetsBuildDirectory: `${out}/public/build` } : {}),
  future: { v3_fetcherPersist: true, v3_relativeSplatPath: true, v3_throwAbortReason: true, v3_lazyRouteDiscovery: true },
};
