/**
 * The layers (docs/architecture.md): routes → models → workflow runtime → pure core / stats/;
 * domain/ under everything; db/ knows no app. `npm run lint` fails on an import that points the
 * wrong way.
 */
const CORE = '^workflows/(machine|machine-v1|agreement-rules|evidence-mapping|definition|read-schema|commands|canonical-json|hash-chain|engine|prov)\\.ts$';
module.exports = {
  forbidden: [
    { name: 'no-circular-domain', severity: 'error', comment: 'domain/ is the bottom layer: it imports only zod.', from: { path: '^domain/' }, to: { pathNot: ['^domain/', 'node_modules/zod'] } },
    { name: 'stats-is-pure', severity: 'error', comment: 'stats/ imports nothing of the app.', from: { path: '^stats/' }, to: { path: '^(app|workflows|db|domain|cli|seed|server\\.ts)' } },
    { name: 'core-without-db', severity: 'error', comment: 'The pure workflow core (machines, rules, hashing, canonical JSON) imports no db/.', from: { path: CORE }, to: { path: '^(db|app|seed|cli)/' } },
    { name: 'workflows-below-app', severity: 'error', comment: 'workflows/ never imports app/ (its tests may use the demo definitions).', from: { path: '^workflows/', pathNot: '\\.test\\.ts$' }, to: { path: '^(app|cli|seed)/' } },
    { name: 'routes-use-models', severity: 'error', comment: 'Routes call app/models (and app/api helpers); they never query the database.', from: { path: '^app/routes/' }, to: { path: '^db/' } },
    { name: 'db-knows-no-app', severity: 'error', comment: 'db/ imports neither app/ nor workflows/ (the demo seed lives in seed/).', from: { path: '^db/' }, to: { path: '^(app|workflows|seed|cli)/' } },
    { name: 'app-not-cli', severity: 'error', comment: 'The web app does not import the command line.', from: { path: '^app/' }, to: { path: '^cli/' } },
    {
      name: 'reports-is-pure',
      severity: 'error',
      comment: 'reports/ (report text → per-finding statuses, FHIR parsing) imports nothing of the app: models and the CLI call it.',
      from: { path: '^reports/' },
      to: { path: '^(app|workflows|db|domain|cli|seed|jobs|imaging|viewer|stats|formats)/|^server\\.ts$' },
    },
    {
      name: 'imaging-below-app',
      severity: 'error',
      comment: 'imaging/ (image references, hanging protocols) is shared by the server, the viewer bundle and the workflow definition: no app/, db/, workflows/, jobs/ or viewer/.',
      from: { path: '^imaging/', pathNot: '^imaging/demo-' },
      to: { path: '^(app|db|workflows|seed|cli|jobs|viewer|reports)/|^server\\.ts$' },
    },
    {
      name: 'imaging-demo-below-app',
      severity: 'error',
      comment: "imaging/'s demo DICOM writers serve the seed: they may use seed/ helpers and the definition's types, never app/, db/, jobs/ or viewer/.",
      from: { path: '^imaging/demo-' },
      to: { path: '^(app|db|cli|jobs|viewer|reports)/|^server\\.ts$' },
    },
    {
      name: 'jobs-below-app',
      severity: 'error',
      comment: 'jobs/ (queue table, runner, stored uploads, staging) sits on db/, domain/ and formats/: it never imports app/, workflows/ or the CLI; models call its public API.',
      from: { path: '^jobs/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(app|workflows|seed|cli|viewer|imaging|reports|stats)/|^server\\.ts$' },
    },
    {
      name: 'viewer-is-browser-only',
      severity: 'error',
      comment: 'viewer/ is the browser bundle: Cornerstone3D and the pure parts of imaging/ only — nothing of the server, no Node built-ins.',
      from: { path: '^viewer/' },
      to: { path: '^(app|db|workflows|domain|seed|cli|jobs|reports|stats|formats)/|^imaging/demo-|^server\\.ts$' },
    },
    { name: 'viewer-no-node', severity: 'error', comment: 'The viewer bundle runs in the browser: no Node built-ins.', from: { path: '^viewer/' }, to: { dependencyTypes: ['core'] } },
    {
      name: 'nothing-imports-viewer',
      severity: 'error',
      comment:
        'The viewer is a separate bundle (scripts/build-viewer.mjs), loaded by the read pages at run time, never imported; only its marks contract (types, no code) is shared with the page.',
      from: { path: '^(app|workflows|db|domain|stats|formats|reports|imaging|jobs|seed|cli)/|^server\\.ts$' },
      to: { path: '^viewer/', pathNot: '^viewer/marks-types\\.ts$' },
    },
    {
      name: 'lower-layers-not-feature-folders',
      severity: 'error',
      comment: 'db/, domain/, stats/ and formats/ sit below reports/, jobs/, imaging/ and viewer/.',
      from: { path: '^(db|domain|stats|formats)/' },
      to: { path: '^(reports|jobs|imaging|viewer)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|build|public)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.tsx', '.js'] },
  },
};
