/**
 * Requesting a PIN through the API and collecting both halves the way the citizen would: the
 * first from the SMS sink, the second from the letter PDF in the mail room.
 */
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { credentialStateQuery, credentialWorkflowId, type CredentialView } from '../../workflows/definitions';
import type { CitizenRequest } from './citizens';
import { pdfText } from './pdf';
import type { TestStack } from './stack';

export interface Issued {
  citizen: CitizenRequest;
  credentialId: string;
  requestId: string;
  firstHalf: string;
  secondHalf: string;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The workflow's view once `ok` holds (not found until the workflow starter has started it). */
export async function waitForView(stack: TestStack, credentialId: string, ok: (v: CredentialView) => boolean, timeoutMs = 30_000): Promise<CredentialView> {
  return waitFor(
    `credential ${credentialId}`,
    async () => {
      const v = await stack.client.workflow.getHandle(credentialWorkflowId(credentialId)).query(credentialStateQuery).catch(() => undefined);
      return v && ok(v) ? v : undefined;
    },
    timeoutMs,
  );
}

/** The 8 characters printed after a label, with the spacing of the messages removed. */
export function halfFrom(text: string): string {
  const m = /(?:PIN is|PIN è|PIN \/ first part of your (?:new )?PIN):\s*([A-Z0-9]{4}\s?[A-Z0-9]{4})/.exec(text);
  if (!m) throw new Error(`no half-PIN in: ${text.slice(0, 200)}`);
  return m[1]!.replace(/\s/g, '');
}

/** The second half printed in a letter (its text as pdfText reads it), or undefined. */
export function secondHalfFrom(letterText: string): string | undefined {
  const m = /Second part of the PIN\s+([A-Z0-9](?:\s*[A-Z0-9]){7})/.exec(letterText);
  return m ? m[1]!.replace(/\s/g, '') : undefined;
}

export async function requestAndCollect(stack: TestStack, citizen: CitizenRequest): Promise<Issued> {
  const res = await fetch(`${stack.baseUrl}/api/pin-requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(citizen) });
  expect(res.status).toBe(202);
  const { credentialId, requestId } = (await res.json()) as { credentialId: string; requestId: string };
  const view = await waitForView(stack, credentialId, (v) => v.state === 'awaiting_letter_dispatch' && v.firstHalf.every((f) => f.state === 'sent'));
  const sms = await stack.smses({ to: citizen.mobile });
  expect(sms).toHaveLength(1);
  const firstHalf = halfFrom(sms[0]!.text);
  const { rows } = await stack.pool.query<{ file_path: string }>('SELECT file_path FROM letters WHERE id = $1::uuid', [view.letters[0]!.letterId]);
  const text = await pdfText(new Uint8Array(await readFile(rows[0]!.file_path)));
  const secondHalf = secondHalfFrom(text);
  expect(secondHalf, text).toBeDefined();
  return { citizen, credentialId, requestId, firstHalf, secondHalf: secondHalf! };
}

export interface ActiveCitizen extends Issued {
  /** The personal 8-character PIN given at the first access. */
  pin: string;
  /** A session token (bearer) of a login with that PIN. */
  token: string;
}

/** A citizen who requested a PIN, made the first access (16 → 8) and logged in, all through the API. */
export async function activeCitizen(stack: TestStack, citizen: CitizenRequest): Promise<ActiveCitizen> {
  const issued = await requestAndCollect(stack, citizen);
  const post = (path: string, body: unknown) =>
    fetch(`${stack.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const first = await post('/api/first-access', { codiceFiscale: citizen.codiceFiscale, pin: issued.firstHalf + issued.secondHalf });
  expect(first.status).toBe(200);
  const { pin } = (await first.json()) as { pin: string };
  await waitForView(stack, issued.credentialId, (v) => v.state === 'active');
  const login = await post('/api/sessions', { codiceFiscale: citizen.codiceFiscale, pin });
  expect(login.status).toBe(201);
  const { token } = (await login.json()) as { token: string };
  return { ...issued, pin, token };
}

/**
 * Gives a credential a private-sector employee's profile (as the institute's records would): the
 * claims such a worker may file (e.g. `parental-leave`) are on offer whatever the day's policy,
 * where the COVID bonuses are only under the simplified procedure.
 */
export async function asWorker(stack: TestStack, credentialId: string): Promise<void> {
  await stack.pool.query(`UPDATE credentials SET profile = '{"category": "employee", "scheme": "private"}'::jsonb WHERE id = $1::uuid`, [credentialId]);
}
