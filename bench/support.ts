/** Small helpers shared by the benchmarks. */
import net, { type AddressInfo } from 'node:net';
import type { Pool } from '../lib/db';

/** The p-th percentile of an ascending array. */
export const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
export const fmt = (n: number): string => n.toFixed(1);

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A free loopback port (bound and released), for a child process's listener. */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * How far the issuance of these credentials has got: letters filed in a mail-room batch, and
 * outbox messages not yet sent. An issuance is complete when its letter is filed and nothing of
 * it is pending (the first half went out on every channel).
 */
export async function issuanceProgress(pool: Pool, credentialIds: string[]): Promise<{ letters: number; pending: number }> {
  const { rows } = await pool.query<{ letters: string; pending: string }>(
    `SELECT (SELECT count(*) FROM letters WHERE credential_id = ANY($1::uuid[]) AND batch_date IS NOT NULL) AS letters,
            (SELECT count(*) FROM outbox WHERE credential_id = ANY($1::uuid[]) AND status <> 'sent') AS pending`,
    [credentialIds],
  );
  return { letters: Number(rows[0]!.letters), pending: Number(rows[0]!.pending) };
}
