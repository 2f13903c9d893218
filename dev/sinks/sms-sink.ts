/**
 * Development and test stand-in for the HTTP SMS gateway; production points SMS_GATEWAY_URL at the real gateway.
 *
 * It exposes the API the project's SMS activity calls in production — `POST /api/sms` with a
 * bearer key and an idempotency key — and keeps what it accepted so tests and developers can read
 * it. Like real gateways it deduplicates on the idempotency key (an activity may run more than
 * once), but it also counts the duplicates it received so tests can assert that retries happened
 * and were harmless.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import express from 'express';
import type { Request } from 'express';
import {
  messageRoutes,
  JsonlStore,
  Waiters,
  escapeHtml,
  formatTime,
  jsonErrorHandler,
  listenHttp,
  queryString,
  sendPage,
  urlHost,
  type SinkLogger,
} from './common';

/** Longest accepted text, in characters (Unicode code points): about four concatenated SMS. */
export const SMS_MAX_TEXT_CHARS = 640;

/** E.164: a plus, a non-zero country code digit, at most 15 digits in all. */
const E164 = /^\+[1-9]\d{1,14}$/;
/** Alphanumeric sender ids are limited to 11 characters by the SMS standards. */
const ALPHANUMERIC_SENDER = /^[A-Za-z0-9 ._-]{1,11}$/;
const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

/** One SMS accepted by the sink. */
export interface StoredSms {
  /** Gateway-assigned id (UUID), returned to the caller in the 202 answer. */
  id: string;
  /** When the sink accepted it (ISO 8601, UTC). */
  receivedAt: string;
  /** Recipient in E.164 form, e.g. `+393331234567`. */
  to: string;
  /** The message text. */
  text: string;
  /** The caller's idempotency key; a second POST with it is answered but not stored. */
  idempotencyKey: string;
  /** Sender id requested by the caller, or null. */
  sender: string | null;
}

/** Body of `POST /api/sms`. */
export interface SmsRequest {
  /** Recipient in E.164 form. */
  to: string;
  /** 1 to {@link SMS_MAX_TEXT_CHARS} characters. */
  text: string;
  /** Required; the gateway deduplicates on it. */
  idempotencyKey: string;
  /** Optional sender id: up to 11 letters/digits, or an E.164 number. */
  sender?: string;
}

/** The 202 answer of `POST /api/sms`. */
export interface SmsAccepted {
  id: string;
  status: 'accepted';
  /** True when the idempotency key was already known: `id` is then the original message's. */
  duplicate: boolean;
}

/** Options of {@link startSmsSink}. */
export interface SmsSinkOptions {
  /** HTTP port; 0 (the default) picks a random free port. */
  port?: number;
  /** Interface to bind to; default 127.0.0.1 (loopback only). */
  host?: string;
  /** When set, `POST /api/sms` requires `Authorization: Bearer <apiKey>` (401 otherwise). */
  apiKey?: string;
  /** Optional JSONL file; accepted messages are appended to it and reloaded on start. */
  storeFile?: string;
  /** Value of `Retry-After` (seconds) on 503 answers while unavailable; default 1. */
  retryAfterSeconds?: number;
  /** Optional logger (e.g. pino); warnings go to `console.warn` when omitted. */
  logger?: SinkLogger;
}

/** A running SMS sink, returned by {@link startSmsSink}. */
export interface SmsSink {
  /** The port actually bound. */
  readonly port: number;
  /** Base URL of the gateway, e.g. `http://127.0.0.1:8026`; the API is at `${url}/api/sms`. */
  readonly url: string;
  /** Every stored SMS, oldest first (a copy). Duplicates are not in it. */
  messages(): StoredSms[];
  /** Forgets every message, the idempotency keys and the duplicate count; truncates the store file. */
  clear(): void;
  /**
   * Resolves with the oldest stored SMS matching `predicate`, or the first one arriving later;
   * rejects after `timeoutMs` (default 5000) or when the sink closes.
   */
  waitFor(predicate: (sms: StoredSms) => boolean, timeoutMs?: number): Promise<StoredSms>;
  /**
   * How many valid POSTs repeated an already-known idempotency key since start (or the last
   * `clear`). Counted in memory only: it restarts from 0 when the sink restarts.
   */
  duplicatesReceived(): number;
  /** Fault injection for chaos tests: when false, `POST /api/sms` answers 503 with Retry-After. */
  setAvailable(available: boolean): void;
  /** Whether the sink currently accepts SMS. */
  isAvailable(): boolean;
  /** Stops the server and rejects pending `waitFor` calls. */
  close(): Promise<void>;
}

/** Validates a request body; returns the request or the list of problems. */
export function validateSmsRequest(body: unknown): { ok: true; value: SmsRequest } | { ok: false; errors: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: ['body must be a JSON object (Content-Type: application/json)'] };
  }
  const b = body as Record<string, unknown>;
  const errors: string[] = [];
  if (typeof b.to !== 'string' || !E164.test(b.to)) errors.push('to must be an E.164 number, e.g. +393331234567');
  if (typeof b.text !== 'string') {
    errors.push('text must be a string');
  } else {
    // Counted in code points, so an emoji is one character as the user sees it, not two.
    const length = [...b.text].length;
    if (length < 1 || length > SMS_MAX_TEXT_CHARS) errors.push(`text must be 1..${SMS_MAX_TEXT_CHARS} characters`);
  }
  if (
    typeof b.idempotencyKey !== 'string' ||
    b.idempotencyKey.trim() === '' ||
    b.idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH
  ) {
    errors.push(`idempotencyKey is required (a non-empty string of at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters)`);
  }
  if (b.sender !== undefined && (typeof b.sender !== 'string' || !(ALPHANUMERIC_SENDER.test(b.sender) || E164.test(b.sender)))) {
    errors.push('sender, when given, must be up to 11 letters/digits or an E.164 number');
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      to: b.to as string,
      text: b.text as string,
      idempotencyKey: b.idempotencyKey as string,
      ...(typeof b.sender === 'string' ? { sender: b.sender } : {}),
    },
  };
}

/** Compares the bearer token in constant time (hashing first makes the lengths equal). */
function isAuthorized(req: Request, apiKey: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
  if (match === null) return false;
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match[1]!.trim()), digest(apiKey));
}

/**
 * Starts the SMS gateway sink and resolves once it listens.
 *
 * HTTP routes: `POST /api/sms` (202 / 400 / 401 / 503), `GET /` inbox (newest first),
 * `GET /api/messages?to=` (JSON, newest first), `GET /api/messages/:id`, `DELETE /api/messages`,
 * `GET /api/stats` (`{ messages, duplicatesReceived, available }`), `PUT /api/availability` with
 * `{ "available": boolean }` (the switch of `setAvailable`, for sinks in another process),
 * `GET /healthz`.
 */
export async function startSmsSink(opts: SmsSinkOptions = {}): Promise<SmsSink> {
  const host = opts.host ?? '127.0.0.1';
  const retryAfter = String(opts.retryAfterSeconds ?? 1);
  const logger: SinkLogger = opts.logger ?? { info: () => {}, warn: (m) => console.warn(m) };
  const store = new JsonlStore<StoredSms>(opts.storeFile, (m) => logger.warn(m));
  let messages: StoredSms[] = store.load();
  // Idempotency keys are rebuilt from the stored messages, so dedupe also holds across restarts.
  let byKey = new Map(messages.map((m) => [m.idempotencyKey, m]));
  let duplicates = 0;
  let available = true;
  const waiters = new Waiters<StoredSms>();

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '16kb' }));

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, available });
  });

  app.post('/api/sms', (req, res) => {
    // Order of checks as a real gateway behind a load balancer: down first, then auth, then body.
    if (!available) {
      res.status(503).set('Retry-After', retryAfter).json({ error: 'service temporarily unavailable (simulated)' });
      return;
    }
    if (opts.apiKey !== undefined && !isAuthorized(req, opts.apiKey)) {
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'missing or invalid API key' });
      return;
    }
    const result = validateSmsRequest(req.body);
    if (!result.ok) {
      res.status(400).json({ error: 'invalid request', details: result.errors });
      return;
    }
    const request = result.value;
    const known = byKey.get(request.idempotencyKey);
    if (known !== undefined) {
      duplicates += 1;
      logger.info(`sms-sink: duplicate idempotency key ${request.idempotencyKey} (original ${known.id})`);
      res.status(202).json({ id: known.id, status: 'accepted', duplicate: true } satisfies SmsAccepted);
      return;
    }
    const sms: StoredSms = {
      id: randomUUID(),
      receivedAt: new Date().toISOString(),
      to: request.to,
      text: request.text,
      idempotencyKey: request.idempotencyKey,
      sender: request.sender ?? null,
    };
    // File first: a message acknowledged with 202 must survive a restart.
    store.append(sms);
    messages.push(sms);
    byKey.set(sms.idempotencyKey, sms);
    waiters.notify(sms);
    logger.info(`sms-sink: stored ${sms.id} to ${sms.to}`);
    res.status(202).json({ id: sms.id, status: 'accepted', duplicate: false } satisfies SmsAccepted);
  });

  app.get('/api/messages', (req, res) => {
    const to = queryString(req.query.to)?.trim();
    res.json(messages.filter((m) => to === undefined || m.to === to).reverse());
  });

  messageRoutes(app, {
    find: (id) => messages.find((m) => m.id === id),
    clear,
    setAvailable: (value) => {
      available = value;
    },
  });

  app.get('/api/stats', (_req, res) => {
    res.json({ messages: messages.length, duplicatesReceived: duplicates, available });
  });

  app.get('/', (_req, res) => {
    const rows = [...messages]
      .reverse()
      .map(
        (m) => `<tr>
<td>${formatTime(m.receivedAt)}</td>
<td>${escapeHtml(m.to)}</td>
<td>${escapeHtml(m.sender ?? '')}</td>
<td><pre>${escapeHtml(m.text)}</pre></td>
<td class="muted">${escapeHtml(m.idempotencyKey)}</td>
</tr>`,
      )
      .join('\n');
    const status = available
      ? ''
      : '<p><span class="badge down">Non disponibile (guasto simulato) / Unavailable (simulated fault)</span></p>';
    sendPage(
      res,
      'SMS ricevuti / SMS inbox — SMS sink',
      `<h1>SMS ricevuti / SMS inbox</h1>
<p class="muted">SMS accettati dal gateway di sviluppo · SMS accepted by the development gateway.
 ${messages.length} messaggi / messages, ${duplicates} duplicati ricevuti / duplicates received. <a href="/api/messages">JSON</a></p>
${status}
${
  messages.length === 0
    ? '<p>Nessun messaggio / No messages.</p>'
    : `<table>
<thead><tr><th>Ricevuto / Received</th><th>A / To</th><th>Mittente / Sender</th><th>Testo / Text</th><th>Chiave di idempotenza / Idempotency key</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`
}`,
      { refreshSeconds: 5 },
    );
  });

  app.use(jsonErrorHandler);

  const http = await listenHttp(app, opts.port ?? 0, host);

  function clear(): void {
    store.clear();
    messages = [];
    byKey = new Map();
    duplicates = 0;
  }

  let closing: Promise<void> | undefined;

  return {
    port: http.port,
    url: `http://${urlHost(host)}:${http.port}`,
    messages: () => [...messages],
    clear,
    waitFor: (predicate, timeoutMs = 5000) =>
      waiters.waitFor(messages, predicate, timeoutMs, () =>
        `received ${messages.length} SMS: ${messages.map((m) => JSON.stringify({ to: m.to, text: m.text })).join('; ') || 'none'}`,
      ),
    duplicatesReceived: () => duplicates,
    setAvailable: (value) => {
      available = value;
    },
    isAvailable: () => available,
    close: () => {
      closing ??= (async () => {
        waiters.rejectAll('SMS sink closed');
        await http.close();
      })();
      return closing;
    },
  };
}
