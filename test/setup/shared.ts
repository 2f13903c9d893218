/**
 * Shared pieces of the global setups: the workflow bundle is built once per run and written to
 * a file every test process loads, so no test file pays for bundling again.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflows } from '../../worker/worker';

export const CACHE_DIR = path.resolve('.cache', 'test');

export async function writeWorkflowBundle(name: string): Promise<string> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const bundle = await bundleWorkflows();
  const file = path.join(CACHE_DIR, `${name}-${process.pid}.js`);
  writeFileSync(file, (bundle as { code: string }).code);
  return file;
}
