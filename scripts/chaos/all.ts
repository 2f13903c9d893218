/**
 * `npm run chaos` — every reliability scenario, one after the other (CHAOS_SIZE=full for the full
 * sizes), each report printed as it finishes; exit code 1 when any check of any scenario failed.
 */
import { formatResult, sizeFromEnv, type ChaosResult, type ChaosRunOptions } from './harness';
import { run as workerCrash } from './worker-crash';
import { run as restarts } from './restarts';
import { run as channelsDown } from './channels-down';
import { run as surge } from './surge';
import { run as secretsCanary } from './secrets-canary';

/** The scenarios in the order `npm run chaos` runs them. */
export const SCENARIOS: Record<string, (opts: ChaosRunOptions) => Promise<ChaosResult>> = {
  'worker-crash': workerCrash,
  restarts,
  'channels-down': channelsDown,
  surge,
  'secrets-canary': secretsCanary,
};

const size = sizeFromEnv();
const failed: string[] = [];
for (const [name, run] of Object.entries(SCENARIOS)) {
  try {
    const result = await run({ size });
    console.log(formatResult(result));
    if (!result.ok) failed.push(name);
  } catch (err) {
    console.error(`chaos:${name} could not run:`, err);
    failed.push(name);
  }
}
console.log(failed.length ? `chaos: FAILED ${failed.join(', ')}` : 'chaos: all scenarios passed');
process.exit(failed.length ? 1 : 0);
