import type { PoolClient } from './db';

/** Appends one entry to a credential's timeline; a retried activity adds nothing twice. */
export async function recordEvent(
  client: PoolClient,
  credentialId: string,
  type: string,
  actor: string,
  data: Record<string, unknown>,
  idempotencyKey: string,
): Promise<void> {
  await client.query(
    `INSERT INTO credential_events (idempotency_key, credential_id, type, actor, data)
     VALUES ($1::text, $2::uuid, $3::text, $4::text, $5::jsonb)
     ON CONFLICT (idempotency_key) DO NOTHING`,
    [idempotencyKey, credentialId, type, actor, JSON.stringify(data)],
  );
}

/** The idempotency key of the event that records the re-issue answering `requestKey` (e.g. `recovery:<linkId>`). */
export const reissueEventKey = (credentialId: string, requestKey: string): string => `${credentialId}:reissue:${requestKey}`;
