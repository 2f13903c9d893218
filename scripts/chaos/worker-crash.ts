/**
 * `npm run chaos:worker-crash` — the worker is killed with SIGKILL five times while issuances are
 * in flight. Every issuance must still complete, exactly once: one credential, one letter, one
 * first-half message per channel (an e-mail sent twice because the crash came between the send and
 * its bookkeeping must carry its twin's Message-ID; those duplicates are counted).
 *
 *   npm run chaos:worker-crash                     # small: 60 issuances (CI)
 *   CHAOS_SIZE=full npm run chaos:worker-crash     # full: 500 issuances
 *   CHAOS_N=200 CHAOS_KILLS=8 npm run chaos:worker-crash
 */
import { randomInt, randomUUID } from 'node:crypto';
import { completedIssuances, issuanceProgress } from '../../bench/support';
import type { Pool } from '../../lib/db';
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
  type ChaosResult,
  type ChaosRunOptions,
  type Submission,
} from './harness';

export async function run(opts: ChaosRunOptions = {}): Promise<ChaosResult> {
  const size = opts.size ?? sizeFromEnv();
  const log = opts.log ?? defaultLog;
  const n = numberFromEnv('CHAOS_N', size === 'full' ? 500 : 60);
  const kills = numberFromEnv('CHAOS_KILLS', 5);
  // How long the worker lives between kills once it polls: long enough to take work, short enough to die mid-way.
  const lifeMs = size === 'full' ? 12_000 : 5_000;
  const report = new ChaosReport('worker-crash', size);
  report.figure('issuances', n);

  return withStack(report, { scenario: 'worker-crash', run: opts }, async (stack) => {
    const submissions: Submission[] = Array.from({ length: n }, () => ({ citizen: uniqueCitizen(), key: randomUUID(), attempts: [] }));
    // Requests arrive over the whole kill window, so every kill finds issuances at every stage.
    const windowMs = kills * (lifeMs + 3_000);
    const t0 = performance.now();
    const submitting = paced(submissions, n / (windowMs / 1000), async (s) => {
      await submitUntilAccepted(stack.baseUrl, s, { deadline: Date.now() + 120_000 });
    });

    const inFlightAtKill: number[] = [];
    const pendingAtKill: number[] = [];
    // The crash tail: from each kill until the last issuance that was unfinished at that kill completes.
    const completion = trackCompletion(stack.pool, () => submissions.filter((s) => s.credentialId).map((s) => s.credentialId!));
    const killed: { at: number; unfinished: string[] }[] = [];
    for (let k = 0; k < kills; k++) {
      await sleep(lifeMs / 2 + randomInt(lifeMs / 2));
      const accepted = submissions.filter((s) => s.credentialId).map((s) => s.credentialId!);
      const { letters, pending } = await issuanceProgress(stack.pool, accepted);
      killed.push({ at: performance.now(), unfinished: await completion.unfinished(accepted) });
      await stack.worker.kill9();
      const unfinished = accepted.length - letters;
      inFlightAtKill.push(Math.max(unfinished, 0));
      pendingAtKill.push(pending);
      log(`kill -9 #${k + 1}: ${accepted.length} accepted, ${letters} letters filed, ${pending} messages pending`);
      await stack.startWorker();
    }
    await submitting;

    // The crash tail, measured cleanly: a burst being issued, one more kill, no other after it.
    const burst: Submission[] = Array.from({ length: size === 'full' ? 40 : 12 }, () => ({ citizen: uniqueCitizen(), key: randomUUID(), attempts: [] }));
    submissions.push(...burst);
    report.figure('issuances', `${n} + ${burst.length} in the tail probe`);
    await Promise.all(burst.map((s) => submitUntilAccepted(stack.baseUrl, s, { deadline: Date.now() + 120_000 })));
    await sleep(1_000);
    const burstIds = burst.filter((s) => s.credentialId).map((s) => s.credentialId!);
    const lastKill = { at: performance.now(), unfinished: await completion.unfinished(burstIds) };
    await stack.worker.kill9();
    const workerDown = performance.now();
    log(`kill -9 (tail probe): ${lastKill.unfinished.length} of ${burstIds.length} issuances unfinished`);
    await stack.startWorker();
    report.figure('worker restart after kill -9 until it polls (s)', (performance.now() - workerDown) / 1000);

    const accepted = submissions.filter((s) => s.credentialId);
    const attempts = submissions.flatMap((s) => s.attempts);
    report.figure('worker kills (SIGKILL)', kills + 1);
    report.figure('issuances without a filed letter at each kill', inFlightAtKill.join(', '));
    report.figure('messages not yet sent at each kill', pendingAtKill.join(', '));
    report.figure('API answers', statusSummary(attempts));
    const { unexpected } = answerProblems(attempts, [200, 202, 429, 503]);
    report.check(`all ${submissions.length} requests accepted`, accepted.length === submissions.length, `${accepted.length} accepted${unexpected.length ? '; ' : ''}${unexpected.slice(0, 2).map((a) => `${a.status} ${a.error ?? ''}`).join('; ')}`);

    const seconds = await waitForIssuance(stack, accepted.map((s) => s.credentialId!), (size === 'full' ? 15 : 5) * 60_000, log);
    report.figure('seconds after the last request until all complete', seconds);
    await completion.stop();
    const tails = killed.map((k) => completion.tailAfter(k.at, k.unfinished));
    const tail = completion.tailAfter(lastKill.at, lastKill.unfinished);
    // Earlier tails may include the next kill; the probe's is the crash's own cost (target 15 s).
    report.figure('seconds from each kill to the last issuance it interrupted', tails.map((t) => (t === undefined ? '-' : t.toFixed(1))).join(', '));
    report.figure(
      'crash tail: kill -9 of a busy worker to its last interrupted issuance (s)',
      `${tail === undefined ? '-' : tail.toFixed(1)} (${lastKill.unfinished.length} unfinished at the kill; target 15)`,
    );
    report.figure('seconds in all', (performance.now() - t0) / 1000);
    await verifyIssuances(stack, report, accepted.map((s) => ({ citizen: s.citizen, credentialId: s.credentialId! })));
    report.check('the API did not crash', stack.api.unexpectedExits === 0, `${stack.api.unexpectedExits} unexpected exits`);
  });
}

/**
 * Watches when each credential's issuance completes (letter filed, no message pending), four
 * times a second, so the time from a kill to the completion of what it interrupted can be told.
 */
function trackCompletion(pool: Pool, ids: () => string[]) {
  const completedAt = new Map<string, number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const open = ids().filter((id) => !completedAt.has(id));
      if (open.length) for (const id of await completedIssuances(pool, open).catch(() => [])) completedAt.set(id, performance.now());
      await sleep(250);
    }
  })();
  return {
    async unfinished(accepted: string[]): Promise<string[]> {
      const done = new Set(await completedIssuances(pool, accepted));
      return accepted.filter((id) => !done.has(id));
    },
    /** Seconds from `at` until the last of `ids` completed; undefined if one never did. */
    tailAfter(at: number, unfinished: string[]): number | undefined {
      if (unfinished.length === 0) return 0;
      const times = unfinished.map((id) => completedAt.get(id));
      if (times.some((t) => t === undefined)) return undefined;
      return (Math.max(...(times as number[])) - at) / 1000;
    },
    /** Stops watching after one last look. */
    async stop(): Promise<void> {
      stopped = true;
      await loop;
      const open = ids().filter((id) => !completedAt.has(id));
      if (open.length) for (const id of await completedIssuances(pool, open)) completedAt.set(id, performance.now());
    },
  };
}

if (isMain(import.meta.url)) runAsScript(run);
