/**
 * `npm run chaos:restarts` — while PIN requests keep arriving, the Temporal dev server is stopped
 * and started again on the same database file, then the PostgreSQL server (a private cluster, not
 * the shared one) is stopped and started again. Nothing may be lost: every request is accepted in
 * the end (clients retry as Retry-After tells them) and every issuance completes exactly once.
 * While PostgreSQL is down the API must answer 503 with Retry-After, never 500; while Temporal is
 * down it still accepts requests (accepting needs only PostgreSQL).
 *
 *   npm run chaos:restarts                  # small: 40 requests, outages of 6 s (CI)
 *   CHAOS_SIZE=full npm run chaos:restarts  # full: 300 requests, outages of 20 s
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ChaosReport,
  answerProblems,
  defaultLog,
  isMain,
  numberFromEnv,
  paced,
  runAsScript,
  sizeFromEnv,
  sleep,
  statusSummary,
  submitUntilAccepted,
  verifyIssuances,
  waitForIssuance,
  uniqueCitizen,
  withStack,
  type Attempt,
  type ChaosResult,
  type ChaosRunOptions,
  type ChaosStack,
  type Submission,
} from './harness';
import { startEmbeddedPostgres } from '../../dev/embedded-postgres';

/** A GET the API answers from PostgreSQL and Temporal (a request's status and its workflow's state). */
async function probe(stack: ChaosStack, url: string): Promise<Attempt> {
  const start = performance.now();
  try {
    const res = await fetch(`${stack.baseUrl}${url}`, { signal: AbortSignal.timeout(30_000) });
    const body = await res.text();
    return { status: res.status, retryAfter: res.headers.get('retry-after'), ms: performance.now() - start, at: Date.now(), ...(res.status >= 500 ? { error: body.slice(0, 200) } : {}) };
  } catch (err) {
    return { status: 0, retryAfter: null, ms: performance.now() - start, at: Date.now(), error: (err as Error).message };
  }
}

interface Outage {
  name: string;
  from: number;
  /** When the component was started again. */
  restartAt: number;
  to: number;
  probes: Attempt[];
  readiness: Attempt[];
}

/** Takes a component down for `downMs`, probing the API meanwhile, then brings it back. */
async function outage(
  stack: ChaosStack,
  name: string,
  downMs: number,
  requestId: string,
  stop: () => Promise<void>,
  start: () => Promise<void>,
  log: (l: string) => void,
  onTick: () => void,
): Promise<Outage> {
  const o: Outage = { name, from: Date.now(), restartAt: 0, to: 0, probes: [], readiness: [] };
  log(`${name}: stopping`);
  await stop();
  const until = Date.now() + downMs;
  // Probes go out every 500 ms whether or not the earlier ones were answered, so slow answers do not thin them out.
  const answers: Promise<void>[] = [];
  while (Date.now() < until) {
    onTick();
    answers.push(probe(stack, `/api/pin-requests/${requestId}`).then((p) => void o.probes.push(p)));
    answers.push(probe(stack, '/readyz').then((r) => void o.readiness.push(r)));
    await sleep(500);
  }
  log(`${name}: starting again`);
  o.restartAt = Date.now();
  await start();
  await Promise.all(answers);
  o.to = Date.now();
  log(`${name}: back after ${((o.to - o.from) / 1000).toFixed(1)} s`);
  return o;
}

const during = (attempts: Attempt[], o: Outage) => attempts.filter((a) => a.at >= o.from && a.at <= o.to);

export async function run(opts: ChaosRunOptions = {}): Promise<ChaosResult> {
  const size = opts.size ?? sizeFromEnv();
  const log = opts.log ?? defaultLog;
  const n = numberFromEnv('CHAOS_N', size === 'full' ? 300 : 40);
  const downMs = numberFromEnv('CHAOS_DOWN_MS', size === 'full' ? 20_000 : 6_000);
  const windowMs = size === 'full' ? 120_000 : 30_000;
  const report = new ChaosReport('restarts', size);
  report.figure('requests', n);
  report.figure('outage length (s)', downMs / 1000);

  const pgDir = mkdtempSync(path.join(tmpdir(), 'chaos-restarts-pg-'));
  // A cluster of the scenario's own, which it may stop and start: the shared server never is.
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(pgDir, 'pgdata') });
  try {
    return await withStack(report, { scenario: 'restarts', run: opts, postgres }, async (stack) => {
      const submissions: Submission[] = Array.from({ length: n }, () => ({ citizen: uniqueCitizen(), key: randomUUID(), attempts: [] }));
      const t0 = Date.now();
      const submitting = paced(submissions, n / (windowMs / 1000), async (s) => {
        await submitUntilAccepted(stack.baseUrl, s, { deadline: t0 + windowMs + 5 * 60_000 });
      });

      await sleep(windowMs * 0.2);
      // Probed during the outages: the status of a request accepted before them.
      const first = submissions.find((s) => s.credentialId)?.attempts.at(-1)?.body;
      if (!first) throw new Error('no request accepted before the first outage');
      const requestId = (JSON.parse(first) as { requestId: string }).requestId;
      // One more citizen every probe: a request made during the outage, retried until accepted.
      const late: Submission[] = [];
      const sending: Promise<unknown>[] = [];
      const oneMore = () => {
        const s: Submission = { citizen: uniqueCitizen(), key: randomUUID(), attempts: [] };
        late.push(s);
        sending.push(submitUntilAccepted(stack.baseUrl, s, { deadline: Date.now() + 5 * 60_000 }));
      };
      const temporalOutage = await outage(stack, 'temporal', downMs, requestId, () => stack.temporal.stop(), () => stack.temporal.start(), log, oneMore);
      await sleep(windowMs * 0.25);
      const pgOutage = await outage(stack, 'postgres', downMs, requestId, () => postgres.stop(), () => postgres.start(), log, oneMore);
      await Promise.all([submitting, ...sending]);
      submissions.push(...late);
      report.figure('requests in all (some sent during the outages)', submissions.length);

      const posts = submissions.flatMap((s) => s.attempts);
      const probes = [...temporalOutage.probes, ...pgOutage.probes];
      report.figure('POST /api/pin-requests answers', statusSummary(posts));
      report.figure('during the Temporal outage: POST', statusSummary(during(posts, temporalOutage)) || '-');
      report.figure('during the Temporal outage: GET /api/pin-requests/:id', statusSummary(temporalOutage.probes));
      report.figure('during the PostgreSQL outage: POST', statusSummary(during(posts, pgOutage)) || '-');
      report.figure('during the PostgreSQL outage: GET /api/pin-requests/:id', statusSummary(pgOutage.probes));
      report.figure('during the PostgreSQL outage: GET /readyz', statusSummary(pgOutage.readiness));

      const postProblems = answerProblems(posts, [200, 202, 429, 503]);
      const probeProblems = answerProblems(probes, [200, 503]);
      const unexpected = [...postProblems.unexpected, ...probeProblems.unexpected];
      report.check(
        'no answer other than 200/202, 429 or 503 — never a 500, never a hang — through both restarts',
        unexpected.length === 0,
        unexpected.slice(0, 3).map((a) => `${a.status} ${a.error ?? ''}`).join('; '),
      );
      const noRetryAfter = [...postProblems.withoutRetryAfter, ...probeProblems.withoutRetryAfter];
      report.check('every 503 carries Retry-After', noRetryAfter.length === 0, `${noRetryAfter.length} without`);
      const pgRefusals = [...during(posts, pgOutage), ...pgOutage.probes].filter((a) => a.status === 503).length;
      const whileDown = (attempts: Attempt[]) => attempts.filter((a) => a.at < pgOutage.restartAt);
      report.check(
        'while PostgreSQL was down the API answered 503',
        pgRefusals > 0 && whileDown(pgOutage.probes).every((a) => a.status === 503),
        `${pgRefusals} answers 503`,
      );
      report.check('while PostgreSQL was down /readyz answered 503', whileDown(pgOutage.readiness).every((a) => a.status === 503));
      // A query waits for Temporal at most the API's deadline (answered 200 if Temporal came back by then, else
      // 503), plus the client's retry back-off in progress when it passes (at most 5 s, with 20 % jitter).
      const deadlineMs = Number(stack.env.API_TEMPORAL_TIMEOUT_MS ?? 10_000);
      const slowest = Math.max(0, ...temporalOutage.probes.map((a) => a.ms));
      report.figure('slowest answer during the Temporal outage (ms)', Math.round(slowest));
      report.check(
        `while Temporal was down a workflow query was answered (200 or 503) within the API's Temporal deadline (${deadlineMs / 1000} s, plus the last retry back-off)`,
        temporalOutage.probes.length > 0 && slowest <= deadlineMs + 7_000,
        `slowest ${Math.round(slowest)} ms`,
      );
      const acceptedWhileTemporalDown = during(posts, temporalOutage).filter((a) => a.status === 202).length;
      report.check('while Temporal was down requests were still accepted', acceptedWhileTemporalDown > 0, `${acceptedWhileTemporalDown} accepted`);

      const accepted = submissions.filter((s) => s.credentialId);
      report.check('every request accepted in the end', accepted.length === submissions.length, `${accepted.length} of ${submissions.length} accepted`);
      const seconds = await waitForIssuance(stack, accepted.map((s) => s.credentialId!), (size === 'full' ? 15 : 5) * 60_000, log);
      report.figure('seconds from the last request to all issued', seconds);
      await verifyIssuances(stack, report, accepted.map((s) => ({ citizen: s.citizen, credentialId: s.credentialId! })));
      report.check(
        'the worker, the API and the Temporal server never crashed',
        stack.worker.unexpectedExits + stack.api.unexpectedExits + stack.temporal.unexpectedExits === 0,
        `worker ${stack.worker.unexpectedExits}, API ${stack.api.unexpectedExits}, Temporal ${stack.temporal.unexpectedExits}`,
      );
    });
  } finally {
    await postgres.destroy().catch(() => undefined);
    if (report.ok && !process.env.CHAOS_KEEP) rmSync(pgDir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) runAsScript(run);
