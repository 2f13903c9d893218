/**
 * `npm run chaos:surge` — ten times the normal rate of PIN requests for a while, from many
 * clients (told apart by X-Forwarded-For, as behind the reverse proxy) plus a few that each send
 * far more than their share. What the API cannot take must be refused with 429 (a client over its
 * limit) or 503 (over capacity), both with Retry-After, never a 500 or a hang; clients that retry
 * as told, with the same Idempotency-Key, must all get in, exactly once; and everything accepted
 * must be issued.
 *
 * The API runs with the admission limits below (api/admission.ts), smaller than production's so
 * that the capacity limit is reached at a rate this machine can generate; the surge arrives in two
 * waves a second, each larger than what the API takes at once (in flight plus queue).
 *
 * The report times how long the accepted backlog takes to drain, from the end of the surge: until
 * every PIN is made, every first half delivered, every letter filed in a mail-room batch.
 *
 *   npm run chaos:surge                  # small: 4 s at 5/s, then 6 s at 50/s (CI)
 *   CHAOS_SIZE=full npm run chaos:surge  # full: 15 s at 10/s, then 30 s at 100/s (3,000 requests)
 *   CHAOS_NORMAL_RPS=30 npm run chaos:surge
 */
import { randomInt, randomUUID } from 'node:crypto';
import { fmt, percentile } from '../../bench/support';
import {
  ChaosReport,
  answerProblems,
  defaultLog,
  isMain,
  numberFromEnv,
  paced,
  postPinRequest,
  runAsScript,
  sizeFromEnv,
  statusSummary,
  submitUntilAccepted,
  verifyIssuances,
  waitForIssuance,
  uniqueCitizen,
  withStack,
  type Attempt,
  type ChaosResult,
  type ChaosRunOptions,
  type Submission,
} from './harness';

/** Limits the API runs with here (each overridable with the variable of the same name). */
const API_LIMITS = {
  API_MAX_IN_FLIGHT: '8',
  API_MAX_QUEUE: '8',
  API_QUEUE_WAIT_MS: '300',
  API_RETRY_AFTER_SECONDS: '1',
  API_CLIENT_RATE_PER_MINUTE: '60',
  API_CLIENT_BURST: '10',
};

interface Logical extends Submission {
  ip: string;
  phase: 'normal' | 'surge' | 'hot';
  /** Sent twice at once, as a double click does. */
  doubleClick: boolean;
  /** Answers to a repeat of the request after it was accepted. */
  repeats: Attempt[];
}

const citizenIp = () => `10.${randomInt(256)}.${randomInt(256)}.${1 + randomInt(254)}`;

export async function run(opts: ChaosRunOptions = {}): Promise<ChaosResult> {
  const size = opts.size ?? sizeFromEnv();
  const log = opts.log ?? defaultLog;
  // Full: ten times a normal 10/s, which is about what this 2-core machine accepts while it also
  // issues (bench:issuance); the backlog of 3,000 then takes minutes to drain, which is the point.
  const normalRps = numberFromEnv('CHAOS_NORMAL_RPS', size === 'full' ? 10 : 5);
  const normalSeconds = size === 'full' ? 15 : 4;
  const surgeSeconds = numberFromEnv('CHAOS_SURGE_SECONDS', size === 'full' ? 30 : 6);
  const hotClients = 2;
  const limits = Object.fromEntries(Object.entries(API_LIMITS).map(([k, v]) => [k, process.env[k] ?? v]));
  const report = new ChaosReport('surge', size);
  report.figure('normal rate (req/s)', normalRps);
  report.figure('surge rate (req/s)', normalRps * 10);
  report.figure('surge length (s)', surgeSeconds);
  report.figure('API limits', Object.entries(limits).map(([k, v]) => `${k.replace('API_', '')}=${v}`).join(' '));

  return withStack(report, { scenario: 'surge', run: opts, apiEnv: limits }, async (stack) => {
    const make = (phase: Logical['phase'], ip = citizenIp()): Logical => ({
      citizen: uniqueCitizen(),
      key: randomUUID(),
      attempts: [],
      ip,
      phase,
      doubleClick: phase !== 'hot' && randomInt(100) < 2,
      repeats: [],
    });
    const normal = Array.from({ length: normalRps * normalSeconds }, () => make('normal'));
    const surge = Array.from({ length: normalRps * 10 * surgeSeconds }, () => make('surge'));
    // Each hot client alone sends the normal rate of everybody, far beyond its own limit.
    const hot = Array.from({ length: normalRps * surgeSeconds * hotClients }, (_, i) => make('hot', `192.0.2.${1 + (i % hotClients)}`));
    // Clients keep retrying as told for a good while after the surge: a citizen refused at the
    // peak tries again later. (A client that gives up is not a lost request; one never accepted
    // while still trying would be.)
    const deadline = Date.now() + (normalSeconds + surgeSeconds + (size === 'full' ? 600 : 90)) * 1000;

    /** A well-behaved client: retries as Retry-After says, same key; 5% repeat the request once accepted. */
    const send = async (l: Logical) => {
      const headers = { 'x-forwarded-for': l.ip };
      if (l.phase === 'hot') {
        const a = await postPinRequest(stack.baseUrl, l.citizen, l.key, headers);
        l.attempts.push(a);
        if (a.credentialId) l.credentialId = a.credentialId;
        return;
      }
      const twin: Logical = { ...l, attempts: [], credentialId: undefined };
      await Promise.all([submitUntilAccepted(stack.baseUrl, l, { deadline, headers }), l.doubleClick ? submitUntilAccepted(stack.baseUrl, twin, { deadline, headers }) : undefined]);
      if (l.doubleClick) {
        l.attempts.push(...twin.attempts);
        if (twin.credentialId && twin.credentialId !== l.credentialId) l.repeats.push({ ...twin.attempts.at(-1)!, error: `double click got another credential ${twin.credentialId}` });
      }
      if (l.credentialId && randomInt(100) < 5) {
        const again = await submitUntilAccepted(stack.baseUrl, { citizen: l.citizen, key: l.key, attempts: [] }, { deadline, headers });
        const last = again.attempts.at(-1)!;
        l.repeats.push(again.credentialId === l.credentialId ? last : { ...last, error: `repeat got ${again.credentialId ?? 'no credential'}` });
      }
    };

    log(`normal: ${normal.length} requests over ${normalSeconds} s`);
    await paced(normal, normalRps, send);
    log(`surge: ${surge.length} requests over ${surgeSeconds} s, plus ${hot.length} from ${hotClients} hot clients`);
    const s0 = performance.now();
    // The surge comes in two waves a second: each wave is more than the API can take at once.
    const wave = Math.max(1, Math.round((normalRps * 10) / 2));
    await Promise.all([paced(surge, normalRps * 10, send, wave), paced(hot, normalRps * hotClients, send)]);
    log(`all answered ${((performance.now() - s0) / 1000).toFixed(1)} s after the surge began`);

    const firstTries = (ls: Logical[]) => ls.map((l) => l.attempts[0]!);
    const all = [...normal, ...surge, ...hot];
    const attempts = all.flatMap((l) => [...l.attempts, ...l.repeats]);
    report.figure('normal phase, first tries', statusSummary(firstTries(normal)));
    report.figure('surge phase, first tries', statusSummary(firstTries(surge)));
    report.figure('hot clients', statusSummary(firstTries(hot)));
    report.figure('all answers, retries included', statusSummary(attempts));
    const acceptedLatency = attempts.filter((a) => a.status === 202).map((a) => a.ms).sort((a, b) => a - b);
    const refusedLatency = attempts.filter((a) => a.status === 429 || a.status === 503).map((a) => a.ms).sort((a, b) => a - b);
    if (acceptedLatency.length) report.figure('accepted latency p50 / p99 (ms)', `${fmt(percentile(acceptedLatency, 50))} / ${fmt(percentile(acceptedLatency, 99))}`);
    if (refusedLatency.length) report.figure('refused latency p50 / p99 (ms)', `${fmt(percentile(refusedLatency, 50))} / ${fmt(percentile(refusedLatency, 99))}`);

    const { unexpected, withoutRetryAfter } = answerProblems(attempts, [200, 202, 429, 503]);
    report.check('only 202/200, 429 or 503 — no 500, no timeout', unexpected.length === 0, unexpected.slice(0, 3).map((a) => `${a.status} ${a.error ?? ''}`).join('; '));
    report.check('every 429 and 503 carries Retry-After', withoutRetryAfter.length === 0, `${withoutRetryAfter.length} without`);
    const normalRefused = firstTries(normal).filter((a) => a.status !== 202 && a.status !== 200).length;
    report.check('at the normal rate (nearly) everything is accepted at once', normalRefused <= Math.ceil(normal.length * 0.02), `${normalRefused} of ${normal.length} refused`);
    const overCapacity = firstTries(surge).filter((a) => a.status === 503).length;
    report.check('during the surge what exceeded the capacity was refused with 503', overCapacity > 0, `${overCapacity} refused`);
    const hot429 = firstTries(hot).filter((a) => a.status === 429).length;
    report.check('the hot clients were limited with 429', hot429 > 0, `${hot429} of ${hot.length}`);

    const compliant = [...normal, ...surge];
    const gotIn = compliant.filter((l) => l.credentialId);
    report.figure('compliant requests accepted in the end', `${gotIn.length} of ${compliant.length}`);
    report.check('every client that retried as told got in', gotIn.length === compliant.length, `${compliant.length - gotIn.length} never accepted`);
    const repeats = all.flatMap((l) => l.repeats);
    const badRepeats = repeats.filter((a) => a.error || a.status !== 200);
    report.figure('repeats and double clicks answered', statusSummary(repeats) || '-');
    report.check('a repeated request (same key) is answered 200 with the first credential', badRepeats.length === 0, badRepeats.slice(0, 3).map((a) => `${a.status} ${a.error ?? ''}`).join('; '));

    const accepted = all.filter((l) => l.credentialId);
    const { rows } = await stack.pool.query<{ idempotency_key: string; n: string; credentials: string[] }>(
      `SELECT idempotency_key, count(*) AS n, array_agg(credential_id::text) AS credentials FROM pin_requests
        WHERE idempotency_key = ANY($1::text[]) GROUP BY 1`,
      [accepted.map((l) => `key:${l.key}`)],
    );
    const stored = new Map(rows.map((r) => [r.idempotency_key.slice(4), r]));
    const mismatched = accepted.filter((l) => Number(stored.get(l.key)?.n ?? 0) !== 1 || stored.get(l.key)!.credentials[0] !== l.credentialId);
    report.check('each accepted request is stored once, under the credential the client was given', mismatched.length === 0, `${mismatched.length} differ`);
    const total = await stack.pool.query<{ n: string }>('SELECT count(*) AS n FROM pin_requests');
    report.check('nothing was stored that was not accepted', Number(total.rows[0]!.n) === accepted.length, `${total.rows[0]!.n} stored, ${accepted.length} accepted`);

    report.figure('accepted', accepted.length);
    // The backlog drains into two things a citizen waits for: the first half on their phone and
    // e-mail, and the letter with the second half filed in a mail-room batch. Timed apart.
    const ids = accepted.map((l) => l.credentialId!);
    const drain = { issued: undefined as number | undefined, firstHalves: undefined as number | undefined, letters: undefined as number | undefined };
    const t0 = performance.now();
    const watcher = (async () => {
      while (drain.firstHalves === undefined || drain.letters === undefined) {
        const { rows } = await stack.pool.query<{ halves_pending: string; letters_unfiled: string; credentials_without_letter: string }>(
          `SELECT (SELECT count(*) FROM outbox WHERE credential_id = ANY($1::uuid[]) AND purpose = 'first-half' AND status <> 'sent') AS halves_pending,
                  (SELECT count(*) FROM letters WHERE credential_id = ANY($1::uuid[]) AND batch_date IS NULL) AS letters_unfiled,
                  (SELECT count(*) FROM unnest($1::uuid[]) AS c(id) WHERE NOT EXISTS (SELECT 1 FROM letters l WHERE l.credential_id = c.id)) AS credentials_without_letter`,
          [ids],
        );
        const r = rows[0]!;
        // Halves are done when no credential still lacks its letter row (the row comes with the PIN) and no half is pending.
        const seconds = (performance.now() - t0) / 1000;
        if (drain.issued === undefined && Number(r.credentials_without_letter) === 0) drain.issued = seconds;
        if (drain.firstHalves === undefined && Number(r.credentials_without_letter) === 0 && Number(r.halves_pending) === 0) drain.firstHalves = seconds;
        if (drain.letters === undefined && Number(r.credentials_without_letter) === 0 && Number(r.letters_unfiled) === 0) drain.letters = seconds;
        await new Promise((resolve) => setTimeout(resolve, 500));
        if (seconds > (size === 'full' ? 40 : 8) * 60) break;
      }
    })();
    const seconds = await waitForIssuance(stack, ids, (size === 'full' ? 40 : 8) * 60_000, log);
    await watcher;
    report.figure('seconds from the end of the surge to all issued', seconds);
    report.figure('drain: seconds until every PIN was made (letter and halves queued)', drain.issued !== undefined ? drain.issued.toFixed(1) : 'not reached');
    report.figure('drain: seconds until every first half was delivered', drain.firstHalves !== undefined ? drain.firstHalves.toFixed(1) : 'not reached');
    report.figure('drain: seconds until every letter was filed in a batch', drain.letters !== undefined ? drain.letters.toFixed(1) : 'not reached');
    report.figure('drain rate (issuances/s)', (accepted.length / Math.max(seconds, 0.001)).toFixed(1));
    await verifyIssuances(stack, report, accepted.map((l) => ({ citizen: l.citizen, credentialId: l.credentialId! })));
    report.check('the API and the worker never crashed', stack.api.unexpectedExits + stack.worker.unexpectedExits === 0);
  });
}

if (isMain(import.meta.url)) runAsScript(run);
