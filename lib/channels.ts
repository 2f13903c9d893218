/**
 * The two outside delivery channels, as small interfaces the worker wires to nodemailer and to
 * the HTTP SMS gateway. Activities depend on these, so tests can substitute them.
 */
import nodemailer from 'nodemailer';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  /** Deterministic per outbox row, so a duplicate caused by a crash is recognisable. */
  messageId: string;
  headers: Record<string, string>;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

export interface OutgoingSms {
  to: string;
  text: string;
  /** The gateway drops a repeated key, so an activity retry never sends twice. */
  idempotencyKey: string;
}

export interface SmsGateway {
  send(sms: OutgoingSms): Promise<void>;
}

/** A delivery failure that retrying will not fix (bad address, rejected by the provider). */
export class PermanentDeliveryError extends Error {}

export function createSmtpMailer(smtpUrl: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl, { disableFileAccess: true, disableUrlAccess: true });
  return {
    async send(mail) {
      try {
        await transport.sendMail({ ...mail, messageId: mail.messageId });
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode;
        // 5xx is a permanent SMTP refusal; 4xx and connection errors are worth retrying.
        if (code !== undefined && code >= 500) throw new PermanentDeliveryError(`SMTP ${code}: ${(err as Error).message}`);
        throw err;
      }
    },
    close: () => transport.close(),
  };
}

export function createHttpSmsGateway(url: string, apiKey?: string): SmsGateway {
  const endpoint = new URL('/api/sms', url).toString();
  return {
    async send(sms) {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
        body: JSON.stringify(sms),
        signal: AbortSignal.timeout(15_000),
      });
      if (res.ok) return;
      const body = await res.text().catch(() => '');
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        throw new PermanentDeliveryError(`SMS gateway ${res.status}: ${body.slice(0, 200)}`);
      }
      throw new Error(`SMS gateway ${res.status}`);
    },
  };
}
