/**
 * Pieces shared by the development sinks (SMTP and SMS): a JSONL store that survives restarts,
 * a waiter list behind `waitFor`, HTML escaping and the bilingual page frame, and helpers to
 * start and stop an HTTP server on a given (or random) port.
 *
 * Nothing here is used in production: the sinks stand in for the institute's SMTP/PEC provider
 * and the SMS gateway on loopback, so that developers and tests can read what was "sent".
 */
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express, NextFunction, Request, Response } from 'express';

/** Minimal logger interface of the sinks, satisfied by a pino logger. */
export interface SinkLogger {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * Append-only JSON Lines file holding one record per line.
 *
 * Appends are synchronous (`appendFileSync`): the sinks receive few messages, and a synchronous
 * write is the simplest way to guarantee that lines are never lost, interleaved or reordered —
 * each record is on disk, in arrival order, before the sender gets its acknowledgement.
 */
export class JsonlStore<T> {
  /**
   * @param file path of the JSONL file; `undefined` makes every operation a no-op (memory only).
   * @param onWarning called for lines that cannot be parsed when loading.
   */
  constructor(
    private readonly file: string | undefined,
    private readonly onWarning: (message: string) => void = () => {},
  ) {}

  /**
   * Reads every record from the file (creating its folder if needed). A line that does not parse —
   * typically the last one, cut short by a crash — is skipped with a warning rather than making the
   * sink refuse to start. A missing trailing newline is repaired so the next append starts on a
   * line of its own instead of gluing itself to the broken one.
   */
  load(): T[] {
    if (this.file === undefined) return [];
    fs.mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true });
    if (!fs.existsSync(this.file)) return [];
    const content = fs.readFileSync(this.file, 'utf8');
    if (content.length > 0 && !content.endsWith('\n')) fs.appendFileSync(this.file, '\n');
    const records: T[] = [];
    const lines = content.split('\n');
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      try {
        records.push(JSON.parse(line) as T);
      } catch {
        this.onWarning(`${this.file}:${index + 1}: skipping a line that is not valid JSON`);
      }
    });
    return records;
  }

  /** Appends one record as a single line (JSON.stringify never emits a raw newline). */
  append(record: T): void {
    if (this.file === undefined) return;
    fs.appendFileSync(this.file, `${JSON.stringify(record)}\n`);
  }

  /** Empties the file, so that cleared messages do not come back on the next start. */
  clear(): void {
    if (this.file === undefined) return;
    fs.writeFileSync(this.file, '');
  }
}

interface Waiter<T> {
  predicate: (item: T) => boolean;
  resolve: (item: T) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The list of pending `waitFor` calls of a sink. Existing items are checked first, so a test
 * that calls `waitFor` after the message arrived does not hang; otherwise the waiter is resolved by
 * the first new item that matches, or rejected on timeout or when the sink closes.
 */
export class Waiters<T> {
  private readonly waiting = new Set<Waiter<T>>();

  /**
   * @param existing current items, oldest first; the oldest match wins.
   * @param describe summary of what was received, appended to the timeout error to ease debugging.
   */
  waitFor(
    existing: readonly T[],
    predicate: (item: T) => boolean,
    timeoutMs: number,
    describe: () => string,
  ): Promise<T> {
    const found = existing.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiting.delete(waiter);
          reject(new Error(`waitFor: no matching message within ${timeoutMs} ms; ${describe()}`));
        }, timeoutMs),
      };
      this.waiting.add(waiter);
    });
  }

  /** Offers a newly stored item to every pending waiter. */
  notify(item: T): void {
    for (const waiter of [...this.waiting]) {
      let matches: boolean;
      try {
        matches = waiter.predicate(item);
      } catch (error) {
        // A throwing predicate is a bug in the test: surface it instead of timing out later.
        this.settle(waiter);
        waiter.reject(error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      if (matches) {
        this.settle(waiter);
        waiter.resolve(item);
      }
    }
  }

  /** Rejects every pending waiter, used when the sink closes so no test hangs until its timeout. */
  rejectAll(reason: string): void {
    for (const waiter of [...this.waiting]) {
      this.settle(waiter);
      waiter.reject(new Error(reason));
    }
  }

  private settle(waiter: Waiter<T>): void {
    clearTimeout(waiter.timer);
    this.waiting.delete(waiter);
  }
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Sends a complete HTML page. `bodyHtml` must already be escaped by the caller; the strict
 * Content-Security-Policy (no scripts at all) is a second line of defence in case something
 * slipped through, since these pages show text that arrived from outside.
 */
export function sendPage(
  res: Response,
  title: string,
  bodyHtml: string,
  options: { refreshSeconds?: number; status?: number } = {},
): void {
  const refresh =
    options.refreshSeconds !== undefined
      ? `<meta http-equiv="refresh" content="${options.refreshSeconds}">`
      : '';
  res
    .status(options.status ?? 200)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    })
    .send(
      `<!doctype html>
<html lang="it">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refresh}
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1a1a1a; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
pre { white-space: pre-wrap; word-break: break-word; background: #f5f5f5; padding: .75rem; }
.muted { color: #666; font-size: .9em; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: .3rem; background: #0066cc; color: #fff; font-size: .8em; }
.down { background: #b00020; }
</style>
</head>
<body>
${bodyHtml}
</body>
</html>
`,
    );
}

/** Formats a timestamp for the pages, both human-readable and unambiguous (UTC ISO). */
export function formatTime(iso: string): string {
  return `<time datetime="${escapeHtml(iso)}">${escapeHtml(iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time>`;
}

/** Returns the first value of a query parameter as a string, or undefined. */
export function queryString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

/**
 * Final Express error handler answering JSON: malformed JSON bodies become a 400 with a message
 * the caller can read, instead of Express's default HTML error page.
 */
export function jsonErrorHandler(
  error: unknown,
  _req: Request,
  res: Response,
  _next: NextFunction,
): void {
  const status =
    typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number'
      ? error.status
      : 500;
  const message = error instanceof Error ? error.message : String(error);
  res.status(status).json({ error: status === 500 ? 'internal error' : message });
}

/** An HTTP server started by {@link listenHttp}. */
/**
 * The routes both inboxes answer the same way: one message by id, emptying the inbox, and the
 * switch that makes the sink refuse everything (a provider outage, for the chaos scripts).
 */
export function messageRoutes<T>(app: Express, inbox: { find: (id: string) => T | undefined; clear: () => void; setAvailable: (available: boolean) => void }): void {
  app.get('/api/messages/:id', (req, res) => {
    const message = inbox.find(req.params.id);
    if (message === undefined) res.status(404).json({ error: 'message not found' });
    else res.json(message);
  });

  app.delete('/api/messages', (_req, res) => {
    inbox.clear();
    res.status(204).end();
  });

  app.put('/api/availability', (req, res) => {
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || !('available' in body) || typeof body.available !== 'boolean') {
      res.status(400).json({ error: 'body must be {"available": boolean}' });
      return;
    }
    inbox.setAvailable(body.available);
    res.json({ available: body.available });
  });
}

export interface RunningHttpServer {
  server: http.Server;
  port: number;
  /** Stops listening and drops idle keep-alive connections so `close` does not hang. */
  close(): Promise<void>;
}

/** Starts an Express app on `host:port` (0 = a random free port) and resolves once it listens. */
export function listenHttp(app: Express, port: number, host: string): Promise<RunningHttpServer> {
  return new Promise((resolve, reject) => {
    const server = http.createServer(app);
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const actualPort = (server.address() as AddressInfo).port;
      resolve({
        server,
        port: actualPort,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            // Keep-alive sockets (fetch in tests, browsers) would otherwise hold close() open.
            server.closeIdleConnections();
            setTimeout(() => server.closeAllConnections(), 1000).unref();
          }),
      });
    });
  });
}

/** Formats a host for a URL, bracketing IPv6 literals. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
