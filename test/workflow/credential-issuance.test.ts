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
  recordCallbackOutcomeUpdate,
  requestNewLetterUpdate,
  type CredentialWorkflowInput,
  type IssuancePolicy,
} from '../../workflows/definitions';
import { pinCredentialWorkflow } from '../../workflows/credential';
import { saveHistory } from '../support/histories';
import { createTimeSkippingEnv, withTimeSkippingWorker, type StartedRun } from '../support/time-skipping';

type Activities = ReturnType<typeof createActivities>;
const DAY = 24 * 3600 * 1000;

let env: TestWorkflowEnvironment;
const calls: { name: string; at: number; args: unknown }[] = [];
/** Credentials whose deliveries fail (an SMTP outage) until removed from the set. */
const deliveryDown = new Set<string>();
/** Credentials whose declared residence differs from the institute's record. */
const mismatched = new Set<string>();
/** Credentials whose request has an e-mail/PEC for the receipt. */
const withReceipt = new Set<string>();

function fakeActivities(): Partial<Activities> {
  const record = (name: string, args: unknown) => calls.push({ name, at: Date.now(), args });
  let letterSeq = 0;
  return {
    async prepareIssuance(a) {
      record('prepareIssuance', a);
      return { channels: ['sms', 'email'], addressMismatch: mismatched.has(a.credentialId), ...(withReceipt.has(a.credentialId) ? { receivedNoticeIds: [`received:${a.credentialId}`] } : {}) };
    },
    async recordCallbackAttempt(a) {
      record('recordCallbackAttempt', a);
      const status = a.outcome === 'verified' ? 'verified' : a.outcome === 'not_verified' || a.attempt >= a.maxAttempts ? 'refused' : 'open';
      return { attempts: a.attempt, status };
    },
    async refuseUnverifiedRequest(a) {
      record('refuseUnverifiedRequest', a);
      return { outboxIds: [`refused:${a.credentialId}`] };
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

const started: StartedRun[] = [];

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

describe('a request whose residence differs from the record', () => {
  async function startMismatched(taskQueue: string) {
    const credentialId = randomUUID();
    mismatched.add(credentialId);
    const handle = await env.client.workflow.start(pinCredentialWorkflow, {
      workflowId: `pin-${credentialId}`,
      taskQueue,
      args: [{ credentialId, policy: DEFAULT_ISSUANCE_POLICY }],
    });
    started.push(handle);
    for (let i = 0; i < 100 && (await handle.query(credentialStateQuery)).state !== 'awaiting_callback'; i++) await new Promise((r) => setTimeout(r, 50));
    const mine = (a: unknown) => (a as { credentialId?: string }).credentialId === credentialId;
    return { handle, credentialId, mine };
  }
  const callback = (outcome: 'verified' | 'not_verified' | 'unreachable', address?: 'record' | 'declared') => ({ outcome, ...(address ? { address } : {}), staffId: 'op-1' });

  it('makes and sends nothing until the call; with no outcome in 10 days it is refused and its contacts told', async () => {
    await withWorker(async (taskQueue) => {
      const { handle, mine } = await startMismatched(taskQueue);
      const view = await handle.query(credentialStateQuery);
      expect(view.state).toBe('awaiting_callback');
      expect(view.callback).toMatchObject({ status: 'open', attempts: 0 });
      await env.sleep(9 * DAY);
      expect((await handle.query(credentialStateQuery)).state).toBe('awaiting_callback');
      const result = await handle.result();
      expect(result.state).toBe('refused');
      expect(result.callback).toMatchObject({ status: 'refused', outcome: 'expired' });
      expect(countOf('issueInitialPin', mine)).toBe(0);
      expect(countOf('queueLetter', mine)).toBe(0);
      expect(calls.filter((c) => c.name === 'refuseUnverifiedRequest' && mine(c.args)).map((c) => (c.args as { outcome: string }).outcome)).toEqual(['expired']);
      expect(countOf('deliverNotification', (a) => (a as { outboxId: string }).outboxId.startsWith('refused:'))).toBeGreaterThan(0);
      await saveHistory('credential-callback-expired', handle);
    });
  });

  it('issues only once an operator records the requester verified (after two unanswered calls), and refuses outcomes at any other time', async () => {
    await withWorker(async (taskQueue) => {
      const { handle, mine } = await startMismatched(taskQueue);
      const record = (c: ReturnType<typeof callback>) => handle.executeUpdate(recordCallbackOutcomeUpdate, { args: [c] });
      await expect(record(callback('verified'))).rejects.toThrow(WorkflowUpdateFailedError); // no address
      expect(await record(callback('unreachable'))).toMatchObject({ status: 'open', attempts: 1 });
      expect(await record(callback('unreachable'))).toMatchObject({ status: 'open', attempts: 2 });
      expect(countOf('issueInitialPin', mine)).toBe(0);
      expect(await record(callback('verified', 'record'))).toMatchObject({ status: 'verified', attempts: 3 });
      for (let i = 0; i < 100 && (await handle.query(credentialStateQuery)).state !== 'awaiting_letter_dispatch'; i++) await new Promise((r) => setTimeout(r, 50));
      const view = await handle.query(credentialStateQuery);
      expect(view.state).toBe('awaiting_letter_dispatch');
      expect(view.callback).toMatchObject({ status: 'verified', outcome: 'verified' });
      expect(countOf('issueInitialPin', mine)).toBe(1);
      expect(calls.filter((c) => c.name === 'recordCallbackAttempt' && mine(c.args)).map((c) => (c.args as { attempt: number }).attempt)).toEqual([1, 2, 3]);
      // The call is over: another outcome is refused.
      await expect(record(callback('not_verified'))).rejects.toThrow(WorkflowUpdateFailedError);
      await saveHistory('credential-callback-verified', handle);
    });
  });

  it('is refused at the third unanswered call, or at once when not verified', async () => {
    await withWorker(async (taskQueue) => {
      const a = await startMismatched(taskQueue);
      for (let i = 1; i <= 3; i++) await a.handle.executeUpdate(recordCallbackOutcomeUpdate, { args: [callback('unreachable')] });
      expect((await a.handle.result()).callback).toMatchObject({ status: 'refused', outcome: 'unreachable', attempts: 3 });
      const b = await startMismatched(taskQueue);
      await b.handle.executeUpdate(recordCallbackOutcomeUpdate, { args: [callback('not_verified')] });
      expect(await b.handle.result()).toMatchObject({ state: 'refused', callback: { status: 'refused', outcome: 'not_verified', attempts: 1 } });
      expect(countOf('issueInitialPin', (x) => a.mine(x) || b.mine(x))).toBe(0);
    });
  });
});

describe('the request’s receipt', () => {
  it('goes by e-mail with the protocol number, and a mail outage does not hold up the PIN and its letter', async () => {
    await withWorker(async (taskQueue) => {
      const credentialId = randomUUID();
      withReceipt.add(credentialId);
      deliveryDown.add(credentialId);
      // Reaches the letter's wait although every delivery of this credential fails for now.
      const handle = await startCredential(taskQueue, {}, credentialId);
      const delivered = calls.filter((c) => c.name === 'deliverNotification' && (c.args as { outboxId: string }).outboxId === `received:${credentialId}`);
      expect(delivered.length).toBeGreaterThan(0);
      expect(countOf('queueLetter', (a) => (a as { letterId?: string }).letterId === 'letter-1')).toBeGreaterThan(0);
      deliveryDown.delete(credentialId);
      await saveHistory('credential-request-receipt', handle);
    });
  });
});
