/**
 * Structured logging (pino) with redaction of every field that could carry a secret, wherever it
 * is nested. A log line must never contain a PIN, a half-PIN, a link token or a password.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

/** Field names that are secrets wherever they appear. */
const SECRET_FIELDS = [
  'pin',
  'newPin',
  'oldPin',
  'initialPin',
  'firstHalf',
  'secondHalf',
  'password',
  'token',
  'linkToken',
  'totp',
  'authorization',
  'cookie',
  'apiKey',
  'secret',
];

const paths = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `req.headers.${f}`]);

export function createLogger(opts: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      name: opts.name ?? 'pin',
      level: opts.level ?? 'info',
      redact: { paths, censor: '[redacted]' },
      base: { service: opts.name ?? 'pin' },
    },
    opts.destination,
  );
}

export type { Logger };
