/** Small helpers shared by the benchmarks. */
import { randomInt } from 'node:crypto';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Pool } from '../lib/db';

/** The p-th percentile of an ascending array. */
export const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
export const fmt = (n: number): string => n.toFixed(1);

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A free loopback port (bound and released), for a child process's listener. */
export { freePort } from '../dev/embedded-postgres';

/**
 * How far the issuance of these credentials has got: letters filed in a mail-room batch, and
 * outbox messages not yet sent. An issuance is complete when its letter is filed and nothing of
 * it is pending (the first half went out on every channel).
 */
export async function issuanceProgress(pool: Pool, credentialIds: string[]): Promise<{ letters: number; pending: number }> {
  const { rows } = await pool.query<{ letters: string; pending: string }>(
    `SELECT (SELECT count(*) FROM letters WHERE credential_id = ANY($1::uuid[]) AND batch_date IS NOT NULL) AS letters,
            (SELECT count(*) FROM outbox WHERE credential_id = ANY($1::uuid[]) AND status <> 'sent') AS pending`,
    [credentialIds],
  );
  return { letters: Number(rows[0]!.letters), pending: Number(rows[0]!.pending) };
}

/** Those of these credentials whose issuance is complete: letter filed, no message of theirs pending. */
export async function completedIssuances(pool: Pool, credentialIds: string[]): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT c.id::text FROM credentials c
      WHERE c.id = ANY($1::uuid[])
        AND EXISTS (SELECT 1 FROM letters l WHERE l.credential_id = c.id AND l.batch_date IS NOT NULL)
        AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.credential_id = c.id AND o.status <> 'sent')`,
    [credentialIds],
  );
  return rows.map((r) => r.id);
}

/** Why a run cannot progress: a workflow task or an activity that keeps failing. */
export class StalledError extends Error {}

/**
 * What stops the sampled workflows from progressing, if anything: a failed workflow task in
 * the history (bad search attributes, non-determinism, a bug in workflow code), or an activity
 * retrying for the third time or more. `undefined` when nothing is wrong with them.
 */
export async function stallCause(client: Client, workflowIds: string[]): Promise<string | undefined> {
  for (const id of workflowIds) {
    const handle = client.workflow.getHandle(id);
    const history = await handle.fetchHistory().catch(() => undefined);
    const failed = history?.events?.find((e) => e.workflowTaskFailedEventAttributes);
    if (failed) {
      const a = failed.workflowTaskFailedEventAttributes!;
      return `workflow ${id}: a workflow task failed (cause ${a.cause ?? '?'}): ${a.failure?.message ?? 'no message'}`;
    }
    const described = await handle.describe().catch(() => undefined);
    for (const activity of described?.raw.pendingActivities ?? []) {
      if ((activity.attempt ?? 0) >= 3 && activity.lastFailure)
        return `workflow ${id}: activity ${activity.activityType?.name ?? '?'} failing (attempt ${activity.attempt}): ${activity.lastFailure.message ?? ''}`;
    }
  }
  return undefined;
}

/**
 * Waits until `progress` reports everything done. Fails fast, with what is wrong, when sampled
 * workflows are stuck on a failing workflow task or activity, or when nothing moved for
 * `stallMs`, instead of waiting out `timeoutMs`.
 */
export async function waitForWorkflows(opts: {
  label: string;
  client: Client;
  workflowIds: string[];
  progress: () => Promise<{ done: number; total: number; note?: string }>;
  stallMs?: number;
  timeoutMs?: number;
  log?: (line: string) => void;
}): Promise<void> {
  const stallMs = opts.stallMs ?? 120_000;
  const until = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
  let last = -1;
  let lastMove = Date.now();
  let lastProbe = 0;
  let lastLog = Date.now();
  for (;;) {
    const p = await opts.progress();
    if (p.done >= p.total) return;
    if (p.done !== last) {
      last = p.done;
      lastMove = Date.now();
    }
    const describe = () => `${opts.label}: ${p.done}/${p.total} done${p.note ? `, ${p.note}` : ''}`;
    if (opts.log && Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      opts.log(describe());
    }
    if (Date.now() - lastProbe > 3_000) {
      lastProbe = Date.now();
      const sample = Array.from({ length: Math.min(3, opts.workflowIds.length) }, () => opts.workflowIds[randomInt(opts.workflowIds.length)]!);
      const cause = await stallCause(opts.client, sample);
      if (cause) throw new StalledError(`${describe()}; stopped: ${cause}`);
    }
    if (Date.now() - lastMove > stallMs) throw new StalledError(`${describe()}; nothing moved for ${stallMs / 1000} s`);
    if (Date.now() > until) throw new StalledError(`${describe()}; not finished in time`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Waits until `workers` workers (distinct identities) poll `taskQueue` for both workflow and
 * activity tasks: a worker still starting (compiling, bundling) would otherwise eat the cores
 * while the measurement runs.
 */
export async function waitForPollers(client: Client, taskQueue: string, timeoutMs = 120_000, workers = 1): Promise<void> {
  const { TaskQueueType } = proto.temporal.api.enums.v1;
  const kinds = [TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY];
  await waitUntil(async () => {
    for (const taskQueueType of kinds) {
      const { pollers } = await client.workflowService.describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name: taskQueue }, taskQueueType });
      if (new Set((pollers ?? []).map((p) => p.identity)).size < workers) return false;
    }
    return true;
  }, timeoutMs);
}

/** Clean-up steps run once, in reverse order, whether the program ends well or fails. */
export class Cleanup {
  private readonly steps: (() => Promise<unknown>)[] = [];
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step().catch((err: unknown) => console.error('clean-up step failed:', err));
  }
}
