/**
 * The credential workflow's issuance path on the time-skipping test server, with the real
 * default durations (15-day reminder, 60-day deadline, 4 letters in 30 days, 1 per 24 hours).
 * Activities are recording fakes: these tests are about the workflow's timing and decisions.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { createActivities } from '../../activities';
import {
  credentialStateQuery,
  DEFAULT_ISSUANCE_POLICY,
  letterDispatchedSignal,
  letterReturnedUpdate,
  requestNewLetterUpdate,
  type CredentialWorkflowInput,
  type IssuancePolicy,
} from '../../workflows/definitions';
import { pinCredentialWorkflow } from '../../workflows/credential';
import { saveHistory } from '../support/histories';
import { createTimeSkippingEnv, withTimeSkippingWorker } from '../support/time-skipping';

type Activities = ReturnType<typeof createActivities>;
const DAY = 24 * 3600 * 1000;

let env: TestWorkflowEnvironment;
const calls: { name: string; at: number; args: unknown }[] = [];
/** Credentials whose deliveries fail (an SMTP outage) until removed from the set. */
const deliveryDown = new Set<string>();

function fakeActivities(): Partial<Activities> {
  const record = (name: string, args: unknown) => calls.push({ name, at: Date.now(), args });
  let letterSeq = 0;
  return {
    async prepareIssuance(a) {
      record('prepareIssuance', a);
      return { channels: ['sms', 'email'], addressMismatch: false };
    },
    async issueInitialPin(a) {
      record('issueInitialPin', a);
      return {
        pinVersion: 1,
        firstHalf: [
          { outboxId: `sms:${a.credentialId}`, channel: 'sms' },
          { outboxId: `email:${a.credentialId}`, channel: 'email' },
        ],
        letterId: 'letter-1',
      };
    },
    async deliverNotification(a) {
      record('deliverNotification', a);
      if (deliveryDown.has(a.outboxId.split(':')[1]!)) throw new Error('SMTP endpoint down');
      return { channel: 'x', messageId: '<x>' };
    },
    async queueLetter(a) {
      record('queueLetter', a);
      return { batchDate: '2026-01-01' };
    },
    async createResendLetter(a) {
      record('createResendLetter', a);
      letterSeq++;
      return { letterId: `resend-${letterSeq}` };
    },
    async enqueueReminder(a) {
      record('enqueueReminder', a);
      return { outboxIds: ['r-sms', 'r-email'] };
    },
    async expireInitialPin(a) {
      record('expireInitialPin', a);
    },
    async raiseAlert(a) {
      record('raiseAlert', a);
    },
    async voidPostedHalf(a) {
      record('voidPostedHalf', a);
      return { voidedLetterIds: [] };
    },
  };
}

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

function withWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  return withTimeSkippingWorker(env, { prefix: 'wf', activities: fakeActivities(), started }, fn);
}

const started: { terminate(reason: string): Promise<unknown> }[] = [];

async function startCredential(taskQueue: string, policy: Partial<IssuancePolicy> = {}, credentialId = randomUUID()) {
  const input: CredentialWorkflowInput = { credentialId, policy: { ...DEFAULT_ISSUANCE_POLICY, ...policy } };
  const handle = await env.client.workflow.start(pinCredentialWorkflow, {
    workflowId: `pin-${input.credentialId}`,
    taskQueue,
    args: [input],
  });
  started.push(handle);
  // Wait (in real time; the server does not skip while we poll) for the letter to be queued.
  for (let i = 0; i < 100; i++) {
    const view = await handle.query(credentialStateQuery);
    if (view.state === 'awaiting_letter_dispatch') return handle;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('workflow did not reach awaiting_letter_dispatch');
}

const countOf = (name: string, credentialArg?: (a: unknown) => boolean) =>
  calls.filter((c) => c.name === name && (!credentialArg || credentialArg(c.args))).length;

describe('initial issuance', () => {
  it('sends the first half per channel, reminds at day 15 and expires the unused PIN at day 60', async () => {
    await withWorker(async (taskQueue) => {
      const handle = await startCredential(taskQueue);
      const mine = (a: unknown) => (a as { credentialId?: string }).credentialId === handle.workflowId.slice(4);
      expect(countOf('issueInitialPin', mine)).toBe(1);

      const dispatchedAt = await env.currentTimeMs();
      await handle.signal(letterDispatchedSignal, { letterId: 'letter-1', dispatchedAt: new Date(dispatchedAt).toISOString() });

      await env.sleep(14 * DAY);
      let view = await handle.query(credentialStateQuery);
      expect(view.state).toBe('awaiting_first_access');
      expect(view.reminderSent).toBe(false);
      expect(view.firstHalf.map((f) => [f.channel, f.state])).toEqual([
        ['sms', 'sent'],
        ['email', 'sent'],
      ]);

      await env.sleep(1 * DAY + 60_000);
      view = await handle.query(credentialStateQuery);
      expect(view.reminderSent).toBe(true);
      expect(countOf('enqueueReminder', mine)).toBe(1);
      expect(view.state).toBe('awaiting_first_access');

      await env.sleep(44 * DAY);
      view = await handle.query(credentialStateQuery);
      expect(view.state).toBe('awaiting_first_access');
      expect(countOf('expireInitialPin', mine)).toBe(0);

      const result = await handle.result();
      expect(result.state).toBe('expired');
      expect(countOf('expireInitialPin', mine)).toBe(1);
      expect(countOf('enqueueReminder', mine)).toBe(1);
      await saveHistory('credential-issued-reminded-expired', handle);
      expect(Date.parse(result.firstAccessDeadline!) - dispatchedAt).toBe(60 * DAY);
      expect((await env.currentTimeMs()) - dispatchedAt).toBeGreaterThanOrEqual(60 * DAY);
    });
  });

  it('limits new letters to one per 24 hours and four in 30 days', async () => {
    await withWorker(async (taskQueue) => {
      const handle = await startCredential(taskQueue);
      await handle.signal(letterDispatchedSignal, { letterId: 'letter-1', dispatchedAt: new Date(await env.currentTimeMs()).toISOString() });

      const ask = () => handle.executeUpdate(requestNewLetterUpdate, { args: [{ requestedBy: 'citizen' }] });
      const refusal = async () => {
        const err = await ask().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
        return ((err as WorkflowUpdateFailedError).cause as { message?: string }).message;
      };

      expect(await ask()).toMatchObject({ seq: 2 });
      expect(await refusal()).toBe('TOO_SOON');
      await env.sleep(DAY + 1000);
      expect(await ask()).toMatchObject({ seq: 3 });
      await env.sleep(DAY + 1000);
      expect(await ask()).toMatchObject({ seq: 4 });
      await env.sleep(DAY + 1000);
      expect(await ask()).toMatchObject({ seq: 5 });
      await env.sleep(DAY + 1000);
      expect(await refusal()).toBe('WINDOW_LIMIT');

      // 30 days after the first new letter, the window has room again.
      await env.sleep(26 * DAY);
      expect(await ask()).toMatchObject({ seq: 6 });
      const view = await handle.query(credentialStateQuery);
      expect(view.letters).toHaveLength(6);
      expect(view.letters.slice(1).every((l) => l.state === 'queued')).toBe(true);
      await saveHistory('credential-new-letters-limits', handle);
    });
  });

  it('voids the half of a returned letter and sends a new one within the limits, then alerts operations', async () => {
    await withWorker(async (taskQueue) => {
      const handle = await startCredential(taskQueue);
      const credentialId = handle.workflowId.slice('pin-'.length);
      const returned = (letterId: string) => handle.executeUpdate(letterReturnedUpdate, { args: [{ letterId, recordedBy: 'staff:ops-1' }] });
      const refusalOf = async (p: Promise<unknown>) => {
        const err = await p.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
        return ((err as WorkflowUpdateFailedError).cause as { message?: string }).message;
      };
      // Not dispatched yet: it cannot have come back.
      expect(await refusalOf(returned('letter-1'))).toBe('NOT_DISPATCHED');
      expect(await refusalOf(returned('no-such-letter'))).toBe('UNKNOWN_LETTER');
      await handle.signal(letterDispatchedSignal, { letterId: 'letter-1', dispatchedAt: new Date(await env.currentTimeMs()).toISOString() });

      const first = await returned('letter-1');
      expect(first.newLetter?.seq).toBe(2);
      const voided = calls.filter((c) => c.name === 'voidPostedHalf' && (c.args as { credentialId: string }).credentialId === credentialId);
      expect(voided).toHaveLength(1);
      expect(voided[0]!.args).toMatchObject({ pinVersion: 1, letterId: 'letter-1', recordedBy: 'staff:ops-1' });
      let view = await handle.query(credentialStateQuery);
      expect(view.letters.map((l) => l.state)).toEqual(['returned', 'queued']);
      // Returned again: refused, nothing voided twice.
      expect(await refusalOf(returned('letter-1'))).toBe('NOT_DISPATCHED');

      // The new letter comes back too, within 24 hours: voided, but no third letter (TOO_SOON) — an alert instead.
      await handle.signal(letterDispatchedSignal, { letterId: first.newLetter!.letterId, dispatchedAt: new Date(await env.currentTimeMs()).toISOString() });
      const second = await returned(first.newLetter!.letterId);
      expect(second).toEqual({ refusal: 'TOO_SOON' });
      expect(calls.some((c) => c.name === 'raiseAlert' && (c.args as { kind: string; credentialId: string }).kind === 'letter_returned_no_resend' && (c.args as { credentialId: string }).credentialId === credentialId)).toBe(true);
      view = await handle.query(credentialStateQuery);
      expect(view.letters.map((l) => l.state)).toEqual(['returned', 'returned']);
      await saveHistory('credential-letter-returned', handle);
    });
  });

  it('extends the deadline to 60 days after a new letter is dispatched', async () => {
    await withWorker(async (taskQueue) => {
      const handle = await startCredential(taskQueue);
      const t0 = await env.currentTimeMs();
      await handle.signal(letterDispatchedSignal, { letterId: 'letter-1', dispatchedAt: new Date(t0).toISOString() });
      await env.sleep(20 * DAY);
      const { letterId } = await handle.executeUpdate(requestNewLetterUpdate, { args: [{ requestedBy: 'citizen' }] });
      const t1 = await env.currentTimeMs();
      await handle.signal(letterDispatchedSignal, { letterId, dispatchedAt: new Date(t1).toISOString() });
      await env.sleep(45 * DAY); // day 65 from the first letter: still waiting
      expect((await handle.query(credentialStateQuery)).state).toBe('awaiting_first_access');
      const result = await handle.result();
      expect(result.state).toBe('expired');
      expect(Date.parse(result.firstAccessDeadline!) - t1).toBe(60 * DAY);
    });
  });

  it('raises an alert when the first half is not delivered within 12 hours (simplified procedure)', async () => {
    await withWorker(async (taskQueue) => {
      const lateId = randomUUID();
      deliveryDown.add(lateId);
      const late = await startCredential(taskQueue, { simplifiedProcedure: true }, lateId);
      const onTime = await startCredential(taskQueue, { simplifiedProcedure: true });
      const onTimeId = onTime.workflowId.slice(4);
      const alertsFor = (id: string) => countOf('raiseAlert', (a) => (a as { credentialId?: string }).credentialId === id);

      await env.sleep(11 * 3600 * 1000);
      expect(alertsFor(lateId)).toBe(0);
      await env.sleep(2 * 3600 * 1000);
      expect(alertsFor(lateId)).toBe(1);
      expect(alertsFor(onTimeId)).toBe(0);
      expect((await late.query(credentialStateQuery)).firstHalf[0]!.state).toBe('pending');

      // The endpoint comes back: the retried delivery completes, still with a single alert.
      deliveryDown.delete(lateId);
      await env.sleep(10 * 60 * 1000);
      expect((await late.query(credentialStateQuery)).firstHalf.map((f) => f.state)).toEqual(['sent', 'sent']);
      expect(alertsFor(lateId)).toBe(1);
      await saveHistory('credential-simplified-first-half-late', late);
    });
  });

  it('sends no alert when the simplified procedure is off', async () => {
    await withWorker(async (taskQueue) => {
      const id = randomUUID();
      deliveryDown.add(id);
      await startCredential(taskQueue, {}, id);
      await env.sleep(13 * 3600 * 1000);
      expect(countOf('raiseAlert', (a) => (a as { credentialId?: string }).credentialId === id)).toBe(0);
      deliveryDown.delete(id);
    });
  });
});
