/**
 * The one typed configuration module. Read once at start-up; a missing or malformed value fails
 * fast with a message naming the variable. Never imported by workflow code.
 */
import { z } from 'zod';
import { parsePayloadKeys } from './payload-keys';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);

/** 32 bytes, base64 — AES-256 keys and HMAC peppers. */
const key32 = z
  .string()
  .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes encoded in base64');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('pin-credentials'),
  /** Client certificate and key (PEM file paths) for mTLS to a Temporal cluster. */
  TEMPORAL_TLS_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().optional(),
  TEMPORAL_TLS_CA_PATH: z.string().optional(),
  /** Temporal Cloud API key; implies TLS. */
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_TLS: bool.optional(),

  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),

  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: port.default(3000),
  PUBLIC_BASE_URL: z.string().url().optional(),
  /** Admission control (api/admission.ts): requests handled at once, waiting, and how long they may wait; 503 beyond. */
  API_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(64),
  API_MAX_QUEUE: z.coerce.number().int().min(0).default(256),
  API_QUEUE_WAIT_MS: z.coerce.number().int().min(0).default(1_000),
  API_RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).default(2),
  /** Requests per minute and burst per client address; 429 beyond. 0 per minute turns the limit off. */
  API_CLIENT_RATE_PER_MINUTE: z.coerce.number().int().min(0).default(1_200),
  API_CLIENT_BURST: z.coerce.number().int().min(1).default(200),
  /**
   * Proxies whose `X-Forwarded-For` is believed (comma-separated addresses or CIDRs, or Express's
   * names `loopback`, `linklocal`, `uniquelocal`; `none` for no proxy). Unset: `loopback` in
   * development and test (the local tools stand in for many clients), none in production — a
   * client that could set the header itself would choose its own address in the limits and the audit.
   */
  TRUSTED_PROXIES: z.string().optional(),
  /** Deadline of the Temporal calls one API request makes; past it, 503 (a Temporal outage must not hang requests). */
  API_TEMPORAL_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** A request still unanswered after this long gets 503 + Retry-After instead of hanging (uploads excepted). */
  API_HANDLER_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),

  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().default('PIN INPS <noreply@pin.inps.example>'),
  PEC_FROM: z.string().default('PIN INPS PEC <pin@pec.inps.example>'),
  SMS_GATEWAY_URL: z.string().url().optional(),
  SMS_GATEWAY_KEY: z.string().optional(),

  DATA_DIR: z.string().default('.data'),
  MAILROOM_DIR: z.string().optional(),
  /** Days a dispatched letter's PDF (it carries a PIN half) is kept for reprints before it is deleted. */
  LETTER_RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  /**
   * Where the audit chain's checkpoints are appended (lib/audit-checkpoints.ts): outside the
   * database, on storage its administrators cannot write. Default `DATA_DIR/audit-checkpoints.jsonl`.
   */
  AUDIT_CHECKPOINT_FILE: z.string().optional(),
  /** Minutes between two checkpoints written by the worker; 0 turns them off. */
  AUDIT_CHECKPOINT_MINUTES: z.coerce.number().int().min(0).max(1440).default(5),
  /** Uploaded and generated documents (never served statically); default `DATA_DIR/documents`, i.e. `.data/documents`. */
  DOCUMENTS_DIR: z.string().optional(),

  /** HMAC pepper for PIN hashes: kept outside the database. */
  PIN_PEPPER: key32.optional(),
  /** AES-256-GCM key for secrets held at rest until delivered (outbox payloads, pending halves). */
  SECRETS_KEY: key32.optional(),
  /**
   * Temporal payload encryption keys, `id:base64key,id:base64key` (32-byte keys; the first
   * encrypts, all decrypt). Development derives one from the dev secrets key when unset.
   */
  PAYLOAD_KEYS: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      if (v === undefined) return;
      try {
        parsePayloadKeys(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
  /** Origins of the Temporal Web UI allowed to call the codec endpoint (comma-separated). */
  TEMPORAL_UI_ORIGIN: z.string().optional(),
  /** Bearer token for `GET /metrics`; unset: open in development and test, closed in production. */
  METRICS_TOKEN: z.string().min(16).optional(),
  /** When set, the worker serves its metrics (activity counters) on this port. */
  WORKER_METRICS_PORT: port.optional(),
  WORKER_METRICS_HOST: z.string().default('127.0.0.1'),
  /** `host:port` where the worker's Temporal SDK serves its own Prometheus metrics (workflow task failures, slots); unset: not served. */
  TEMPORAL_SDK_METRICS_ADDRESS: z.string().regex(/^[^:\s]+:\d{1,5}$/, 'host:port').optional(),

  /**
   * The SPID/CIE/CNS identity provider (OpenID Connect) citizens sign in with for the telephone
   * PIN. Without OIDC_ISSUER that sign-in answers 503. `npm start` runs a development provider
   * and sets these itself; production points them at the real gateway.
   */
  OIDC_ISSUER: z.string().url().optional(),
  OIDC_CLIENT_ID: z.string().min(1).default('pin-backoffice'),
  OIDC_CLIENT_SECRET: z.string().optional(),
  /** Accepted `acr` values, comma-separated: SPID level 2 and 3 by default (level 1 is not enough). */
  OIDC_ACCEPTED_ACR: z.string().default('https://www.spid.gov.it/SpidL2,https://www.spid.gov.it/SpidL3'),
  /** The claim that holds the fiscal number (`TINIT-<codice fiscale>` in SPID's OIDC profile). */
  OIDC_FISCAL_NUMBER_CLAIM: z.string().default('https://attributes.eid.gov.it/fiscal_number'),
  /** The method recorded when the provider sends no `amr`. */
  OIDC_DEFAULT_METHOD: z.enum(['SPID', 'CIE', 'CNS']).default('SPID'),
  ELIGIBILITY_POLICY: bool.default(true),
  SIMPLIFIED_PROCEDURE: bool.default(false),
});

export type Config = z.infer<typeof schema>;

/** Thrown at start-up; its message names every bad variable. */
export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  if (c.NODE_ENV === 'production') {
    const missing = (['DATABASE_URL', 'PIN_PEPPER', 'SECRETS_KEY', 'PAYLOAD_KEYS', 'SMTP_URL', 'SMS_GATEWAY_URL'] as const).filter(
      (k) => !c[k],
    );
    if (missing.length) {
      throw new ConfigError(`Invalid configuration:\n${missing.map((k) => `  ${k}: required in production`).join('\n')}`);
    }
  }
  if (c.OIDC_ISSUER && !c.OIDC_CLIENT_SECRET) {
    throw new ConfigError('Invalid configuration:\n  OIDC_CLIENT_SECRET: required with OIDC_ISSUER');
  }
  if (c.NODE_ENV === 'production' && c.OIDC_ISSUER && !/^https:/i.test(c.OIDC_ISSUER)) {
    throw new ConfigError('Invalid configuration:\n  OIDC_ISSUER: must be https in production');
  }
  // The provider sends citizens back to PUBLIC_BASE_URL: in production it is never taken from a Host header.
  if (c.NODE_ENV === 'production' && c.OIDC_ISSUER && !/^https:/i.test(c.PUBLIC_BASE_URL ?? '')) {
    throw new ConfigError('Invalid configuration:\n  PUBLIC_BASE_URL: an https URL is required with OIDC_ISSUER in production');
  }
  if (Boolean(c.TEMPORAL_TLS_CERT_PATH) !== Boolean(c.TEMPORAL_TLS_KEY_PATH)) {
    throw new ConfigError('Invalid configuration:\n  TEMPORAL_TLS_CERT_PATH/TEMPORAL_TLS_KEY_PATH: set both or neither');
  }
  return c;
}
