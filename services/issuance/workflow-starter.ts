/**
 * Starts the workflows of accepted requests. Accepting a request is one PostgreSQL transaction;
 * this loop then claims accepted credentials with a short lease (`FOR UPDATE SKIP LOCKED` inside
 * one statement, so several API instances share the work and no transaction stays open while
 * Temporal is called) and starts their workflows with bounded concurrency, at the pace Temporal
 * absorbs. A surge is therefore queued durably instead of failing, and a crash between
 * accepting and starting loses nothing: the row is still unstarted and the next pass starts it.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Pool } from '../../lib/db';
import type { Logger } from '../../lib/logger';
import { CREDENTIAL_WORKFLOW_TYPE, credentialWorkflowId, type AccessPolicy, type CredentialWorkflowInput, type IssuancePolicy } from '../../workflows/definitions';
import type { pinCredentialWorkflow } from '../../workflows/credential';

export interface WorkflowStarterDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  policy: IssuancePolicy;
  /** Absent: the workflow's defaults (6 and 3 calendar months). */
  access?: AccessPolicy;
  log: Logger;
  /** Rows claimed per transaction, and started concurrently. */
  batchSize?: number;
  /** Idle poll period; `kick()` wakes the loop at once after an accept. */
  pollMs?: number;
  /**
   * True while the API is answering requests. Starting workflows makes Temporal and the worker
   * busy on the same machine, so during a burst the starter waits (at most `maxDeferMs`) and
   * accepting comes first; what was accepted is started right after.
   */
  busy?: () => boolean;
  maxDeferMs?: number;
}

export interface WorkflowStarter {
  kick(): void;
  /** Starts what is pending now; resolves with how many were started. */
  drainOnce(): Promise<number>;
  stop(): Promise<void>;
}

/** How long a claim keeps other starters off a credential (a start takes milliseconds). */
const LEASE_SECONDS = 30;

async function startCredentialWorkflow(deps: Pick<WorkflowStarterDeps, 'temporal' | 'taskQueue' | 'policy' | 'access'>, credentialId: string): Promise<void> {
  const input: CredentialWorkflowInput = { credentialId, policy: deps.policy, ...(deps.access ? { access: deps.access } : {}) };
  try {
    await deps.temporal.workflow.start<typeof pinCredentialWorkflow>(CREDENTIAL_WORKFLOW_TYPE, {
      workflowId: credentialWorkflowId(credentialId),
      taskQueue: deps.taskQueue,
      args: [input],
    });
  } catch (err) {
    // Started by an earlier pass that crashed before recording it: that is the goal anyway.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

export function createWorkflowStarter(deps: WorkflowStarterDeps): WorkflowStarter {
  const batchSize = deps.batchSize ?? 32;
  const pollMs = deps.pollMs ?? 1_000;
  const maxDeferMs = deps.maxDeferMs ?? 5_000;

  /** Waits while the API is busy, but never longer than `maxDeferMs`. */
  async function yieldToRequests(): Promise<void> {
    const until = Date.now() + maxDeferMs;
    while (!stopped && deps.busy?.() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }
  let stopped = false;
  let wake: (() => void) | undefined;
  let failures = 0;

  async function drainOnce(): Promise<number> {
    // Claim: one statement, its own short transaction; no lock is held while Temporal is called.
    const { rows } = await deps.pool.query<{ id: string }>(
      `UPDATE credentials SET workflow_start_lease_until = now() + make_interval(secs => $2::int)
        WHERE id IN (SELECT id FROM credentials
                      WHERE workflow_started_at IS NULL AND (workflow_start_lease_until IS NULL OR workflow_start_lease_until < now())
                      ORDER BY created_at LIMIT $1::int FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [batchSize, LEASE_SECONDS],
    );
    if (rows.length === 0) return 0;
    // Starting is idempotent by workflow id, so a lease that ran out and a second starter are harmless.
    const results = await Promise.allSettled(rows.map((r) => startCredentialWorkflow(deps, r.id)));
    const started = rows.filter((_, i) => results[i]!.status === 'fulfilled').map((r) => r.id);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) deps.log.warn({ err: failed.reason, failed: rows.length - started.length }, 'some workflow starts failed; will retry');
    // Recorded, and the leases of the failures given back for the next pass.
    await deps.pool.query(
      `UPDATE credentials SET workflow_started_at = CASE WHEN id = ANY($1::uuid[]) THEN now() ELSE workflow_started_at END, workflow_start_lease_until = NULL
        WHERE id = ANY($2::uuid[])`,
      [started, rows.map((r) => r.id)],
    );
    return started.length;
  }

  const loop = (async () => {
    while (!stopped) {
      let started = 0;
      try {
        await yieldToRequests();
        started = await drainOnce();
        failures = 0;
      } catch (err) {
        failures++;
        deps.log.warn({ err }, 'workflow starter pass failed');
      }
      if (started > 0 && !stopped) continue; // more may be waiting
      const delay = failures ? Math.min(30_000, pollMs * 2 ** failures) : pollMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  })();

  return {
    kick: () => wake?.(),
    drainOnce,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
