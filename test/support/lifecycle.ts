/**
 * Helpers of the recovery, revocation, contact-change and delegation tests: JSON calls from a
 * chosen client address, the sinks' messages as they arrive, staff tokens, and the search for a
 * secret in the places it must never be.
 */
import { randomInt } from 'node:crypto';
import { expect } from 'vitest';
import { issueStaffToken, type StaffRole } from '../../services/staff/auth';
import type { StoredMail } from '../../dev/sinks/smtp-sink';
import type { StoredSms } from '../../dev/sinks/sms-sink';
import { waitFor } from './issuance';
import type { TestStack } from './stack';

export interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
  body: any;
  text: string;
  headers: Headers;
  ms: number;
}

let ipCounter = randomInt(2 ** 22);
/** A fresh client address per call (the API trusts X-Forwarded-For from loopback). */
export const nextIp = (): string => {
  const n = ipCounter++;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};

export function caller(stack: TestStack) {
  return async (method: string, path: string, opts: { body?: unknown; token?: string; ip?: string; headers?: Record<string, string> } = {}): Promise<Reply> => {
    const headers: Record<string, string> = { 'x-forwarded-for': opts.ip ?? nextIp(), ...opts.headers };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const started = performance.now();
    const res = await fetch(`${stack.baseUrl}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await res.text();
    const ms = performance.now() - started;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, body, text, headers: res.headers, ms };
  };
}

/** The first message to `to` whose subject or text matches, once it has arrived. */
export function mailTo(stack: TestStack, to: string, match: RegExp, timeoutMs = 30_000): Promise<StoredMail> {
  return waitFor(`mail to ${to} matching ${match}`, async () => (await stack.mails({ to })).find((m) => match.test(m.subject) || match.test(m.text)), timeoutMs);
}

export function smsTo(stack: TestStack, to: string, match: RegExp, timeoutMs = 30_000): Promise<StoredSms> {
  return waitFor(`SMS to ${to} matching ${match}`, async () => (await stack.smses({ to })).find((m) => match.test(m.text)), timeoutMs);
}

/** Messages to `to` matching, now (for "nothing was sent"). */
export async function mailsMatching(stack: TestStack, to: string, match: RegExp): Promise<StoredMail[]> {
  return (await stack.mails({ to })).filter((m) => match.test(m.subject) || match.test(m.text));
}

export async function staffToken(stack: TestStack, role: StaffRole): Promise<string> {
  return issueStaffToken(stack.pool, `${role}-${randomInt(1e9)}`, role);
}

/** The token in a recovery link (`…/portal/recovery/confirm?token=…`). */
export function linkTokenFrom(text: string): string {
  const m = /\/portal\/recovery\/confirm\?token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/.exec(text);
  if (!m) throw new Error(`no recovery link in: ${text.slice(0, 300)}`);
  return m[1]!;
}

/** The half printed after `label` (4 + 4 characters, the space of the messages removed). */
export function halfAfter(label: RegExp, text: string): string {
  const m = new RegExp(`${label.source}\\s*([A-Z0-9]{4}\\s?[A-Z0-9]{4})`).exec(text);
  if (!m) throw new Error(`no half-PIN after ${label} in: ${text.slice(0, 300)}`);
  return m[1]!.replace(/\s/g, '');
}

/** Fails when any secret appears in the captured log lines or in any row of `tables`. */
export async function expectNowhere(stack: TestStack, secrets: string[], tables: string[]): Promise<void> {
  const logs = stack.logLines.join('\n');
  for (const secret of secrets) {
    expect(logs.includes(secret), `a secret is in the logs`).toBe(false);
    for (const table of tables) {
      const { rows } = await stack.pool.query<{ row: string }>(`SELECT t::text AS row FROM ${table} t`);
      expect(rows.some((r) => r.row.includes(secret)), `a secret is in table ${table}`).toBe(false);
    }
  }
}

/** The cookie and the CSRF token of a portal page, to post its form as a browser would. */
export async function portalForm(stack: TestStack, path: string): Promise<{ status: number; html: string; cookie: string; csrf: string }> {
  const res = await fetch(`${stack.baseUrl}${path}`, { headers: { 'x-forwarded-for': nextIp() } });
  const html = await res.text();
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  return { status: res.status, html, cookie, csrf };
}

export async function postForm(stack: TestStack, path: string, cookie: string, fields: Record<string, string>): Promise<{ status: number; html: string }> {
  const res = await fetch(`${stack.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, 'x-forwarded-for': nextIp() },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  return { status: res.status, html: await res.text() };
}
