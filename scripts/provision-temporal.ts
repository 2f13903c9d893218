/**
 * Provision the Temporal binaries before tests run (used by .ci/run; handy on a fresh checkout).
 *
 *   npx tsx scripts/provision-temporal.ts [cli|test-server|all] [--allow-sdk-download]
 *   npx tsx scripts/provision-temporal.ts cluster      # npm run provision:temporal-server
 *
 * Progress goes to stderr. Stdout gets one `VAR=path` line per resolved binary
 * (`TEMPORAL_CLI_PATH=…`, `TEMPORAL_TEST_SERVER_PATH=…`), shell-quoted, so a caller can
 * `set -a; eval "$(npx tsx scripts/provision-temporal.ts all)"; set +a` and later steps skip the
 * lookup entirely. Exits 1 with the resolver's explanation when a binary cannot be provided.
 *
 * `cluster` builds the real Temporal server, its SQL tool and the Web UI server for the cluster
 * profile (dev/temporal-server.ts) from the Go module proxy into `.cache/temporal-server/`, unless
 * they are there already (~13 minutes cold); not part of `all`.
 */
import { provisionTemporalServer } from '../dev/temporal-server';
import {
  envVarFor,
  resolveTemporalBinary,
  type ResolvedTemporalBinary,
  type TemporalBinaryKind,
} from '../dev/temporal-binaries';

const USAGE = 'usage: npx tsx scripts/provision-temporal.ts [cli|test-server|all|cluster] [--allow-sdk-download]';

function parseArgs(argv: readonly string[]): { kinds: TemporalBinaryKind[]; allowSdkDownload: boolean } {
  let which = 'all';
  let allowSdkDownload = false;
  for (const arg of argv) {
    if (arg === '--allow-sdk-download') allowSdkDownload = true;
    else if (arg === '-h' || arg === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (arg === 'cli' || arg === 'test-server' || arg === 'all') which = arg;
    else {
      process.stderr.write(`unknown argument ${JSON.stringify(arg)}\n${USAGE}\n`);
      process.exit(2);
    }
  }
  const kinds: TemporalBinaryKind[] = which === 'all' ? ['cli', 'test-server'] : [which as TemporalBinaryKind];
  return { kinds, allowSdkDownload };
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

async function main(): Promise<void> {
  const log = (msg: string): void => {
    process.stderr.write(`${msg}\n`);
  };
  if (process.argv[2] === 'cluster') {
    const started = Date.now();
    const b = await provisionTemporalServer({ log, ui: true });
    log(`Temporal server ${b.server}, SQL tool ${b.sql}, Web UI ${b.ui ?? `none (${b.uiProblem})`} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
    return;
  }
  const { kinds, allowSdkDownload } = parseArgs(process.argv.slice(2));
  // Sequential on purpose: the installs share one lock, so running them in parallel gains nothing
  // and interleaves the progress output.
  for (const kind of kinds) {
    const started = Date.now();
    let resolved: ResolvedTemporalBinary;
    try {
      resolved = await resolveTemporalBinary(kind, { log, allowSdkDownload });
    } catch (err) {
      process.stderr.write(`\n${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    }
    const took = ((Date.now() - started) / 1000).toFixed(1);
    if ('path' in resolved) {
      log(`${kind}: ${resolved.path} (source: ${resolved.source}, ${took}s)`);
      process.stdout.write(`${envVarFor(kind)}=${shellQuote(resolved.path)}\n`);
    } else {
      log(`${kind}: the SDK will download it itself (source: sdk-download, ${took}s)`);
      process.stdout.write(`# ${envVarFor(kind)} left unset: SDK download\n`);
    }
  }
}

await main();
