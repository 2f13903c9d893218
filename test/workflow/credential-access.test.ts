/**
 * The personal PIN's life on the time-skipping server with the real durations: first access,
 * reminder 14 days before expiry, expiry after 6 months (3 for an intermediary), guided
 * regeneration keeping the PIN type, each cycle continued as new.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import type { createActivities } from '../../activities';
import {
  completeFirstAccessUpdate,
  credentialStateQuery,
  DEFAULT_ISSUANCE_POLICY,
  letterDispatchedSignal,
  regeneratePinUpdate,
  type CredentialWorkflowInput,
} from '../../workflows/definitions';
import { pinCredentialWorkflow } from '../../workflows/credential';
import { saveHistory } from '../support/histories';
import { createTimeSkippingEnv, updateRefusal, withTimeSkippingWorker } from '../support/time-skipping';

type Activities = ReturnType<typeof createActivities>;
const DAY = 24 * 3600 * 1000;

let env: TestWorkflowEnvironment;
const calls: { name: string; credentialId: string; at: number; args: unknown }[] = [];
/** Credentials whose holder is an institutional intermediary (3-month PINs). */
const intermediaries = new Set<string>();
const started: WorkflowHandle[] = [];

/** Adds calendar months the way PostgreSQL's `make_interval(months => n)` does. */
function plusMonths(ms: number, months: number): number {
  const d = new Date(ms);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.getTime();
}

function fakes(): Partial<Activities> {
  // Activities run in real time; the test server's (skipped) time is the scheduling time.
  const serverNow = () => Context.current().info.currentAttemptScheduledTimestampMs;
  const record = (name: string, args: { credentialId?: string }) =>
    calls.push({ name, credentialId: args.credentialId ?? '', at: serverNow(), args });
  return {
    prepareIssuance: async (a) => (record('prepareIssuance', a), { channels: ['email'], addressMismatch: false }),
    issueInitialPin: async (a) => (record('issueInitialPin', a), { pinVersion: 1, firstHalf: [{ outboxId: 'o1', channel: 'email' }], letterId: 'l1' }),
    deliverNotification: async () => ({ channel: 'email', messageId: '<m>' }),
    queueLetter: async () => ({ batchDate: '2026-01-01' }),
    enqueueReminder: async (a) => (record('enqueueReminder', a), { outboxIds: [] }),
    expireInitialPin: async (a) => void record('expireInitialPin', a),
    activatePersonalPin: async (a) => {
      record('activatePersonalPin', a);
      const months = intermediaries.has(a.credentialId) ? a.intermediaryMonths : a.citizenMonths;
      return { pinExpiresAt: new Date(plusMonths(serverNow(), months)).toISOString() };
    },
    enqueueExpiryReminder: async (a) => (record('enqueueExpiryReminder', a), { outboxIds: ['r1'] }),
    expirePersonalPin: async (a) => void record('expirePersonalPin', a),
  };
}

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

function withWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  return withTimeSkippingWorker(env, { prefix: 'wf-access', activities: fakes(), started }, fn);
}

/** Issues a credential and completes its first access; returns the handle and activation time. */
async function activeCredential(taskQueue: string, opts: { intermediary?: boolean } = {}) {
  const credentialId = randomUUID();
  if (opts.intermediary) intermediaries.add(credentialId);
  const input: CredentialWorkflowInput = { credentialId, policy: DEFAULT_ISSUANCE_POLICY };
  const handle = await env.client.workflow.start(pinCredentialWorkflow, { workflowId: `pin-${credentialId}`, taskQueue, args: [input] });
  started.push(handle);
  for (let i = 0; i < 200; i++) {
    if ((await handle.query(credentialStateQuery)).state === 'awaiting_letter_dispatch') break;
    await new Promise((r) => setTimeout(r, 25));
  }
  await handle.signal(letterDispatchedSignal, { letterId: 'l1', dispatchedAt: new Date(await env.currentTimeMs()).toISOString() });
  await env.sleep(3 * DAY);
  const activatedAt = await env.currentTimeMs();
  const { pinExpiresAt } = await handle.executeUpdate(completeFirstAccessUpdate, { args: [{ pinVersion: 2 }] });
  return { handle, credentialId, activatedAt, pinExpiresAt };
}

/** The activity's clock is the scheduling time, a few ms after the test read the server's clock. */
function expectSameInstant(iso: string, ms: number): void {
  expect(Math.abs(Date.parse(iso) - ms)).toBeLessThan(1_000);
}

const callsOf = (name: string, credentialId: string) => calls.filter((c) => c.name === name && c.credentialId === credentialId);

const refusal = updateRefusal;

describe('personal PIN life', () => {
  it("expires a citizen's PIN after 6 months, with a reminder 14 days before, and regenerates it keeping its type", async () => {
    await withWorker(async (taskQueue) => {
      const { handle, credentialId, activatedAt, pinExpiresAt } = await activeCredential(taskQueue);
      expectSameInstant(pinExpiresAt, plusMonths(activatedAt, 6));
      let view = await handle.query(credentialStateQuery);
      expect(view.state).toBe('active');
      expect(view.cycle).toBe(1);

      // The initial PIN can no longer be used for a first access.
      expect(await refusal(handle.executeUpdate(completeFirstAccessUpdate, { args: [{ pinVersion: 3 }] }))).toBe('NOT_ALLOWED_NOW');
      // Nor can an active PIN be "regenerated".
      expect(await refusal(handle.executeUpdate(regeneratePinUpdate, { args: [{ pinVersion: 3 }] }))).toBe('NOT_ALLOWED_NOW');

      const expiry = Date.parse(pinExpiresAt);
      await env.sleep(expiry - 15 * DAY - (await env.currentTimeMs()));
      expect(callsOf('enqueueExpiryReminder', credentialId)).toHaveLength(0);
      await env.sleep(DAY + 60_000);
      const reminders = callsOf('enqueueExpiryReminder', credentialId);
      expect(reminders).toHaveLength(1);
      expect(reminders[0]!.at).toBeGreaterThanOrEqual(expiry - 14 * DAY);
      expect(reminders[0]!.at).toBeLessThan(expiry - 14 * DAY + 60_000);

      await env.sleep(13 * DAY);
      expect((await handle.query(credentialStateQuery)).state).toBe('active');
      await env.sleep(DAY);
      view = await handle.query(credentialStateQuery);
      expect(view.state).toBe('pin_expired');
      const expired = callsOf('expirePersonalPin', credentialId);
      expect(expired).toHaveLength(1);
      expect(expired[0]!.at).toBeGreaterThanOrEqual(expiry);

      // Months later the holder comes back: the guided regeneration starts a new cycle.
      await env.sleep(40 * DAY);
      expect(await refusal(handle.executeUpdate(regeneratePinUpdate, { args: [{ pinVersion: 2 }] }))).toBe('STALE_VERSION');
      const regeneratedAt = await env.currentTimeMs();
      const { pinExpiresAt: next } = await handle.executeUpdate(regeneratePinUpdate, { args: [{ pinVersion: 3 }] });
      expectSameInstant(next, plusMonths(regeneratedAt, 6));

      // The next cycle is a new run of the same workflow (continue-as-new), in state active.
      const latest = env.client.workflow.getHandle(handle.workflowId);
      let nextView = await latest.query(credentialStateQuery);
      for (let i = 0; i < 100 && nextView.cycle !== 2; i++) {
        await new Promise((r) => setTimeout(r, 25));
        nextView = await latest.query(credentialStateQuery);
      }
      expect(nextView).toMatchObject({ state: 'active', pinVersion: 3, pinType: 'ordinary', cycle: 2, pinExpiresAt: next });
      expect((await latest.describe()).runId).not.toBe(handle.firstExecutionRunId);
      started.push(latest);
      await saveHistory('credential-first-access-expiry-regeneration', env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId));
      await saveHistory('credential-second-cycle', latest);
    });
  });

  it("expires an intermediary's PIN after 3 months", async () => {
    await withWorker(async (taskQueue) => {
      const { handle, credentialId, activatedAt, pinExpiresAt } = await activeCredential(taskQueue, { intermediary: true });
      expectSameInstant(pinExpiresAt, plusMonths(activatedAt, 3));
      await env.sleep(Date.parse(pinExpiresAt) - (await env.currentTimeMs()) - 60_000);
      expect((await handle.query(credentialStateQuery)).state).toBe('active');
      expect(callsOf('enqueueExpiryReminder', credentialId)).toHaveLength(1);
      await env.sleep(2 * 60_000);
      expect((await handle.query(credentialStateQuery)).state).toBe('pin_expired');
      expect(callsOf('expirePersonalPin', credentialId)).toHaveLength(1);
    });
  });

  it('accepts the first access before the letter is recorded as dispatched, and never expires the initial PIN after it', async () => {
    await withWorker(async (taskQueue) => {
      const credentialId = randomUUID();
      const input: CredentialWorkflowInput = { credentialId, policy: DEFAULT_ISSUANCE_POLICY };
      const handle = await env.client.workflow.start(pinCredentialWorkflow, { workflowId: `pin-${credentialId}`, taskQueue, args: [input] });
      started.push(handle);
      for (let i = 0; i < 200 && (await handle.query(credentialStateQuery)).state !== 'awaiting_letter_dispatch'; i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      await handle.executeUpdate(completeFirstAccessUpdate, { args: [{ pinVersion: 2 }] });
      await env.sleep(70 * DAY);
      expect((await handle.query(credentialStateQuery)).state).toBe('active');
      expect(callsOf('expireInitialPin', credentialId)).toHaveLength(0);
    });
  });
});
