/**
 * The activities' dependencies from the configuration: database pool, key material, delivery
 * channels, folders and the public URL.
 */
import type { ActivityDeps } from '../activities';
import type { Config } from '../lib/config';
import { createHttpSmsGateway, createSmtpMailer } from '../lib/channels';
import { keyAuditLog } from '../lib/audit';
import { createPool } from '../lib/db';
import { loadKeys } from '../lib/keys';
import type { Logger } from '../lib/logger';
import { mailroomDir, publicBaseUrl, requireDatabaseUrl } from '../lib/runtime';

export function buildActivityDeps(config: Config, log: Logger): ActivityDeps {
  const keys = loadKeys(config);
  const pool = keyAuditLog(createPool(requireDatabaseUrl(config), config.DATABASE_POOL_SIZE, 30_000), keys.secrets);
  if (!config.SMTP_URL) throw new Error('SMTP_URL is not set (npm start points it at the local SMTP sink)');
  if (!config.SMS_GATEWAY_URL) throw new Error('SMS_GATEWAY_URL is not set (npm start points it at the local SMS sink)');
  return {
    pool,
    mailer: createSmtpMailer(config.SMTP_URL),
    sms: createHttpSmsGateway(config.SMS_GATEWAY_URL, config.SMS_GATEWAY_KEY),
    keys,
    mailFrom: config.MAIL_FROM,
    pecFrom: config.PEC_FROM,
    mailroomDir: mailroomDir(config),
    letterRetentionDays: config.LETTER_RETENTION_DAYS,
    publicBaseUrl: publicBaseUrl(config),
    log,
  };
}
