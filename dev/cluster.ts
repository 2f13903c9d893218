/**
 * A throw-away cluster for `cluster:check` and `cluster:bench`: a PostgreSQL server of its own
 * under `.cache/postgres/` (never DATABASE_URL: Temporal's databases are created on it), the
 * schemas, the real Temporal server on free ports and the namespace with the project's search
 * attributes. `release()` stops the server and deletes the database cluster.
 */
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { databaseForTool } from './embedded-postgres';
import { ensureNamespace } from './temporal-namespace';
import { postgresEndpoint, provisionTemporalServer, setupTemporalSchemas, startTemporalServer, type PostgresEndpoint, type RunningTemporalServer } from './temporal-server';

export interface ThrowawayCluster {
  /** The application's database (`pin`) on the cluster's PostgreSQL. */
  databaseUrl: string;
  postgres: PostgresEndpoint;
  server: RunningTemporalServer;
  namespace: string;
  /** The PostgreSQL server's data folder (its postmaster.pid names the server process). */
  postgresDataDir?: string;
  /** Seconds from nothing to a namespace ready for workflows (schemas included). */
  startSeconds: number;
  release(): Promise<void>;
}

export async function startThrowawayCluster(opts: { name: string; dir: string; namespace?: string; log?: (line: string) => void }): Promise<ThrowawayCluster> {
  const t0 = performance.now();
  const binaries = await provisionTemporalServer({ log: opts.log });
  const database = await databaseForTool(opts.name, {});
  try {
    const postgres = postgresEndpoint(database.url);
    await setupTemporalSchemas({ sql: binaries.sql, postgres, log: opts.log });
    const server = await startTemporalServer({ binaries, dir: path.join(opts.dir, 'temporal'), postgres, maxConns: 40 });
    const namespace = opts.namespace ?? 'default';
    try {
      const connection = await Connection.connect({ address: server.address });
      await ensureNamespace(connection, namespace).finally(() => connection.close());
    } catch (err) {
      await server.stop();
      throw err;
    }
    return {
      databaseUrl: database.url,
      postgres,
      server,
      namespace,
      ...(database.embedded ? { postgresDataDir: database.embedded.dataDir } : {}),
      startSeconds: (performance.now() - t0) / 1000,
      async release() {
        await server.stop();
        await database.release();
      },
    };
  } catch (err) {
    await database.release();
    throw err;
  }
}
