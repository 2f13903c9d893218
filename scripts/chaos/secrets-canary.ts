/**
 * `npm run chaos:secrets-canary` — issues PINs, completes their first access and logs in, recovers
 * some of them through the e-mailed link, then searches everything the system keeps or emits for
 * every secret it handed out: each initial PIN and both its halves (posted and re-issued), each
 * 8-character PIN, each session token and each recovery link token. Searched: every line the
 * worker, the API and the Temporal server logged (at debug level), a dump of every row of the database,
 * every workflow history (raw, and its payloads decoded as the Web UI would show them), every
 * message the sinks received other than the one meant to carry that secret, every letter other
 * than its owner's, and the API's acceptance answers. Expected hits: zero.
 *
 * The plaintext secrets come from where their owner finds them: halves and link tokens from the
 * messages (matched to their outbox rows), second halves from the letter PDFs, the 8-character
 * PIN from the first-access answer, the session token from the login answer. Also checked: the
 * stored hashes have the required parameters (keyed HMAC-SHA-256 for the halves, argon2id
 * m=19456,t=2,p=1 with the pepper for the 8-character PIN) and unique salts, and nothing waits
 * encrypted once delivered.
 *
 *   npm run chaos:secrets-canary                  # small: 50 PINs, 5 recovered (CI)
 *   CHAOS_SIZE=full npm run chaos:secrets-canary  # full: 1,000 PINs, 100 recovered
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { verify } from '@node-rs/argon2';
import type { Payload } from '@temporalio/common';
import { waitUntil } from '../../bench/support';
import { PIN_ALPHABET, keyedHash } from '../../lib/secrets';
import { loadConfig } from '../../lib/config';
import { payloadCodecFromConfig } from '../../lib/payload-codec';
import { secondHalfFrom } from '../../test/support/issuance';
import { pdfText } from '../../test/support/pdf';
import {
  ChaosReport,
  defaultLog,
  isMain,
  mapLimit,
  numberFromEnv,
  dumpDatabase,
  runAsScript,
  sizeFromEnv,
  submitUntilAccepted,
  waitForIssuance,
  uniqueCitizen,
  withStack,
  type ChaosResult,
  type ChaosRunOptions,
  type ChaosStack,
  type Submission,
} from './harness';

type SecretKind = 'initial PIN' | 'first half' | 'second half' | 'personal PIN' | 'session token' | 'link token';

interface Secret {
  owner: string;
  kind: SecretKind;
  /** The messages (outbox row ids) and letters (`letter:<id>`) meant to carry it. */
  intendedFor: Set<string>;
}

/**
 * Every secret in the forms it could be written in (as is, and in the groups of four the messages
 * use), looked up at each position of a text by length: linear in the text, whatever the number
 * of secrets. (Not lower case: hex dumps would then match by chance.)
 */
class SecretIndex {
  private readonly forms = new Map<string, Secret>();
  private readonly byValue = new Map<string, Secret>();
  private readonly lengths = new Set<number>();
  private readonly firstChars = new Set<string>();

  get count(): number {
    return this.byValue.size;
  }

  countByKind(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.byValue.values()) out[s.kind] = (out[s.kind] ?? 0) + 1;
    return out;
  }

  /** Adds a secret, or the place it was found to one already known. */
  add(value: string, owner: string, kind: SecretKind, intendedFor?: string): void {
    let secret = this.byValue.get(value);
    if (!secret) {
      secret = { owner, kind, intendedFor: new Set() };
      this.byValue.set(value, secret);
      const forms = new Set([value]);
      if (/^[A-Z0-9]+$/.test(value)) forms.add(value.replace(/(.{4})(?=.)/g, '$1 '));
      for (const f of forms) {
        this.forms.set(f, secret);
        this.lengths.add(f.length);
        this.firstChars.add(f[0]!);
      }
    }
    if (intendedFor) secret.intendedFor.add(intendedFor);
  }

  /** Every occurrence in `text` of a secret not meant for the place `where`. */
  find(text: string, where?: string): { secret: Secret; at: number }[] {
    const hits: { secret: Secret; at: number }[] = [];
    const lengths = [...this.lengths];
    for (let i = 0; i < text.length; i++) {
      if (!this.firstChars.has(text[i]!)) continue;
      for (const len of lengths) {
        const s = this.forms.get(text.substr(i, len));
        if (s && !(where !== undefined && s.intendedFor.has(where))) hits.push({ secret: s, at: i });
      }
    }
    return hits;
  }
}

/** A code as the messages print it: two groups of four from the PIN alphabet. */
const CODE = new RegExp(`(?<![A-Z0-9])([${PIN_ALPHABET}]{4} [${PIN_ALPHABET}]{4})(?![A-Z0-9])`, 'g');

/** Long random-looking parts of the links in a message (query values and path segments). */
function linkTokens(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/https?:\/\/[^\s"'<>]+/g)) {
    const url = new URL(m[0]);
    for (const part of [...url.pathname.split('/'), ...url.searchParams.values(), url.hash.slice(1)]) {
      if (/^[A-Za-z0-9_-]{20,}$/.test(part)) out.push(part);
    }
  }
  return out;
}

/** Every payload of a history, wherever it sits (inputs, results, failures, memos, headers). */
function payloadsOf(value: unknown, out: Payload[] = []): Payload[] {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return out;
  const v = value as Record<string, unknown>;
  if (v.data instanceof Uint8Array && v.metadata && typeof v.metadata === 'object') out.push(v as Payload);
  for (const child of Array.isArray(value) ? value : Object.values(v)) payloadsOf(child, out);
  return out;
}

/**
 * The text of a value with its bytes written as UTF-8, so that a secret inside a payload's bytes
 * is found. (JSON.stringify would call the protobuf messages' toJSON and hide bytes in base64.)
 */
function rawText(value: unknown, out: string[] = []): string[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      rawText(v, out);
    }
  } else if (value !== undefined && value !== null) out.push(String(value));
  return out;
}
const rawJson = (value: unknown) => rawText(value).join('\n');

interface Citizen {
  submission: Submission;
  credentialId: string;
  /** Halves by PIN version, as the citizen received them. */
  halves: Map<number, { first?: string; second?: string }>;
  personalPin?: string;
  sessionToken?: string;
  recovered?: number;
}

/** A sink message with the outbox row it came from. */
interface Delivered {
  outboxId: string;
  text: string;
  json: string;
}

/** Every message the sinks hold, each with its outbox row id (the SMS gateway's idempotency key, the mail's X-Idempotency-Key). */
function deliveredMessages(stack: ChaosStack): Delivered[] {
  return [
    ...stack.sms.messages().map((m) => ({ outboxId: m.idempotencyKey, text: m.text, json: JSON.stringify(m) })),
    ...stack.smtp.messages().map((m) => ({ outboxId: m.headers['x-idempotency-key'] ?? '', text: `${m.text}\n${m.html ?? ''}`, json: JSON.stringify(m) })),
  ];
}

const headers = (i: number) => ({ 'content-type': 'application/json', 'x-forwarded-for': `10.9.${Math.floor(i / 250)}.${1 + (i % 250)}` });

/** First access (16 → 8 characters) with the posted PIN, then a login with the new one. */
async function firstAccessAndLogin(stack: ChaosStack, citizens: Citizen[], report: ChaosReport): Promise<void> {
  const failures: string[] = [];
  await mapLimit(citizens, 4, async (c) => {
    const { first, second } = c.halves.get(1) ?? {};
    if (!first || !second) return void failures.push(`${c.credentialId}: halves not found`);
    const h = headers(citizens.indexOf(c));
    const cf = c.submission.citizen.codiceFiscale;
    const res = await fetch(`${stack.baseUrl}/api/first-access`, { method: 'POST', headers: h, body: JSON.stringify({ codiceFiscale: cf, pin: first + second }) });
    if (res.status !== 200) return void failures.push(`first access ${res.status} ${(await res.text()).slice(0, 120)}`);
    c.personalPin = ((await res.json()) as { pin: string }).pin;
    const login = await fetch(`${stack.baseUrl}/api/sessions`, { method: 'POST', headers: h, body: JSON.stringify({ codiceFiscale: cf, pin: c.personalPin }) });
    if (login.status !== 201) return void failures.push(`login ${login.status} ${(await login.text()).slice(0, 120)}`);
    c.sessionToken = ((await login.json()) as { token: string }).token;
  });
  report.check('every citizen completed the first access and logged in with the new PIN', failures.length === 0, failures.slice(0, 3).join('; '));
}

/** Recovery (ripristino) through the e-mailed link: a link token, then a new PIN over two channels. */
async function recover(stack: ChaosStack, citizens: Citizen[], report: ChaosReport): Promise<void> {
  const failures: string[] = [];
  await mapLimit(citizens, 4, async (c) => {
    const { codiceFiscale, mobile, email } = c.submission.citizen;
    const h = headers(10_000 + citizens.indexOf(c));
    const asked = await fetch(`${stack.baseUrl}/api/recovery/requests`, { method: 'POST', headers: h, body: JSON.stringify({ codiceFiscale, mobile, email }) });
    if (asked.status !== 202) return void failures.push(`recovery request ${asked.status} ${(await asked.text()).slice(0, 120)}`);
    let token: string | undefined;
    await waitUntil(async () => {
      const mail = stack.smtp.messages().find((m) => m.headers['x-purpose'] === 'recovery-link' && m.envelope.rcptTo.includes(email!));
      token = mail ? linkTokens(mail.text)[0] : undefined;
      return token !== undefined;
    }, 60_000).catch(() => undefined);
    if (!token) return void failures.push(`${c.credentialId}: no recovery link`);
    const confirmed = await fetch(`${stack.baseUrl}/api/recovery/confirm`, { method: 'POST', headers: h, body: JSON.stringify({ token }) });
    if (confirmed.status !== 200) return void failures.push(`recovery confirm ${confirmed.status} ${(await confirmed.text()).slice(0, 120)}`);
    c.recovered = ((await confirmed.json()) as { pinVersion: number }).pinVersion;
    // Both halves of the new PIN delivered.
    await waitUntil(async () => {
      const { rows } = await stack.pool.query(
        `SELECT 1 FROM outbox WHERE credential_id = $1::uuid AND purpose IN ('first-half', 'second-half') AND idempotency_key LIKE $2::text AND status = 'sent'`,
        [c.credentialId, `%:${c.recovered}:%`],
      );
      return rows.length === 2;
    }, 120_000).catch(() => failures.push(`${c.credentialId}: new halves not delivered`));
  });
  report.check('every recovery went through: link e-mailed, confirmed, new halves delivered', failures.length === 0, failures.slice(0, 3).join('; '));
}

/**
 * The secrets each citizen got, read from where the citizen reads them: codes and link tokens from
 * the messages (each intended for the outbox row it came from), second halves from the letters.
 */
async function indexSecrets(stack: ChaosStack, citizens: Citizen[], index: SecretIndex, report: ChaosReport, when: string): Promise<void> {
  const ids = citizens.map((c) => c.credentialId);
  const byId = new Map(citizens.map((c) => [c.credentialId, c]));
  const { rows: outbox } = await stack.pool.query<{ id: string; credential_id: string; purpose: string; idempotency_key: string }>(
    'SELECT id::text, credential_id::text, purpose, idempotency_key FROM outbox WHERE credential_id = ANY($1::uuid[])',
    [ids],
  );
  const rowOf = new Map(outbox.map((r) => [r.id, r]));
  const problems: string[] = [];
  for (const m of deliveredMessages(stack)) {
    const row = rowOf.get(m.outboxId);
    if (!row) continue;
    const c = byId.get(row.credential_id)!;
    if (row.purpose === 'first-half' || row.purpose === 'second-half') {
      // The key is <credential>:<purpose>:<version>:<channel>.
      const version = Number(row.idempotency_key.split(':')[2]);
      const codes = [...m.text.matchAll(CODE)].map((x) => x[1]!.replace(' ', ''));
      if (new Set(codes).size !== 1) problems.push(`${row.purpose} message ${m.outboxId}: ${new Set(codes).size} codes`);
      const kind = row.purpose === 'first-half' ? 'first' : 'second';
      const halves = c.halves.get(version) ?? {};
      if (halves[kind] && codes[0] && halves[kind] !== codes[0]) problems.push(`${c.credentialId} v${version}: two different ${kind} halves`);
      halves[kind] ??= codes[0];
      c.halves.set(version, halves);
      if (codes[0]) index.add(codes[0], c.credentialId, `${kind} half`, m.outboxId);
    } else if (row.purpose === 'recovery-link') {
      for (const t of linkTokens(m.text)) index.add(t, c.credentialId, 'link token', m.outboxId);
    }
  }
  const { rows: letters } = await stack.pool.query<{ id: string; credential_id: string; pin_version: number; file_path: string }>(
    'SELECT id::text, credential_id::text, pin_version, file_path FROM letters WHERE credential_id = ANY($1::uuid[]) AND file_path IS NOT NULL',
    [ids],
  );
  await mapLimit(letters, 8, async (l) => {
    const second = secondHalfFrom(await pdfText(new Uint8Array(await readFile(l.file_path))));
    if (!second) return void problems.push(`letter ${l.id}: no second half`);
    const c = byId.get(l.credential_id)!;
    const halves = c.halves.get(l.pin_version) ?? {};
    if (halves.second && halves.second !== second) problems.push(`${c.credentialId}: the letter and a message disagree`);
    halves.second = second;
    c.halves.set(l.pin_version, halves);
    index.add(second, c.credentialId, 'second half', `letter:${l.id}`);
  });
  report.check(`${when}: every half found where its owner finds it, the same everywhere`, problems.length === 0, problems.slice(0, 3).join('; '));
}

async function checkStoredHashes(stack: ChaosStack, citizens: Citizen[], report: ChaosReport): Promise<void> {
  const ids = citizens.map((c) => c.credentialId);
  const { rows } = await stack.pool.query<{
    credential_id: string;
    version: number;
    kind: string;
    status: string;
    first_half_hash: Buffer | null;
    second_half_hash: Buffer | null;
    pin_hash: string | null;
    salt: Buffer;
    second_half_enc: Buffer | null;
  }>(
    'SELECT credential_id::text, version, kind, status, first_half_hash, second_half_hash, pin_hash, salt, second_half_enc FROM pin_secrets WHERE credential_id = ANY($1::uuid[])',
    [ids],
  );
  const byId = new Map(citizens.map((c) => [c.credentialId, c]));
  const initial = rows.filter((r) => r.kind === 'initial');
  const personal = rows.filter((r) => r.kind === 'personal');

  const badInitial = initial.filter((r) => {
    const { first, second } = byId.get(r.credential_id)!.halves.get(r.version) ?? {};
    if (!first || !second || !r.first_half_hash || !r.second_half_hash || r.salt.length < 16) return true;
    const keyed = keyedHash(stack.pepper, r.salt, 'first', first).equals(r.first_half_hash) && keyedHash(stack.pepper, r.salt, 'second', second).equals(r.second_half_hash);
    // An unkeyed digest would let a stolen database alone be brute-forced.
    const unkeyed = createHash('sha256').update(first).digest().equals(r.first_half_hash);
    return !keyed || unkeyed;
  });
  const expectedInitial = citizens.length + citizens.filter((c) => c.recovered).length;
  report.check(
    'initial PIN halves (posted and re-issued) stored as HMAC-SHA-256 under the pepper with a 16-byte salt (docs/decisions/0003)',
    initial.length === expectedInitial && badInitial.length === 0,
    `${initial.length} rows, ${badInitial.length} not as required`,
  );

  const PARAMS = '$argon2id$v=19$m=19456,t=2,p=1$';
  const badPersonal = personal.filter((r) => !r.pin_hash?.startsWith(PARAMS));
  report.check(
    '8-character PINs stored as argon2id m=19456,t=2,p=1',
    personal.length === citizens.length && badPersonal.length === 0,
    `${personal.length} rows${badPersonal.length ? `; ${badPersonal.slice(0, 2).map((r) => r.pin_hash?.split('$').slice(0, 4).join('$')).join('; ')}` : ''}`,
  );
  // The pepper is argon2's secret input: a hash must verify with it and not without it.
  const sample = personal.slice(0, 10);
  const verified = await Promise.all(
    sample.map(async (r) => {
      const pin = byId.get(r.credential_id)!.personalPin ?? '';
      return (await verify(r.pin_hash!, pin, { secret: stack.pepper })) && !(await verify(r.pin_hash!, pin).catch(() => false));
    }),
  );
  report.check(`argon2id hashes use the pepper (${sample.length} verified with it, refused without)`, sample.length > 0 && verified.every(Boolean));

  const argonSalts = personal.map((r) => r.pin_hash?.split('$')[4] ?? '');
  const rowSalts = rows.map((r) => r.salt.toString('hex'));
  const allHashes = [...initial.flatMap((r) => [r.first_half_hash?.toString('hex'), r.second_half_hash?.toString('hex')]), ...personal.map((r) => r.pin_hash)];
  report.check(
    'salts unique (per row and inside every argon2id hash) and no two hashes equal',
    new Set(rowSalts).size === rowSalts.length && new Set(argonSalts).size === argonSalts.length && new Set(allHashes).size === allHashes.length,
  );
  const kept = rows.filter((r) => r.second_half_enc !== null).length;
  report.check('no encrypted second half kept once the letter was used or the PIN replaced', kept === 0, `${kept} kept`);
  const payloads = await stack.pool.query("SELECT 1 FROM outbox WHERE credential_id = ANY($1::uuid[]) AND status = 'sent' AND payload_enc IS NOT NULL", [ids]);
  report.check('no encrypted message payload kept after delivery', payloads.rowCount === 0, `${payloads.rowCount} kept`);
}

export async function run(opts: ChaosRunOptions = {}): Promise<ChaosResult> {
  const size = opts.size ?? sizeFromEnv();
  const log = opts.log ?? defaultLog;
  const n = numberFromEnv('CHAOS_N', size === 'full' ? 1000 : 50);
  const recoveries = Math.min(n, numberFromEnv('CHAOS_RECOVERIES', Math.max(1, Math.round(n / 10))));
  const report = new ChaosReport('secrets-canary', size);
  report.figure('PINs issued', n);
  report.figure('PINs recovered through the link', recoveries);

  return withStack(report, { scenario: 'secrets-canary', run: opts, logLevel: 'debug' }, async (stack) => {
    const submissions: Submission[] = Array.from({ length: n }, () => ({ citizen: uniqueCitizen(), key: randomUUID(), attempts: [] }));
    await mapLimit(submissions, 16, (s) => submitUntilAccepted(stack.baseUrl, s, { deadline: Date.now() + 120_000 }));
    const citizens: Citizen[] = submissions.filter((s) => s.credentialId).map((s) => ({ submission: s, credentialId: s.credentialId!, halves: new Map() }));
    report.check(`all ${n} requests accepted`, citizens.length === n, `${citizens.length} accepted`);
    await waitForIssuance(stack, citizens.map((c) => c.credentialId), (size === 'full' ? 15 : 5) * 60_000, log);

    const index = new SecretIndex();
    await indexSecrets(stack, citizens, index, report, 'after issuance');
    log('first access and login');
    await firstAccessAndLogin(stack, citizens, report);
    log('recoveries');
    await recover(stack, citizens.slice(0, recoveries), report);
    await indexSecrets(stack, citizens, index, report, 'after recovery');
    for (const c of citizens) {
      for (const { first, second } of c.halves.values()) if (first && second) index.add(first + second, c.credentialId, 'initial PIN');
      if (c.personalPin) index.add(c.personalPin, c.credentialId, 'personal PIN');
      if (c.sessionToken) index.add(c.sessionToken, c.credentialId, 'session token');
    }
    report.figure('secrets searched for', `${index.count} (${Object.entries(index.countByKind()).map(([k, v]) => `${v} ${k}`).join(', ')})`);

    const hitsIn: Record<string, number> = {};
    const examples: string[] = [];
    const search = (corpus: string, text: string, where?: string) => {
      const hits = index.find(text, where);
      hitsIn[corpus] = (hitsIn[corpus] ?? 0) + hits.length;
      for (const h of hits.slice(0, 2)) if (examples.length < 5) examples.push(`${corpus}: ${h.secret.kind} of ${h.secret.owner} at ${h.at}`);
    };

    log('searching the logs');
    const logs = [stack.worker.logFile, stack.api.logFile, `${stack.dir}/temporal.log`].map((f) => readFileSync(f, 'utf8'));
    report.figure('log lines searched (worker, API, Temporal)', logs.reduce((k, t) => k + t.split('\n').length - 1, 0));
    logs.forEach((t) => search('logs', t));

    log('searching a dump of the database (every row of every table)');
    const dump = await dumpDatabase(stack.databaseUrl);
    report.figure('database dump searched (MB)', dump.length / 2 ** 20);
    const missing = citizens.filter((c) => !dump.includes(c.credentialId)).length;
    report.check('the dump holds every credential (it is the whole database)', missing === 0, `${missing} missing`);
    search('database dump', dump);

    log('searching the workflow histories');
    const codec = payloadCodecFromConfig(loadConfig(stack.env));
    let histories = 0;
    let historyBytes = 0;
    let readable = 0;
    // Every run: a workflow that continued as new has earlier runs with histories of their own.
    const executions: { workflowId: string; runId: string }[] = [];
    for await (const wf of stack.client.workflow.list()) executions.push({ workflowId: wf.workflowId, runId: wf.runId });
    await mapLimit(executions, 8, async ({ workflowId, runId }) => {
      const history = await stack.client.workflow.getHandle(workflowId, runId).fetchHistory();
      const raw = rawJson(history);
      const decoded = (await codec.decode(payloadsOf(history))).map((p) => rawJson(p)).join('\n');
      histories++;
      historyBytes += raw.length + decoded.length;
      // Decoding worked if the credential's id, in its input, reads in clear.
      if (workflowId.startsWith('pin-') && decoded.includes(workflowId.slice(4))) readable++;
      search('histories', raw);
      search('histories (payloads decoded)', decoded);
    });
    report.figure('workflow histories searched (runs)', histories);
    report.figure('history text searched (MB)', historyBytes / 2 ** 20);
    report.check(
      'every credential has a workflow history that was searched, its payloads decoded',
      readable >= citizens.length,
      `${histories} histories, ${readable} credential histories with their input read in clear`,
    );

    log('searching the messages and letters');
    const messages = deliveredMessages(stack);
    for (const m of messages) search('messages', m.json, m.outboxId);
    report.figure('messages searched', messages.length);
    const { rows: letters } = await stack.pool.query<{ id: string; file_path: string }>('SELECT id::text, file_path FROM letters WHERE file_path IS NOT NULL');
    await mapLimit(letters, 8, async (l) => search('letters', await pdfText(new Uint8Array(await readFile(l.file_path))), `letter:${l.id}`));
    report.figure('letters searched', letters.length);
    for (const c of citizens) search('API acceptance answers', c.submission.attempts.map((a) => a.body ?? '').join('\n'));

    // The search itself must work: every kind of secret, planted in each form, is found.
    const planted = citizens.slice(0, 3).flatMap((c) => {
      const { first, second } = c.halves.get(1) ?? {};
      return [first, second, c.personalPin, first && second ? first + second : undefined, c.sessionToken].flatMap((v) =>
        !v ? [] : /^[A-Z0-9]+$/.test(v) ? [v, v.replace(/(.{4})(?=.)/g, '$1 ')] : [v],
      );
    });
    const found = index.find(JSON.stringify({ msg: 'planted', values: planted.join(' | ') })).length;
    report.check('a planted secret is found in every form (self-test of the search)', planted.length > 0 && found >= planted.length, `${found} found of ${planted.length} planted`);

    report.figure('hits', JSON.stringify(hitsIn));
    const total = Object.values(hitsIn).reduce((a, b) => a + b, 0);
    report.check('no secret anywhere but where its owner is meant to find it', total === 0, examples.join('; '));
    await checkStoredHashes(stack, citizens, report);
  });
}

if (isMain(import.meta.url)) runAsScript(run);
