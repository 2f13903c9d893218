/**
 * The layers and their arrows (docs/architecture.md), checked by `npm run lint:layers` in
 * `npm test`. Type-only imports count: a cycle through types is still a cycle to a reader.
 *
 *   front-ends (api/, portal/, console/, web/)  →  services/  →  lib/, domain/
 *   worker/  →  activities/  →  lib/, domain/          workflows/  →  domain/ (+ activity types)
 */
const FRONT_ENDS = '^(api|portal|console|web)/';

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'No module may reach itself through its imports.', from: {}, to: { circular: true } },
    {
      name: 'lib-is-the-bottom',
      severity: 'error',
      comment: 'lib/ is below everything: it imports only lib/, domain/ and packages.',
      from: { path: '^lib/' },
      to: { path: '^(api|portal|console|web|services|activities|workflows|worker|forms|dev|scripts|bench)/' },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'domain/ holds rules without I/O: no database, network, files or Temporal.',
      from: { path: '^domain/' },
      to: { path: '^(lib|api|portal|console|web|services|activities|workflows|worker|forms|dev|scripts|bench)/|^node:(fs|net|http|https|child_process)|node_modules/(pg|express|nodemailer|@temporalio)/' },
    },
    {
      name: 'front-ends-use-services',
      severity: 'error',
      comment: 'The JSON API, the portal and the console reach data and workflows through services/, never through activities/.',
      from: { path: FRONT_ENDS },
      to: { path: '^(activities|worker)/|node_modules/pg/' },
    },
    {
      name: 'services-below-front-ends',
      severity: 'error',
      comment: 'services/ does not know which front-end calls it.',
      from: { path: '^services/' },
      to: { path: `${FRONT_ENDS}|^(activities|worker)/` },
    },
    {
      name: 'activities-below-services',
      severity: 'error',
      comment: 'Activities and services are siblings over lib/ and domain/.',
      from: { path: '^activities/' },
      to: { path: `${FRONT_ENDS}|^(services|worker)/` },
    },
    {
      name: 'workflows-import-activities-as-types',
      severity: 'error',
      comment: 'Workflow code runs in the sandbox: activities only as types (eslint checks the same for packages).',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflows-sandbox',
      severity: 'error',
      comment: 'Workflows import definitions, domain rules and SDK packages only.',
      from: { path: '^workflows/' },
      to: { path: `${FRONT_ENDS}|^(services|lib|worker|forms|dev|scripts|bench)/` },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|\\.cache|\\.data|test-artifacts)/' },
  },
};
