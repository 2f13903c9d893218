/**
 * Embedded PostgreSQL for `npm start` when DATABASE_URL is unset: PGlite (Postgres compiled to
 * WebAssembly) persisted under the data folder and exposed on a loopback socket, so the
 * application talks to it through plain `pg` exactly as it would to a real server.
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; maxConnections: number }): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(opts.dataDir);
  // maxConnections defaults to 1; a pg.Pool larger than that fails with "Connection terminated".
  const server = new PGLiteSocketServer({ db, port: opts.port, host: '127.0.0.1', maxConnections: opts.maxConnections });
  await server.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${opts.port}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
