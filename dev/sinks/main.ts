/**
 * Starts the development sinks (SMTP/PEC and SMS gateway) on fixed ports and prints their URLs.
 *
 *   npx tsx dev/sinks/main.ts
 *
 * Environment:
 * - `SMTP_SINK_PORT` (default 2525), `SMTP_SINK_HTTP_PORT` (8025), `SMS_SINK_PORT` (8026);
 * - `SINKS_HOST` (default 127.0.0.1);
 * - `SMTP_SINK_STORE`, `SMS_SINK_STORE`: JSONL files keeping messages across restarts (default
 *   `.data/sinks/mail.jsonl` and `.data/sinks/sms.jsonl`; an empty value keeps them in memory only);
 * - `SMS_SINK_API_KEY`: when set, the SMS gateway requires it as a bearer token.
 *
 * `startSinksFromEnv` is exported too, so `npm start` can run the sinks in its own process.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { startSmtpSink, type SmtpSink } from './smtp-sink';
import { startSmsSink, type SmsSink } from './sms-sink';
import { urlHost, type SinkLogger } from './common';

/** The two running sinks and a function closing both. */
export interface DevSinks {
  smtp: SmtpSink;
  sms: SmsSink;
  close(): Promise<void>;
}

/** Reads a port from the environment, failing loudly on garbage rather than binding a random one. */
function portFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number, got "${raw}"`);
  return port;
}

/** An unset variable takes the default file; an empty one disables persistence. */
function storeFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return fallback;
  return raw === '' ? undefined : raw;
}

/** Starts both sinks as configured by the environment (see the module comment). */
export async function startSinksFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  logger?: SinkLogger,
): Promise<DevSinks> {
  const host = env.SINKS_HOST || '127.0.0.1';
  const dataDir = path.resolve('.data', 'sinks');
  const smtp = await startSmtpSink({
    host,
    smtpPort: portFromEnv(env, 'SMTP_SINK_PORT', 2525),
    httpPort: portFromEnv(env, 'SMTP_SINK_HTTP_PORT', 8025),
    storeFile: storeFromEnv(env, 'SMTP_SINK_STORE', path.join(dataDir, 'mail.jsonl')),
    ...(logger ? { logger } : {}),
  });
  let sms: SmsSink;
  try {
    sms = await startSmsSink({
      host,
      port: portFromEnv(env, 'SMS_SINK_PORT', 8026),
      storeFile: storeFromEnv(env, 'SMS_SINK_STORE', path.join(dataDir, 'sms.jsonl')),
      ...(env.SMS_SINK_API_KEY ? { apiKey: env.SMS_SINK_API_KEY } : {}),
      ...(logger ? { logger } : {}),
    });
  } catch (error) {
    await smtp.close();
    throw error;
  }
  return {
    smtp,
    sms,
    close: async () => {
      await Promise.all([smtp.close(), sms.close()]);
    },
  };
}

async function main(): Promise<void> {
  const log = pino({ name: 'dev-sinks', level: process.env.LOG_LEVEL ?? 'info' });
  const sinks = await startSinksFromEnv(process.env, {
    info: (m) => log.info(m),
    warn: (m) => log.warn(m),
  });
  // Plain stdout lines, so the URLs are easy to spot and to copy.
  console.log(`SMTP sink (e-mail/PEC): smtp://${urlHost(process.env.SINKS_HOST || '127.0.0.1')}:${sinks.smtp.smtpPort}`);
  console.log(`  inbox / posta in arrivo: ${sinks.smtp.httpUrl}/`);
  console.log(`SMS sink (gateway API):  ${sinks.sms.url}/api/sms`);
  console.log(`  inbox / SMS ricevuti:    ${sinks.sms.url}/`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second Ctrl-C means "now": do not wait for lingering connections.
      process.exit(130);
    }
    stopping = true;
    log.info(`received ${signal}, closing the sinks`);
    sinks.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error(error, 'error while closing the sinks');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

// Run only when executed directly, not when imported by `npm start` or tests.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
