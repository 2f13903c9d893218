/**
 * Integration tests run against real servers: the Temporal dev server (the official CLI), a
 * real PostgreSQL (DATABASE_URL, or a throw-away embedded PostgreSQL server from npm),
 * and the SMTP and SMS sinks reached over real connections.
 */
import type { TestProject } from 'vitest/node';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createPool } from '../../lib/db';
import { migrate } from '../../lib/migrate';
import { executableFor, resolveTemporalBinary } from '../../dev/temporal-binaries';
import { startSmtpSink } from '../../dev/sinks/smtp-sink';
import { startSmsSink } from '../../dev/sinks/sms-sink';
import { writeWorkflowBundle } from './shared';
import { databaseForTool } from '../../dev/embedded-postgres';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const database = await databaseForTool('integration');
  const databaseUrl = database.url;
  const pool = createPool(databaseUrl, 2);
  await migrate(pool);
  await pool.end();

  const cli = await resolveTemporalBinary('cli', { log: (m) => console.log(`[temporal] ${m}`), allowSdkDownload: true });
  const [env, smtp, sms, bundlePath] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: { executable: executableFor(cli), ip: '127.0.0.1', searchAttributes: SEARCH_ATTRIBUTES, log: { format: 'pretty', level: 'error' } },
    }),
    startSmtpSink({ smtpPort: 0, httpPort: 0 }),
    startSmsSink({ port: 0 }),
    writeWorkflowBundle('integration'),
  ]);
  project.provide('databaseUrl', databaseUrl);
  project.provide('temporalAddress', env.address);
  project.provide('smtpUrl', `smtp://127.0.0.1:${smtp.smtpPort}`);
  project.provide('smtpHttpUrl', smtp.httpUrl);
  project.provide('smsUrl', sms.url);
  project.provide('workflowBundlePath', bundlePath);

  return async () => {
    await Promise.all([env.teardown(), smtp.close(), sms.close()]);
    await database.release();
  };
}
