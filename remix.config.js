/** @type {import('@remix-run/dev').AppConfig} */
export default {
  // Server-only modules and tests are never routes.
  ignoredRouteFiles: ['**/.*', '**/*.server.*', '**/*.test.*'],
  serverModuleFormat: 'esm',
  serverPlatform: 'node',
  future: { v3_fetcherPersist: true, v3_relativeSplatPath: true, v3_throwAbortReason: true, v3_lazyRouteDiscovery: true },
};
