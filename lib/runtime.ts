/**
 * Builds the long-lived dependencies shared by the worker and the API from the configuration:
 * database pool, key material, delivery channels. One place, so both processes agree.
 */
import path from 'node:path';
import type { Config } from './config';
import { createPool, type Pool } from './db';
import { loadKeys } from './keys';
import type { Logger } from './logger';
import type { ActivityDeps } from '../activities';
import { createHttpSmsGateway, createSmtpMailer } from './channels';

export function requireDatabaseUrl(config: Config): string {
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is not set (npm start sets it to the embedded PostgreSQL)');
  return config.DATABASE_URL;
}

export function publicBaseUrl(config: Config): string {
  return config.PUBLIC_BASE_URL ?? `http://${config.API_HOST}:${config.API_PORT}`;
}

export function mailroomDir(config: Config): string {
  return path.resolve(config.MAILROOM_DIR ?? path.join(config.DATA_DIR, 'mailroom'));
}

export function documentsDir(config: Config): string {
  return path.resolve(config.DOCUMENTS_DIR ?? path.join(config.DATA_DIR, 'documents'));
}

export function buildActivityDeps(config: Config, log: Logger, pool: Pool = createPool(requireDatabaseUrl(config), config.DATABASE_POOL_SIZE, 30_000)): ActivityDeps {
  if (!config.SMTP_URL) throw new Error('SMTP_URL is not set (npm start points it at the local SMTP sink)');
  if (!config.SMS_GATEWAY_URL) throw new Error('SMS_GATEWAY_URL is not set (npm start points it at the local SMS sink)');
  return {
    pool,
    mailer: createSmtpMailer(config.SMTP_URL),
    sms: createHttpSmsGateway(config.SMS_GATEWAY_URL, config.SMS_GATEWAY_KEY),
    keys: loadKeys(config),
    mailFrom: config.MAIL_FROM,
    pecFrom: config.PEC_FROM,
    mailroomDir: mailroomDir(config),
    publicBaseUrl: publicBaseUrl(config),
    log,
  };
}
