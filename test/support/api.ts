/**
 * The HTTP API as a citizen's app calls it, for tests that need a fixture made through it: one
 * call helper, and the conversion request (signed form and identity scan uploaded, request filed,
 * the review case open) that the console's page tests look at.
 */
import { expect } from 'vitest';
import { waitFor, type ActiveCitizen } from './issuance';
import type { TestStack } from './stack';

/** A 1×1 PNG, as a scanned identity document would be. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

export interface ApiAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
  body: Record<string, any>;
  bytes: Buffer;
}

/** One API call with a bearer token, a JSON body or raw bytes of a type. */
export async function apiCall(stack: TestStack, method: string, url: string, opts: { token?: string; json?: unknown; raw?: Buffer; type?: string } = {}): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.json !== undefined) headers['content-type'] = 'application/json';
  if (opts.raw) headers['content-type'] = opts.type!;
  const res = await fetch(`${stack.baseUrl}${url}`, { method, headers, body: opts.raw ?? (opts.json === undefined ? undefined : JSON.stringify(opts.json)) });
  const bytes = Buffer.from(await res.arrayBuffer());
  const body = (res.headers.get('content-type')?.includes('json') ? JSON.parse(bytes.toString()) : {}) as ApiAnswer['body'];
  return { status: res.status, body, bytes };
}

/** The holder asks for the conversion to dispositivo with both documents; resolves when the review workflow has opened the case. */
export async function requestConversion(stack: TestStack, holder: Pick<ActiveCitizen, 'token'>): Promise<string> {
  const call = (method: string, url: string, opts: Parameters<typeof apiCall>[3]) => apiCall(stack, method, url, { token: holder.token, ...opts });
  const form = await call('GET', '/api/conversion/form', {});
  const signed = await call('POST', '/api/conversion/documents?kind=signed_request&filename=richiesta-firmata.pdf', { raw: form.bytes, type: 'application/pdf' });
  const id = await call('POST', '/api/conversion/documents?kind=identity_document&filename=passaporto.png', { raw: PNG, type: 'image/png' });
  const requested = await call('POST', '/api/conversion/requests', { json: { signedRequestDocumentId: signed.body.documentId, identityDocumentId: id.body.documentId } });
  expect(requested.status).toBe(202);
  const caseId = requested.body.caseId as string;
  // The review workflow has opened the case when it set the escalation deadline.
  await waitFor('the review case open', async () => {
    const { rows } = await stack.pool.query<{ escalate_at: Date | null }>('SELECT escalate_at FROM review_cases WHERE id = $1::uuid', [caseId]);
    return rows[0]?.escalate_at ? true : undefined;
  });
  return caseId;
}
