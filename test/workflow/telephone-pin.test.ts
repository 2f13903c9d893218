/**
 * The telephone-PIN workflow on the time-skipping test server, with the real validities (1 day,
 * 7 days, 30 days, 90 days): each expires exactly when its timer says and not a second before;
 * a revocation or a lock ends it early and no expiry follows. Activities are recording fakes.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context } from '@temporalio/activity';
import { msToNumber } from '@temporalio/common/lib/time';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import type { createActivities } from '../../activities';
import {
  TELEPHONE_PIN_VALIDITY,
  revokeTelephonePinUpdate,
  telephonePinLockedSignal,
  telephonePinStateQuery,
  telephonePinWorkflowId,
  type TelephonePinValidity,
  type TelephonePinWorkflowInput,
} from '../../workflows/telephone-pin-definitions';
import { telephonePinWorkflow } from '../../workflows/telephone-pin';
import { saveHistory } from '../support/histories';
import { createTimeSkippingEnv, withTimeSkippingWorker } from '../support/time-skipping';

type Activities = ReturnType<typeof createActivities>;
const DAY = 24 * 3600 * 1000;
/** The validities written out here, independently of the map the code uses. */
const REAL_DURATION: Record<TelephonePinValidity, number> = { '1d': DAY, '1w': 7 * DAY, '1m': 30 * DAY, '3m': 90 * DAY };

let env: TestWorkflowEnvironment;
/** Each call with the server's (skipped) time at which it was scheduled. */
const calls: { name: string; at: number; args: { telephonePinId: string } & Record<string, unknown> }[] = [];

function fakeActivities(): Partial<Activities> {
  const record = (name: string, args: { telephonePinId: string }) => {
    const at = Context.current().info.currentAttemptScheduledTimestampMs;
    calls.push({ name, at, args });
    return new Date(at).toISOString();
  };
  return {
    async expireTelephonePin(a) {
      return { status: 'expired', endedAt: record('expireTelephonePin', a) };
    },
    async revokeTelephonePin(a) {
      return { status: 'revoked', endedAt: record('revokeTelephonePin', a) };
    },
  };
}

const started: WorkflowHandle[] = [];

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

function withWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  return withTimeSkippingWorker(env, { prefix: 'telpin', activities: fakeActivities(), started }, fn);
}

async function startTelephonePin(taskQueue: string, validity: TelephonePinValidity) {
  const input: TelephonePinWorkflowInput = { telephonePinId: randomUUID(), validity };
  const handle = await env.client.workflow.start(telephonePinWorkflow, {
    workflowId: telephonePinWorkflowId(input.telephonePinId),
    taskQueue,
    args: [input],
  });
  started.push(handle);
  // The first query runs the first workflow task, which sets the timer and the expiry.
  const view = await handle.query(telephonePinStateQuery);
  const startedAt = (await handle.describe()).startTime.getTime();
  return { handle, id: input.telephonePinId, view, startedAt, expiresAt: Date.parse(view.expiresAt) };
}

const callsFor = (name: string, id: string) => calls.filter((c) => c.name === name && c.args.telephonePinId === id);

describe('telephone PIN validity', () => {
  it('maps each validity to its real duration', () => {
    for (const [validity, ms] of Object.entries(REAL_DURATION)) {
      expect(msToNumber(TELEPHONE_PIN_VALIDITY[validity as TelephonePinValidity])).toBe(ms);
    }
  });

  it.each(Object.keys(REAL_DURATION) as TelephonePinValidity[])('a %s PIN expires exactly at the end of its validity, not before', async (validity) => {
    await withWorker(async (taskQueue) => {
      const { handle, id, view, startedAt, expiresAt } = await startTelephonePin(taskQueue, validity);
      expect(view).toMatchObject({ telephonePinId: id, validity, state: 'active' });
      // Counted from the start of the run (its first task, at most moments after the start).
      expect(expiresAt - startedAt).toBeGreaterThanOrEqual(REAL_DURATION[validity]);
      expect(expiresAt - startedAt).toBeLessThan(REAL_DURATION[validity] + 5_000);

      // One second before the end: still active, no expiry.
      await env.sleep(expiresAt - (await env.currentTimeMs()) - 1_000);
      expect((await handle.query(telephonePinStateQuery)).state).toBe('active');
      expect(callsFor('expireTelephonePin', id)).toHaveLength(0);

      const result = await handle.result();
      expect(result.state).toBe('expired');
      const expiry = callsFor('expireTelephonePin', id);
      expect(expiry).toHaveLength(1);
      expect(expiry[0]!.at).toBeGreaterThanOrEqual(expiresAt);
      expect(expiry[0]!.at - expiresAt).toBeLessThan(1_000);
      expect(result.endedAt).toBe(new Date(expiry[0]!.at).toISOString());
      expect(callsFor('revokeTelephonePin', id)).toHaveLength(0);
      await saveHistory(`telephone-pin-expired-${validity}`, handle);
    });
  });
});

describe('telephone PIN early end', () => {
  it('ends when the citizen revokes it, and never expires afterwards', async () => {
    await withWorker(async (taskQueue) => {
      const { handle, id, startedAt } = await startTelephonePin(taskQueue, '3m');
      await env.sleep(10 * DAY);
      const view = await handle.executeUpdate(revokeTelephonePinUpdate, { args: [{ revokedBy: 'citizen', assertionId: 'jti-test-1' }] });
      expect(view.state).toBe('revoked');
      const revocations = callsFor('revokeTelephonePin', id);
      expect(revocations).toHaveLength(1);
      expect(revocations[0]!.args).toMatchObject({ revokedBy: 'citizen', assertionId: 'jti-test-1' });
      expect(revocations[0]!.at - startedAt).toBeGreaterThanOrEqual(10 * DAY);
      expect(revocations[0]!.at - startedAt).toBeLessThan(11 * DAY);

      const result = await handle.result();
      expect(result.state).toBe('revoked');
      expect((await handle.describe()).status.name).toBe('COMPLETED');
      expect(callsFor('expireTelephonePin', id)).toHaveLength(0);
      await saveHistory('telephone-pin-revoked', handle);
    });
  });

  it('refuses a second revocation of the same PIN and revokes once', async () => {
    await withWorker(async (taskQueue) => {
      const { handle, id } = await startTelephonePin(taskQueue, '1w');
      const revoke = () => handle.executeUpdate(revokeTelephonePinUpdate, { args: [{ revokedBy: 'citizen' }] });
      const outcomes = await Promise.allSettled([revoke(), revoke()]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
      expect((await handle.result()).state).toBe('revoked');
      expect(callsFor('revokeTelephonePin', id)).toHaveLength(1);
    });
  });

  it('refuses a revocation without its author', async () => {
    await withWorker(async (taskQueue) => {
      const { handle, id } = await startTelephonePin(taskQueue, '1d');
      await expect(handle.executeUpdate(revokeTelephonePinUpdate, { args: [{ revokedBy: '' }] })).rejects.toThrow();
      expect((await handle.query(telephonePinStateQuery)).state).toBe('active');
      expect(callsFor('revokeTelephonePin', id)).toHaveLength(0);
    });
  });

  it('stops waiting when verification locked the PIN: no expiry, no revocation', async () => {
    await withWorker(async (taskQueue) => {
      const { handle, id } = await startTelephonePin(taskQueue, '1m');
      await env.sleep(2 * DAY);
      await handle.signal(telephonePinLockedSignal);
      const result = await handle.result();
      expect(result.state).toBe('locked');
      expect(callsFor('expireTelephonePin', id)).toHaveLength(0);
      expect(callsFor('revokeTelephonePin', id)).toHaveLength(0);
    });
  });
});
