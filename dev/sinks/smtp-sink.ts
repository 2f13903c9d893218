/**
 * Development and test stand-in for the institute's SMTP / PEC provider; production points SMTP_URL at the real provider.
 *
 * A real SMTP server on loopback (the `smtp-server` package) accepts whatever nodemailer sends,
 * parses it with `mailparser` and keeps it in memory (optionally also in a JSONL file), and an
 * Express app shows an inbox page and a JSON API that tests read. E-mail and PEC arrive at the
 * same sink: the sender marks PEC with a header (e.g. `X-Channel: pec`), and every `X-*` header
 * is stored so tests can tell them apart.
 */
import { randomUUID } from 'node:crypto';
import express from 'express';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerDataStream, SMTPServerSession, SMTPServerAddress } from 'smtp-server';
import { simpleParser } from 'mailparser';
import type { AddressObject, EmailAddress, HeaderValue, ParsedMail } from 'mailparser';
import {
  messageRoutes,
  JsonlStore,
  Waiters,
  escapeHtml,
  formatTime,
  jsonErrorHandler,
  listenHttp,
  queryString,
  type RunningHttpServer,
  sendPage,
  urlHost,
  type SinkLogger,
} from './common';

export type { SinkLogger } from './common';

/** Largest message accepted, as a real provider would enforce; bigger ones get a 552. */
export const SMTP_SINK_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/** One message received by the SMTP sink. */
export interface StoredMail {
  /** Sink-assigned id (UUID), used in `/messages/:id` and `/api/messages/:id`. */
  id: string;
  /** When the sink accepted the message (ISO 8601, UTC). */
  receivedAt: string;
  /** The `Message-ID` header as sent, angle brackets included; null if the message had none. */
  messageId: string | null;
  /** Address of the `From` header (without display name); null if absent. */
  from: string | null;
  /** Addresses of the `To` header(s), groups flattened. */
  to: string[];
  /** Addresses of the `Cc` header(s), groups flattened. */
  cc: string[];
  /** The decoded subject ('' if absent). */
  subject: string;
  /** Plain-text body ('' if absent; mailparser derives it from the HTML part when there is no text part). */
  text: string;
  /** HTML body as sent, or null. Stored for tests, never rendered by the inbox pages. */
  html: string | null;
  /**
   * Selected headers, names lower-cased: `message-id`, `date`, and every `x-*` header (such as
   * `x-channel`, `x-pin-channel`, `x-idempotency-key`). Repeated headers are joined with ", ".
   */
  headers: Record<string, string>;
  /** The SMTP envelope, which is what the server actually delivered to (Bcc included). */
  envelope: { mailFrom: string | null; rcptTo: string[] };
  /** Size in bytes of the raw message as received in DATA. */
  size: number;
}

/** Options of {@link startSmtpSink}. */
export interface SmtpSinkOptions {
  /** SMTP port; 0 (the default) picks a random free port. */
  smtpPort?: number;
  /** Port of the inbox page and JSON API; 0 (the default) picks a random free port. */
  httpPort?: number;
  /** Interface to bind both servers to; default 127.0.0.1 (loopback only). */
  host?: string;
  /** Optional JSONL file; messages are appended to it and reloaded on start. */
  storeFile?: string;
  /** Optional logger (e.g. pino); warnings go to `console.warn` when omitted. */
  logger?: SinkLogger;
}

/** A running SMTP sink, returned by {@link startSmtpSink}. */
export interface SmtpSink {
  /** The SMTP port actually bound. */
  readonly smtpPort: number;
  /** The HTTP port actually bound. */
  readonly httpPort: number;
  /** Base URL of the inbox page and API, e.g. `http://127.0.0.1:8025`. */
  readonly httpUrl: string;
  /** Every stored message, oldest first (a copy; mutating it does not affect the sink). */
  messages(): StoredMail[];
  /** Forgets every message, also truncating the store file. */
  clear(): void;
  /**
   * Resolves with the oldest stored message matching `predicate`, or the first one arriving later;
   * rejects after `timeoutMs` (default 5000) or when the sink closes.
   */
  waitFor(predicate: (mail: StoredMail) => boolean, timeoutMs?: number): Promise<StoredMail>;
  /**
   * Fault injection for chaos tests: when false, RCPT TO and DATA are refused with a 451 temporary
   * error, as a provider under maintenance would, so senders must retry later.
   */
  setAvailable(available: boolean): void;
  /** Whether the sink currently accepts mail. */
  isAvailable(): boolean;
  /** Stops both servers and rejects pending `waitFor` calls. */
  close(): Promise<void>;
}

/** An SMTP error carrying the reply code smtp-server should send. */
function smtpError(responseCode: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode });
}

const UNAVAILABLE_MESSAGE =
  'Service temporarily unavailable (simulated), try again later / Servizio temporaneamente non disponibile (simulato)';

/** Flattens address headers (possibly repeated, possibly with groups) into plain addresses. */
function addresses(header: AddressObject | AddressObject[] | undefined): string[] {
  if (header === undefined) return [];
  const flatten = (list: EmailAddress[]): string[] =>
    list.flatMap((entry) => (entry.group ? flatten(entry.group) : entry.address ? [entry.address] : []));
  return (Array.isArray(header) ? header : [header]).flatMap((h) => flatten(h.value));
}

/** Turns one parsed header value into text for storage. */
function headerText(value: HeaderValue): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => headerText(v as HeaderValue)).join(', ');
  if (typeof value === 'object' && value !== null) {
    if ('text' in value && typeof value.text === 'string') return value.text;
    if ('value' in value && typeof value.value === 'string') return value.value;
  }
  return JSON.stringify(value);
}

/** Keeps the headers tests care about: Message-ID, Date and every X-* header. */
function selectHeaders(parsed: ParsedMail): Record<string, string> {
  const selected: Record<string, string> = {};
  for (const [name, value] of parsed.headers) {
    const key = name.toLowerCase();
    if (key === 'message-id' || key === 'date' || key.startsWith('x-')) selected[key] = headerText(value);
  }
  return selected;
}

function envelopeAddress(address: SMTPServerAddress | false): string | null {
  return address === false ? null : address.address;
}

/** Case-insensitive match of an address against every recipient of a message. */
function isAddressedTo(mail: StoredMail, address: string): boolean {
  const wanted = address.trim().toLowerCase();
  return [...mail.to, ...mail.cc, ...mail.envelope.rcptTo].some((a) => a.toLowerCase() === wanted);
}

/** The channel shown on the inbox page: the sender's X-Channel / X-Pin-Channel header, else e-mail. */
function channelOf(mail: StoredMail): string {
  return mail.headers['x-channel'] ?? mail.headers['x-pin-channel'] ?? 'email';
}

/**
 * Starts the SMTP sink: an SMTP server (no TLS, any or no authentication, 10 MB limit) and an
 * HTTP server with the inbox page and JSON API. Resolves once both are listening.
 *
 * HTTP routes: `GET /` inbox (newest first), `GET /messages/:id` one message (text body,
 * escaped), `GET /api/messages?to=&subject=` (JSON, newest first), `GET /api/messages/:id`,
 * `DELETE /api/messages`, `PUT /api/availability` with `{ "available": boolean }` (the same
 * switch as `setAvailable`, for sinks running in another process), `GET /healthz`.
 */
export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const host = opts.host ?? '127.0.0.1';
  const logger: SinkLogger = opts.logger ?? { info: () => {}, warn: (m) => console.warn(m) };
  const store = new JsonlStore<StoredMail>(opts.storeFile, (m) => logger.warn(m));
  // Messages are kept oldest first; pages and the API reverse them.
  let mails: StoredMail[] = store.load();
  const waiters = new Waiters<StoredMail>();
  let available = true;

  /** Stores a parsed message: file first, so a message acknowledged to the sender is never lost. */
  const storeMail = (mail: StoredMail): void => {
    store.append(mail);
    mails.push(mail);
    waiters.notify(mail);
    logger.info(`smtp-sink: stored ${mail.id} "${mail.subject}" to ${mail.envelope.rcptTo.join(', ')}`);
  };

  const onData = (
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    callback: (err?: Error | null, message?: string) => void,
  ): void => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit, keep draining (smtp-server requires it) but stop buffering.
      if (size <= SMTP_SINK_MAX_MESSAGE_BYTES) chunks.push(chunk);
    });
    stream.on('error', (error: Error) => callback(error));
    stream.on('end', () => {
      if (stream.sizeExceeded) {
        callback(smtpError(552, `Message exceeds the ${SMTP_SINK_MAX_MESSAGE_BYTES} bytes limit`));
        return;
      }
      // Availability is checked again here: the switch may have flipped since RCPT TO.
      if (!available) {
        callback(smtpError(451, UNAVAILABLE_MESSAGE));
        return;
      }
      const raw = Buffer.concat(chunks);
      // keepCidLinks: do not inline attachments as data: URLs into the stored HTML.
      simpleParser(raw, { keepCidLinks: true }).then(
        (parsed) => {
          const mail: StoredMail = {
            id: randomUUID(),
            receivedAt: new Date().toISOString(),
            messageId: parsed.messageId ?? null,
            from: addresses(parsed.from)[0] ?? null,
            to: addresses(parsed.to),
            cc: addresses(parsed.cc),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : null,
            headers: selectHeaders(parsed),
            envelope: {
              mailFrom: envelopeAddress(session.envelope.mailFrom),
              rcptTo: session.envelope.rcptTo.map((r) => r.address),
            },
            size,
          };
          try {
            storeMail(mail);
          } catch (error) {
            // E.g. the store file became unwritable: a temporary failure, the sender may retry.
            logger.warn(`smtp-sink: could not store a message: ${String(error)}`);
            callback(smtpError(451, 'Local error in processing'));
            return;
          }
          callback(null, `OK: queued as ${mail.id}`);
        },
        (error: unknown) => callback(smtpError(554, `Message could not be parsed: ${String(error)}`)),
      );
    });
  };

  const smtp = new SMTPServer({
    banner: 'PIN back-office development SMTP sink',
    // No TLS: STARTTLS is not even advertised, so clients (nodemailer) stay in plain text on loopback.
    disabledCommands: ['STARTTLS'],
    // Authentication is optional and any credentials are accepted, so the sink works whatever the
    // sender's configuration says; plain-text AUTH is fine on loopback.
    authOptional: true,
    allowInsecureAuth: true,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'anonymous' }),
    size: SMTP_SINK_MAX_MESSAGE_BYTES,
    logger: false,
    // Do not keep `close()` waiting for long on pooled client connections.
    closeTimeout: 1000,
    onRcptTo: (_address, _session, callback) => {
      callback(available ? null : smtpError(451, UNAVAILABLE_MESSAGE));
    },
    onData,
  });

  const smtpPort = await new Promise<number>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(opts.smtpPort ?? 0, host, () => {
      smtp.off('error', reject);
      const address = smtp.server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
  // Without a listener, an 'error' (a client resetting its connection, say) would crash the process.
  smtp.on('error', (error: Error) => logger.warn(`smtp-sink: ${error.message}`));

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '16kb' }));

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, available });
  });

  app.get('/api/messages', (req, res) => {
    const to = queryString(req.query.to);
    const subject = queryString(req.query.subject)?.toLowerCase();
    const result = mails
      .filter((m) => (to === undefined || isAddressedTo(m, to)) && (subject === undefined || m.subject.toLowerCase().includes(subject)))
      .reverse();
    res.json(result);
  });

  messageRoutes(app, {
    find: (id) => mails.find((m) => m.id === id),
    clear,
    setAvailable: (value) => {
      available = value;
    },
  });

  app.get('/', (_req, res) => {
    const rows = [...mails]
      .reverse()
      .map(
        (m) => `<tr>
<td>${formatTime(m.receivedAt)}</td>
<td><span class="badge">${escapeHtml(channelOf(m))}</span></td>
<td><a href="/messages/${encodeURIComponent(m.id)}">${escapeHtml(m.subject || '(senza oggetto / no subject)')}</a></td>
<td>${escapeHtml((m.to.length > 0 ? m.to : m.envelope.rcptTo).join(', '))}</td>
<td>${escapeHtml(m.from ?? '')}</td>
</tr>`,
      )
      .join('\n');
    const status = available
      ? ''
      : '<p><span class="badge down">Non disponibile (guasto simulato) / Unavailable (simulated fault)</span></p>';
    sendPage(
      res,
      'Posta in arrivo / Inbox — SMTP sink',
      `<h1>Posta in arrivo / Inbox</h1>
<p class="muted">E-mail e PEC ricevute dal sink SMTP di sviluppo (porta ${smtpPort}) · E-mail and PEC received by the development SMTP sink (port ${smtpPort}).
 ${mails.length} messaggi / messages. <a href="/api/messages">JSON</a></p>
${status}
${
  mails.length === 0
    ? '<p>Nessun messaggio / No messages.</p>'
    : `<table>
<thead><tr><th>Ricevuto / Received</th><th>Canale / Channel</th><th>Oggetto / Subject</th><th>A / To</th><th>Da / From</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`
}`,
      { refreshSeconds: 5 },
    );
  });

  app.get('/messages/:id', (req, res) => {
    const m = mails.find((x) => x.id === req.params.id);
    if (m === undefined) {
      sendPage(
        res,
        'Messaggio non trovato / Message not found',
        '<p><a href="/">← Posta in arrivo / Inbox</a></p><h1>Messaggio non trovato / Message not found</h1>',
        { status: 404 },
      );
      return;
    }
    const field = (label: string, value: string): string =>
      `<tr><th>${label}</th><td>${escapeHtml(value)}</td></tr>`;
    const headerRows = Object.entries(m.headers)
      .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
      .join('\n');
    // The HTML part is shown as escaped source only: rendering it would run whatever the
    // message contains inside this origin.
    const htmlSource =
      m.html === null
        ? ''
        : `<details><summary>Sorgente HTML (non interpretato) / HTML source (not rendered)</summary><pre>${escapeHtml(m.html)}</pre></details>`;
    sendPage(
      res,
      `${m.subject} — SMTP sink`,
      `<p><a href="/">← Posta in arrivo / Inbox</a> · <a href="/api/messages/${encodeURIComponent(m.id)}">JSON</a></p>
<h1>${escapeHtml(m.subject || '(senza oggetto / no subject)')}</h1>
<table>
${field('Ricevuto / Received', m.receivedAt)}
${field('Canale / Channel', channelOf(m))}
${field('Da / From', m.from ?? '')}
${field('A / To', m.to.join(', '))}
${field('Cc', m.cc.join(', '))}
${field('Busta: mittente / Envelope from', m.envelope.mailFrom ?? '')}
${field('Busta: destinatari / Envelope to', m.envelope.rcptTo.join(', '))}
${field('Message-ID', m.messageId ?? '')}
${field('Dimensione / Size', `${m.size} byte`)}
</table>
<h2>Intestazioni / Headers</h2>
<table>
${headerRows}
</table>
<h2>Testo / Text</h2>
<pre>${escapeHtml(m.text)}</pre>
${htmlSource}`,
    );
  });

  app.use(jsonErrorHandler);

  let http: RunningHttpServer;
  try {
    http = await listenHttp(app, opts.httpPort ?? 0, host);
  } catch (error) {
    // Do not leave the SMTP port bound when the HTTP side fails to start.
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    throw error;
  }
  const httpUrl = `http://${urlHost(host)}:${http.port}`;

  function clear(): void {
    store.clear();
    mails = [];
  }

  let closing: Promise<void> | undefined;

  return {
    smtpPort,
    httpPort: http.port,
    httpUrl,
    messages: () => [...mails],
    clear,
    waitFor: (predicate, timeoutMs = 5000) =>
      waiters.waitFor(mails, predicate, timeoutMs, () =>
        `received ${mails.length} message(s): ${mails.map((m) => JSON.stringify({ to: m.to, subject: m.subject })).join('; ') || 'none'}`,
      ),
    setAvailable: (value) => {
      available = value;
    },
    isAvailable: () => available,
    close: () => {
      // Idempotent: tests often close in both the test body and afterEach.
      closing ??= (async () => {
        waiters.rejectAll('SMTP sink closed');
        await Promise.all([http.close(), new Promise<void>((resolve) => smtp.close(() => resolve()))]);
      })();
      return closing;
    },
  };
}
