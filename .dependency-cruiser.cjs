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
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|build|public)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.tsx', '.js'] },
  },
};
