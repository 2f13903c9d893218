/**
 * One integration "stack" per test file, on the real servers the global setup started: a
 * worker on a unique task queue (with the run's pre-built bundle), the API on port 0, a pool,
 * a Temporal client, and the log lines captured so tests can search them for secrets.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { expect, inject } from 'vitest';
import type { Payload } from '@temporalio/common';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createApp } from '../../api/app';
import type { ApiDeps } from '../../api/deps';
import { createWorkflowStarter } from '../../services/issuance/workflow-starter';
import type { ActivityDeps } from '../../activities';
import { createHttpSmsGateway, createSmtpMailer } from '../../lib/channels';
import { keyAuditLog } from '../../lib/audit';
import type { KeyRing } from '../../lib/secrets';
import { createPool, type Pool } from '../../lib/db';
import { migrate } from '../../lib/migrate';
import { createLogger } from '../../lib/logger';
import { createWorker } from '../../worker/worker';
import { AesGcmPayloadCodec, encryptedDataConverter, parsePayloadKeys } from '../../lib/payload-codec';
import { DEFAULT_ACCESS_POLICY, DEFAULT_ISSUANCE_POLICY, type AccessPolicy, type IssuancePolicy } from '../../workflows/definitions';
import type { StoredMail } from '../../dev/sinks/smtp-sink';
import type { StoredSms } from '../../dev/sinks/sms-sink';
import type { DevOidcProvider } from '../../dev/oidc-provider';

const IDP_CLIENT_SECRET = 'integration-tests-oidc-client-secret';

export interface TestStack {
  baseUrl: string;
  /** The development OpenID provider, when the stack was asked for one (`identityProvider: true`). */
  idp?: DevOidcProvider;
  pool: Pool;
  client: Client;
  taskQueue: string;
  mailroomDir: string;
  /** The API's document store: a fresh temporary directory per stack. */
  documentsDir: string;
  deps: ActivityDeps;
  /** The payload codec the worker and the client share (histories hold only its ciphertext). */
  payloadCodec: AesGcmPayloadCodec;
  /** Bearer token for the stack's `GET /metrics`. */
  metricsToken: string;
  logLines: string[];
  /**
   * A workflow's whole history as text with every payload DECRYPTED (metadata and data as UTF-8),
   * for tests that search it for secrets: the raw history holds only ciphertext, where a search
   * would find nothing whatever the workflow recorded.
   */
  historyText(workflowId: string): Promise<string>;
  mails(filter?: { to?: string }): Promise<StoredMail[]>;
  smses(filter?: { to?: string }): Promise<StoredSms[]>;
  /** A second API on the same servers with some dependencies changed (e.g. a short Temporal deadline). */
  extraApi(overrides: Partial<ApiDeps>): Promise<{ baseUrl: string; close(): void }>;
  stop(): Promise<void>;
}

/**
 * One secrets key for the whole run, like the payload key: every file's audit rows join one
 * chain in the shared database, which verifies only under a single key.
 */
export const TEST_SECRETS: KeyRing = { currentId: 1, keys: new Map([[1, createHash('sha256').update('integration-tests-secrets').digest()]]) };

export async function startTestStack(
  opts: { policy?: Partial<IssuancePolicy>; access?: Partial<AccessPolicy>; eligibilityPolicy?: boolean; now?: () => Date; identityProvider?: boolean; secondReviewSampleRate?: number; smsUrl?: string; databaseUrl?: string; trustedProxies?: string[] } = {},
): Promise<TestStack> {
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  });
  const log = createLogger({ level: 'debug', name: 'test', destination });
  const secrets = TEST_SECRETS;
  const pool = keyAuditLog(createPool(opts.databaseUrl ?? inject('databaseUrl'), 10), secrets);
  const taskQueue = `test-${randomUUID()}`;
  const mailroomDir = mkdtempSync(path.join(tmpdir(), 'mailroom-'));
  const documentsDir = mkdtempSync(path.join(tmpdir(), 'documents-'));
  const deps: ActivityDeps = {
    pool,
    mailer: createSmtpMailer(inject('smtpUrl')),
    // `smsUrl`: another gateway for this stack (e.g. one that is down).
    sms: createHttpSmsGateway(opts.smsUrl ?? inject('smsUrl')),
    keys: { pepper: randomBytes(32), secrets },
    mailFrom: 'PIN INPS <noreply@pin.inps.example>',
    pecFrom: 'PIN INPS PEC <pin@pec.inps.example>',
    mailroomDir,
    publicBaseUrl: 'http://portal.test',
    log,
    now: opts.now,
  };
  // One fixed key for the whole run: files share the dev server (e.g. a day's mail-room workflow).
  const payloadKeys = parsePayloadKeys(`it:${createHash('sha256').update('integration-tests').digest('base64')}`);
  const payloadCodec = new AesGcmPayloadCodec(payloadKeys);
  const metricsToken = randomBytes(24).toString('base64url');
  const nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const worker: Worker = await createWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    deps,
    payloadCodec: new AesGcmPayloadCodec(payloadKeys, { refusePlaintext: true }),
    workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') },
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const client = new Client({ connection, namespace: 'default', dataConverter: encryptedDataConverter(payloadCodec) });
  const policy = { ...DEFAULT_ISSUANCE_POLICY, ...opts.policy };
  // The development OpenID provider, for the SPID/CIE/CNS sign-in; its client is registered
  // once the API's port (hence the redirect URIs) is known.
  // Imported only when asked for: oidc-provider warns about the Node version on import.
  const oidcDev = opts.identityProvider ? await import('../../dev/oidc-provider') : undefined;
  const idp = oidcDev ? await oidcDev.startDevOidcProvider({ port: 0, identities: [] }) : undefined;
  const access = opts.access ? { ...DEFAULT_ACCESS_POLICY, ...opts.access } : undefined;
  const starter = createWorkflowStarter({ pool, temporal: client, taskQueue, policy, access, log, pollMs: 200 });
  const apiDeps: ApiDeps = {
    pool,
    pepper: deps.keys.pepper,
    temporal: client,
    taskQueue,
    log,
    onAccepted: starter.kick,
    policy,
    eligibilityPolicy: opts.eligibilityPolicy ?? true,
    now: opts.now,
    identityProvider: idp && oidcDev
      ? {
          issuer: idp.issuer,
          clientId: 'pin-backoffice-test',
          clientSecret: IDP_CLIENT_SECRET,
          acceptedAcr: [oidcDev.SPID_L2],
          fiscalNumberClaim: oidcDev.FISCAL_NUMBER_CLAIM,
          defaultMethod: 'SPID',
          allowInsecureHttp: true,
        }
      : undefined,
    documentsDir,
    secondReviewSampleRate: opts.secondReviewSampleRate,
    // The tests play many clients from one machine, as a proxy on loopback would forward them.
    trustedProxies: opts.trustedProxies ?? ['loopback'],
    secrets: deps.keys.secrets,
    mailroomDir,
    payloadCodec,
    codecOrigins: ['http://127.0.0.1:8233'],
    metrics: { token: metricsToken, open: false },
  };
  const app = createApp(apiDeps);
  const server = app.listen(0, '127.0.0.1');
  const extras: Server[] = [];
  await new Promise((resolve) => server.once('listening', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  idp?.register([
    { clientId: 'pin-backoffice-test', clientSecret: IDP_CLIENT_SECRET, redirectUris: [`${baseUrl}/portal/identity/callback`, `${baseUrl}/api/identity/callback`] },
  ]);

  const getJson = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;
  return {
    baseUrl,
    idp,
    pool,
    client,
    taskQueue,
    mailroomDir,
    documentsDir,
    deps,
    payloadCodec,
    metricsToken,
    logLines,
    historyText: async (workflowId) => decodedHistoryText(await client.workflow.getHandle(workflowId).fetchHistory(), payloadCodec),
    mails: (f = {}) => getJson<StoredMail[]>(`${inject('smtpHttpUrl')}/api/messages${f.to ? `?to=${encodeURIComponent(f.to)}` : ''}`),
    smses: (f = {}) => getJson<StoredSms[]>(`${inject('smsUrl')}/api/messages${f.to ? `?to=${encodeURIComponent(f.to)}` : ''}`),
    async extraApi(overrides) {
      const extra = createApp({ ...apiDeps, ...overrides }).listen(0, '127.0.0.1');
      extras.push(extra);
      await new Promise((resolve) => extra.once('listening', resolve));
      return { baseUrl: `http://127.0.0.1:${(extra.address() as AddressInfo).port}`, close: () => extra.close() };
    },
    async stop() {
      for (const extra of extras) extra.close();
      server.close();
      await starter.stop();
      worker.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
      deps.mailer.close();
      await idp?.close();
      await pool.end();
    },
  };
}

/** Every payload in a history (objects with `metadata` and `data`), decoded and rendered as text. */
export async function decodedHistoryText(history: unknown, codec: AesGcmPayloadCodec): Promise<string> {
  const payloads: Payload[] = [];
  const walk = (v: unknown): void => {
    if (!v || typeof v !== 'object' || ArrayBuffer.isView(v)) return;
    const o = v as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && 'data' in o && (o.metadata as Record<string, unknown>).encoding) {
      payloads.push(o as Payload);
      return;
    }
    for (const child of Object.values(o)) walk(child);
  };
  walk(history);
  const decoded = await codec.decode(payloads);
  const utf8 = (b: unknown) => (b instanceof Uint8Array ? Buffer.from(b).toString('utf8') : '');
  const texts = decoded.map((p) => `${Object.entries(p.metadata ?? {}).map(([k, v]) => `${k}=${utf8(v)}`).join(' ')} ${utf8(p.data)}`);
  expect(texts.length, 'a history without payloads cannot prove anything').toBeGreaterThan(0);
  return `${JSON.stringify(history)}\n${texts.join('\n')}`;
}

/**
 * A fresh, migrated database on the run's PostgreSQL server, for a test that must not see (or
 * touch) what other files left in the shared one — the API fuzzer acts on whatever it can find.
 */
export async function freshDatabase(prefix: string): Promise<string> {
  const url = new URL(inject('databaseUrl'));
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = createPool(url.toString(), 1);
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), 1);
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  return url.toString();
}
