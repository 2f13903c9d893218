/** Workflow tests: the time-skipping test server binary, and one workflow bundle for the run. */
import type { TestProject } from 'vitest/node';
import { resolveTemporalBinary } from '../../dev/temporal-binaries';
import { writeWorkflowBundle } from './shared';

export default async function setup(project: TestProject): Promise<void> {
  const server = await resolveTemporalBinary('test-server', { log: (m) => console.log(`[temporal] ${m}`), allowSdkDownload: true });
  project.provide('testServerPath', 'path' in server ? server.path : '');
  project.provide('workflowBundlePath', await writeWorkflowBundle('workflow'));
}
