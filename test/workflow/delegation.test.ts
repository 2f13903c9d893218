/**
 * A delegation's life on the time-skipping server, on a server of its own (its long timers must
 * not share a clock with the credential tests' retrying activities): it ends by itself at its end
 * date, is revoked by its delegator or a clerk, waits for the delegate's consent and lapses
 * unanswered, is accepted once, declined, or refused by the database and still lapses.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { createActivities } from '../../activities';
import { delegationWorkflow } from '../../workflows/delegation';
import {
  acceptDelegationUpdate,
  declineDelegationUpdate,
  delegationStateQuery,
  delegationWorkflowId,
  revokeDelegationUpdate,
  type DelegationInput,
} from '../../workflows/delegation-definitions';
import { saveHistory } from '../support/histories';
import { createTimeSkippingEnv, updateRefusal, withTimeSkippingWorker, type StartedRun } from '../support/time-skipping';

type Activities = ReturnType<typeof createActivities>;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let env: TestWorkflowEnvironment;
const started: StartedRun[] = [];
const calls: { name: string; at: number; args: Record<string, unknown> }[] = [];
const delivered: string[] = [];
/** Delegations whose row the database no longer holds pending: their acceptance is refused. */
const acceptRefused = new Set<string>();

function fakes(): Partial<Activities> {
  const serverNow = () => Context.current().info.currentAttemptScheduledTimestampMs;
  const record = (name: string, args: object) => calls.push({ name, at: serverNow(), args: args as Record<string, unknown> });
  return {
    deliverNotification: async (a) => {
      delivered.push(a.outboxId);
      return { channel: 'email', messageId: '<m>' };
    },
    notifyDelegationCreated: async (a) => (record('notifyDelegationCreated', a), { outboxIds: [`dc-${a.delegationId}`] }),
    acceptDelegation: async (a) => {
      record('acceptDelegation', a);
      if (acceptRefused.has(a.delegationId)) throw ApplicationFailure.nonRetryable('not pending', 'CONFLICT');
      return { outboxIds: [`da-${a.delegationId}`] };
    },
    endDelegation: async (a) => (record('endDelegation', a), { status: a.reason, endedAt: new Date(serverNow()).toISOString(), outboxIds: [`de-${a.delegationId}`] }),
  };
}

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

function withWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  return withTimeSkippingWorker(env, { prefix: 'wf-delegation', activities: fakes(), started }, fn);
}

const callsOf = (name: string, key: string, value: string) => calls.filter((c) => c.name === name && c.args[key] === value);

const refusal = updateRefusal;

describe('delegation', () => {
  /** A delegation, accepted by its delegate (`accepted: false`: left pending). */
  /** Waits (real time, bounded) until the fake delivered `outboxId`; fails loudly otherwise. */
  async function deliveredNotice(outboxId: string): Promise<void> {
    for (let i = 0; i < 1200 && !delivered.includes(outboxId); i++) await new Promise((r) => setTimeout(r, 25));
    expect(delivered, `${outboxId} was never delivered`).toContain(outboxId);
  }

  async function startDelegation(taskQueue: string, days: number, opts: { accepted?: boolean; input?: Partial<DelegationInput> } = {}) {
    const input: DelegationInput = {
      delegationId: randomUUID(),
      delegatorCredentialId: randomUUID(),
      endsAt: new Date((await env.currentTimeMs()) + days * DAY).toISOString(),
      ...opts.input,
    };
    const handle = await env.client.workflow.start(delegationWorkflow, { workflowId: delegationWorkflowId(input.delegationId), taskQueue, args: [input] });
    started.push(handle);
    // Each notice is delivered before the test goes on, so what it checks next has happened.
    await deliveredNotice(`dc-${input.delegationId}`);
    const delegateCredentialId = randomUUID();
    if (opts.accepted !== false) {
      await handle.executeUpdate(acceptDelegationUpdate, { args: [{ delegateCredentialId }] });
      await deliveredNotice(`da-${input.delegationId}`);
    }
    return { handle, input, delegateCredentialId };
  }

  it('ends by itself at its end date (90 days), telling both parties, not a minute before', async () => {
    await withWorker(async (taskQueue) => {
      const { handle, input } = await startDelegation(taskQueue, 90);
      expect(delivered).toContain(`dc-${input.delegationId}`);
      const endsAt = Date.parse(input.endsAt);
      await env.sleep(endsAt - (await env.currentTimeMs()) - MINUTE);
      expect((await handle.query(delegationStateQuery)).state).toBe('active');
      expect(callsOf('endDelegation', 'delegationId', input.delegationId)).toHaveLength(0);
      await env.sleep(2 * MINUTE);
      const view = await handle.result();
      expect(view.state).toBe('expired');
      const ended = callsOf('endDelegation', 'delegationId', input.delegationId);
      expect(ended).toHaveLength(1);
      expect(ended[0]!.args).toMatchObject({ reason: 'expired', endedBy: 'system' });
      expect(ended[0]!.at).toBeGreaterThanOrEqual(endsAt);
      expect(delivered).toContain(`de-${input.delegationId}`);
      await saveHistory('delegation-expired', handle);
    });
  });

  it('is revoked by its delegator or a clerk only, once, and then no end-date timer fires', async () => {
    await withWorker(async (taskQueue) => {
      const { handle, input } = await startDelegation(taskQueue, 30);
      await env.sleep(5 * DAY);
      expect(await refusal(handle.executeUpdate(revokeDelegationUpdate, { args: [{ requestedBy: { kind: 'delegator', credentialId: randomUUID() } }] }))).toBe('NOT_DELEGATOR');
      expect(await refusal(handle.executeUpdate(revokeDelegationUpdate, { args: [{ requestedBy: { kind: 'clerk', staffId: '' } }] }))).toBe('NOT_DELEGATOR');
      const view = await handle.executeUpdate(revokeDelegationUpdate, { args: [{ requestedBy: { kind: 'delegator', credentialId: input.delegatorCredentialId! } }] });
      expect(view.state).toBe('revoked');
      expect(callsOf('endDelegation', 'delegationId', input.delegationId)[0]!.args).toMatchObject({ reason: 'revoked', endedBy: `delegator:${input.delegatorCredentialId}` });
      expect((await handle.result()).state).toBe('revoked');
      await env.sleep(40 * DAY);
      expect(callsOf('endDelegation', 'delegationId', input.delegationId)).toHaveLength(1);
      await saveHistory('delegation-revoked', handle);

      const other = await startDelegation(taskQueue, 30);
      const byClerk = await other.handle.executeUpdate(revokeDelegationUpdate, { args: [{ requestedBy: { kind: 'clerk', staffId: 'clerk-7' } }] });
      expect(byClerk.state).toBe('revoked');
      expect(callsOf('endDelegation', 'delegationId', other.input.delegationId)[0]!.args).toMatchObject({ reason: 'revoked', endedBy: 'clerk:clerk-7' });
      // Once ended it cannot be revoked again (the workflow has closed, or refuses it while closing).
      await expect(other.handle.executeUpdate(revokeDelegationUpdate, { args: [{ requestedBy: { kind: 'clerk', staffId: 'clerk-7' } }] })).rejects.toThrow();
      expect((await other.handle.result()).state).toBe('revoked');
      expect(callsOf('endDelegation', 'delegationId', other.input.delegationId)).toHaveLength(1);
    });
  });

  it('waits for the delegate’s consent: pending cannot be revoked by the delegate, lapses unanswered after 30 days, telling both', async () => {
    await withWorker(async (taskQueue) => {
      const { handle, input } = await startDelegation(taskQueue, 90, { accepted: false });
      const acceptBy = Date.parse(callsOf('notifyDelegationCreated', 'delegationId', input.delegationId)[0]!.args.acceptBy as string);
      expect(Math.abs(acceptBy - (Date.parse(input.endsAt) - 60 * DAY))).toBeLessThan(MINUTE);
      const pending = await handle.query(delegationStateQuery);
      expect(pending.state).toBe('pending');
      // A delegate revokes only what they accepted; a pending one is declined.
      expect(await refusal(handle.executeUpdate(revokeDelegationUpdate, { args: [{ requestedBy: { kind: 'delegate', credentialId: randomUUID() } }] }))).toBe('NOT_DELEGATE');
      expect(await refusal(handle.executeUpdate(acceptDelegationUpdate, { args: [{ delegateCredentialId: '' }] }))).toBe('NOT_DELEGATE');
      await env.sleep(30 * DAY - MINUTE);
      expect((await handle.query(delegationStateQuery)).state).toBe('pending');
      expect(callsOf('endDelegation', 'delegationId', input.delegationId)).toHaveLength(0);
      await env.sleep(2 * MINUTE);
      const view = await handle.result();
      expect(view.state).toBe('lapsed');
      expect(callsOf('endDelegation', 'delegationId', input.delegationId).map((c) => c.args)).toEqual([{ delegationId: input.delegationId, reason: 'lapsed', endedBy: 'system' }]);
      expect(callsOf('acceptDelegation', 'delegationId', input.delegationId)).toHaveLength(0);
      expect(delivered).toContain(`de-${input.delegationId}`);
      await saveHistory('delegation-consent-lapsed', handle);
    });
  });

  it('is accepted once, by the delegate who may then give it up; a declined one ends at once; an office one has no delegator credential', async () => {
    await withWorker(async (taskQueue) => {
      const { handle, input, delegateCredentialId } = await startDelegation(taskQueue, 20, { input: { delegatorCredentialId: undefined, acceptWithinDays: 5 } });
      const accepted = await handle.query(delegationStateQuery);
      expect(accepted).toMatchObject({ state: 'active', acceptedBy: delegateCredentialId });
      expect(callsOf('acceptDelegation', 'delegationId', input.delegationId).map((c) => c.args)).toEqual([{ delegationId: input.delegationId, delegateCredentialId }]);
      expect(await refusal(handle.executeUpdate(acceptDelegationUpdate, { args: [{ delegateCredentialId }] }))).toBe('NOT_PENDING');
      expect(await refusal(handle.executeUpdate(declineDelegationUpdate, { args: [{ delegateCredentialId }] }))).toBe('NOT_PENDING');
      // Accepted: no lapse at the acceptance deadline.
      await env.sleep(6 * DAY);
      expect((await handle.query(delegationStateQuery)).state).toBe('active');
      expect(delivered).toContain(`da-${input.delegationId}`);
      // The delegate is the person, not one PIN of theirs: the API matched the codice fiscale
      // (another citizen gets 404 there, test/integration/delegation.test.ts).
      const byDelegate = await handle.executeUpdate(revokeDelegationUpdate, { args: [{ requestedBy: { kind: 'delegate', credentialId: delegateCredentialId } }] });
      expect(byDelegate.state).toBe('revoked');
      expect(callsOf('endDelegation', 'delegationId', input.delegationId)[0]!.args).toMatchObject({ reason: 'revoked', endedBy: `delegate:${delegateCredentialId}` });
      expect((await handle.result()).state).toBe('revoked');
      await saveHistory('delegation-accepted-revoked-by-delegate', handle);

      const declined = await startDelegation(taskQueue, 20, { accepted: false });
      const view = await declined.handle.executeUpdate(declineDelegationUpdate, { args: [{ delegateCredentialId: randomUUID() }] });
      expect(view.state).toBe('declined');
      expect((await declined.handle.result()).state).toBe('declined');
      expect(callsOf('endDelegation', 'delegationId', declined.input.delegationId)[0]!.args).toMatchObject({ reason: 'declined' });
      expect(callsOf('acceptDelegation', 'delegationId', declined.input.delegationId)).toHaveLength(0);
    });
  });

  it('stays pending when the database refuses an acceptance, and still lapses at its deadline', async () => {
    await withWorker(async (taskQueue) => {
      const delegationId = randomUUID();
      acceptRefused.add(delegationId);
      const { handle, input } = await startDelegation(taskQueue, 60, { accepted: false, input: { delegationId, acceptWithinDays: 10 } });
      await expect(handle.executeUpdate(acceptDelegationUpdate, { args: [{ delegateCredentialId: randomUUID() }] })).rejects.toThrow();
      expect((await handle.query(delegationStateQuery)).state).toBe('pending');
      await env.sleep(10 * DAY + MINUTE);
      expect((await handle.result()).state).toBe('lapsed');
      expect(callsOf('endDelegation', 'delegationId', input.delegationId).map((c) => c.args.reason)).toEqual(['lapsed']);
    });
  });
});
