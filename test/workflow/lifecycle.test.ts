/**
 * Recovery, revocation and delegation on the time-skipping server, with the real durations
 * (24-hour links, 60-day first-access deadline, delegation end dates) and recording fakes:
 * - the credential's re-issue path (recovery): the old PIN superseded, a continue-as-new that
 *   issues over two channels, then the first access and the active PIN; an unused two-channel
 *   PIN expiring after the deadline;
 * - the revoke path, from the letter wait and from an active PIN;
 * - the recovery link's lifetime, its early end when used, and contact-change notices;
 * - a delegation ending by itself at its end date, or on revocation by its delegator or a clerk.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { createActivities } from '../../activities';
import {
  completeFirstAccessUpdate,
  credentialStateQuery,
  DEFAULT_ISSUANCE_POLICY,
  letterDispatchedSignal,
  reissuePinUpdate,
  requestNewLetterUpdate,
  revokeCredentialUpdate,
  type CredentialView,
  type CredentialWorkflowInput,
} from '../../workflows/definitions';
import { pinCredentialWorkflow } from '../../workflows/credential';
import { contactNoticesWorkflow, recoveryLinkWorkflow } from '../../workflows/recovery';
import { contactNoticesWorkflowId, recoveryLinkStateQuery, recoveryLinkUsedSignal, recoveryLinkWorkflowId } from '../../workflows/recovery-definitions';
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
import { createTimeSkippingEnv, updateRefusal, withTimeSkippingWorker } from '../support/time-skipping';

type Activities = ReturnType<typeof createActivities>;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let env: TestWorkflowEnvironment;
const started: { terminate(reason: string): Promise<unknown> }[] = [];
const calls: { name: string; at: number; args: Record<string, unknown> }[] = [];
const delivered: string[] = [];
/** Active delegations each credential gave, as the revocation activity finds them. */
const delegationsGivenBy = new Map<string, string[]>();
/** Delegations whose row the database no longer holds pending: their acceptance is refused. */
const acceptRefused = new Set<string>();

function fakes(): Partial<Activities> {
  const serverNow = () => Context.current().info.currentAttemptScheduledTimestampMs;
  const record = (name: string, args: object) => calls.push({ name, at: serverNow(), args: args as Record<string, unknown> });
  return {
    prepareIssuance: async (a) => (record('prepareIssuance', a), { channels: ['sms', 'email'], addressMismatch: false }),
    issueInitialPin: async (a) => (record('issueInitialPin', a), { pinVersion: 1, firstHalf: [{ outboxId: `fh-${a.credentialId}`, channel: 'sms' }], letterId: `l-${a.credentialId}` }),
    deliverNotification: async (a) => {
      delivered.push(a.outboxId);
      return { channel: 'email', messageId: '<m>' };
    },
    queueLetter: async () => ({ batchDate: '2026-01-01' }),
    enqueueReminder: async (a) => (record('enqueueReminder', a), { outboxIds: [] }),
    expireInitialPin: async (a) => void record('expireInitialPin', a),
    createResendLetter: async (a) => (record('createResendLetter', a), { letterId: `l2-${a.credentialId}` }),
    activatePersonalPin: async (a) => (record('activatePersonalPin', a), { pinExpiresAt: new Date(serverNow() + 180 * DAY).toISOString() }),
    enqueueExpiryReminder: async (a) => (record('enqueueExpiryReminder', a), { outboxIds: [] }),
    expirePersonalPin: async (a) => void record('expirePersonalPin', a),
    revokeCredential: async (a) => (
      record('revokeCredential', a),
      { revokedAt: new Date(serverNow()).toISOString(), outboxIds: [`rev-${a.credentialId}`], delegationIds: delegationsGivenBy.get(a.credentialId) ?? [], cancelledClaimIds: [] }
    ),
    supersedeForReissue: async (a) => (record('supersedeForReissue', a), { pinVersion: 3, pinType: a.pinType, releasedClaimIds: [] }),
    issueTwoChannelPin: async (a) => (
      record('issueTwoChannelPin', a),
      { halves: [{ outboxId: `h1-${a.credentialId}`, channel: 'sms' }, { outboxId: `h2-${a.credentialId}`, channel: 'email' }], noticeIds: [`n-${a.credentialId}`] }
    ),
    issueDispositivoPinOverTwoChannels: async (a) => (
      record('issueDispositivoPinOverTwoChannels', a),
      {
        halves: [{ outboxId: `p1-${a.credentialId}`, channel: 'sms' }, { outboxId: `p2-${a.credentialId}`, channel: 'pec' }],
        noticeIds: [`n-${a.credentialId}`],
        pinExpiresAt: new Date(serverNow() + 180 * DAY).toISOString(),
      }
    ),
    markClaimReleasesSignalled: async (a) => void record('markClaimReleasesSignalled', a),
    issueRecoveryLink: async (a) => (record('issueRecoveryLink', a), { outboxId: `link-${a.linkId}` }),
    expireRecoveryLink: async (a) => (record('expireRecoveryLink', a), { expired: true }),
    enqueueContactChangeNotices: async (a) => (record('enqueueContactChangeNotices', a), { outboxIds: [`old-${a.changeId}`, `new-${a.changeId}`] }),
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
  return withTimeSkippingWorker(env, { prefix: 'wf-lifecycle', activities: fakes(), started }, fn);
}

const callsOf = (name: string, key: string, value: string) => calls.filter((c) => c.name === name && c.args[key] === value);

const refusal = updateRefusal;

/** Polls the latest run's view until `ok` (a continue-as-new changes runs under the same id). */
async function viewOf(workflowId: string, ok: (v: CredentialView) => boolean): Promise<CredentialView> {
  for (let i = 0; i < 400; i++) {
    const v = await env.client.workflow.getHandle(workflowId).query(credentialStateQuery).catch(() => undefined);
    if (v && ok(v)) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`workflow ${workflowId} never reached the expected state`);
}

/** A credential whose letter was dispatched (waiting for the first access). */
async function waitingCredential(taskQueue: string) {
  const credentialId = randomUUID();
  const input: CredentialWorkflowInput = { credentialId, policy: DEFAULT_ISSUANCE_POLICY };
  const handle = await env.client.workflow.start(pinCredentialWorkflow, { workflowId: `pin-${credentialId}`, taskQueue, args: [input] });
  started.push(handle);
  await viewOf(handle.workflowId, (v) => v.state === 'awaiting_letter_dispatch');
  await handle.signal(letterDispatchedSignal, { letterId: `l-${credentialId}`, dispatchedAt: new Date(await env.currentTimeMs()).toISOString() });
  await viewOf(handle.workflowId, (v) => v.state === 'awaiting_first_access');
  return { handle, credentialId };
}

async function activeCredential(taskQueue: string) {
  const c = await waitingCredential(taskQueue);
  await env.sleep(2 * DAY);
  await c.handle.executeUpdate(completeFirstAccessUpdate, { args: [{ pinVersion: 2 }] });
  return c;
}

describe('credential: recovery (re-issue over two channels)', () => {
  it('supersedes the active PIN, continues as new, issues over two channels and activates the new PIN at the first access', async () => {
    await withWorker(async (taskQueue) => {
      const { handle, credentialId } = await activeCredential(taskQueue);
      const { pinVersion } = await handle.executeUpdate(reissuePinUpdate, { args: [{ requestedBy: 'citizen:recovery-link', reason: 'recovery' }] });
      expect(pinVersion).toBe(3);
      expect(callsOf('supersedeForReissue', 'credentialId', credentialId)[0]!.args).toMatchObject({ reason: 'recovery', pinType: 'ordinary' });

      const latest = env.client.workflow.getHandle(handle.workflowId);
      const view = await viewOf(handle.workflowId, (v) => v.delivery === 'two_channel' && v.firstHalf.length === 2 && v.firstHalf.every((h) => h.state === 'sent'));
      expect(view).toMatchObject({ state: 'awaiting_first_access', pinVersion: 3, pinType: 'ordinary', letters: [], cycle: 1 });
      expect((await latest.describe()).runId).not.toBe(handle.firstExecutionRunId);
      expect(callsOf('issueTwoChannelPin', 'credentialId', credentialId)[0]!.args).toMatchObject({ pinVersion: 3, reason: 'recovery' });
      // Both halves and the notice to every contact went out; no letter was queued for it.
      expect(delivered).toEqual(expect.arrayContaining([`h1-${credentialId}`, `h2-${credentialId}`, `n-${credentialId}`]));
      // No letter to send again for a two-channel PIN.
      expect(await refusal(latest.executeUpdate(requestNewLetterUpdate, { args: [{ requestedBy: 'citizen' }] }))).toBe('NOT_WAITING');
      // The new PIN's version is the one the first access must name: the superseded one is stale.
      expect(await refusal(latest.executeUpdate(completeFirstAccessUpdate, { args: [{ pinVersion: 3 }] }))).toBe('STALE_VERSION');

      await env.sleep(DAY);
      await latest.executeUpdate(completeFirstAccessUpdate, { args: [{ pinVersion: 4 }] });
      const active = await latest.query(credentialStateQuery);
      expect(active).toMatchObject({ state: 'active', pinVersion: 4, cycle: 2 });
      expect(callsOf('activatePersonalPin', 'credentialId', credentialId).map((c) => c.args.pinVersion)).toEqual([2, 4]);
      await saveHistory('credential-recovery-reissue', env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId));
      await saveHistory('credential-two-channel-first-access', latest);
    });
  });

  it('remote identification: the 8-character dispositivo PIN is active at once, its two parts sent, no first access awaited', async () => {
    await withWorker(async (taskQueue) => {
      const { handle, credentialId } = await activeCredential(taskQueue);
      const { pinVersion } = await handle.executeUpdate(reissuePinUpdate, { args: [{ requestedBy: 'operator:op-1', reason: 'remote_identification', pinType: 'dispositivo' }] });
      expect(pinVersion).toBe(3);
      const latest = env.client.workflow.getHandle(handle.workflowId);
      const view = await viewOf(handle.workflowId, (v) => v.delivery === 'two_channel' && v.firstHalf.length === 2 && v.firstHalf.every((h) => h.state === 'sent'));
      expect(view).toMatchObject({ state: 'active', pinVersion: 3, pinType: 'dispositivo', letters: [], cycle: 2 });
      expect(callsOf('issueDispositivoPinOverTwoChannels', 'credentialId', credentialId)[0]!.args).toMatchObject({ pinVersion: 3, citizenMonths: 6 });
      expect(callsOf('issueTwoChannelPin', 'credentialId', credentialId)).toEqual([]);
      expect(delivered).toEqual(expect.arrayContaining([`p1-${credentialId}`, `p2-${credentialId}`, `n-${credentialId}`]));
      // Nothing waits for a first access: the version after it would be stale.
      expect(await refusal(latest.executeUpdate(completeFirstAccessUpdate, { args: [{ pinVersion: 4 }] }))).toBe('NOT_ALLOWED_NOW');
      await saveHistory('credential-remote-identification-dispositivo', latest);
    });
  });

  it('lets a two-channel PIN that is never used expire after the first-access deadline (60 days)', async () => {
    await withWorker(async (taskQueue) => {
      const { handle, credentialId } = await waitingCredential(taskQueue);
      // Recovery also works before the first access: the posted PIN dies with its letters.
      await handle.executeUpdate(reissuePinUpdate, { args: [{ requestedBy: 'citizen:recovery-link', reason: 'recovery' }] });
      const issued = await viewOf(handle.workflowId, (v) => v.delivery === 'two_channel' && v.state === 'awaiting_first_access');
      const deadline = Date.parse(issued.firstAccessDeadline!);
      await env.sleep(deadline - (await env.currentTimeMs()) - MINUTE);
      expect(callsOf('expireInitialPin', 'credentialId', credentialId)).toHaveLength(0);
      await env.sleep(2 * MINUTE);
      const expired = await viewOf(handle.workflowId, (v) => v.state === 'expired');
      expect(expired.pinVersion).toBe(3);
      const expiry = callsOf('expireInitialPin', 'credentialId', credentialId);
      expect(expiry).toHaveLength(1);
      expect(expiry[0]!.at).toBeGreaterThanOrEqual(deadline);
      expect(expiry[0]!.args.pinVersion).toBe(3);
    });
  });
});

describe('credential: revocation', () => {
  it('revokes an active PIN at once, sends the notices and ends the workflow; nothing is allowed after', async () => {
    await withWorker(async (taskQueue) => {
      const { handle, credentialId } = await activeCredential(taskQueue);
      const { revokedAt } = await handle.executeUpdate(revokeCredentialUpdate, { args: [{ requestedBy: 'operator:op-1', reason: 'contact_centre' }] });
      expect(Date.parse(revokedAt)).toBeGreaterThan(0);
      const result = await handle.result();
      expect(result).toMatchObject({ state: 'revoked', revokedAt });
      expect(callsOf('revokeCredential', 'credentialId', credentialId)[0]!.args).toMatchObject({ requestedBy: 'operator:op-1', reason: 'contact_centre' });
      expect(delivered).toContain(`rev-${credentialId}`);
      // The 6-month expiry never comes: the workflow is over.
      await env.sleep(200 * DAY);
      expect(callsOf('expirePersonalPin', 'credentialId', credentialId)).toHaveLength(0);
      await expect(handle.executeUpdate(reissuePinUpdate, { args: [{ requestedBy: 'x', reason: 'recovery' }] })).rejects.toThrow();
      await saveHistory('credential-revoked-active', handle);
    });
  });

  it('revokes while waiting for the first access and never expires the dead initial PIN', async () => {
    await withWorker(async (taskQueue) => {
      const { handle, credentialId } = await waitingCredential(taskQueue);
      await handle.executeUpdate(revokeCredentialUpdate, { args: [{ requestedBy: 'citizen', reason: 'holder' }] });
      expect((await handle.result()).state).toBe('revoked');
      await env.sleep(70 * DAY);
      expect(callsOf('expireInitialPin', 'credentialId', credentialId)).toHaveLength(0);
      expect(callsOf('enqueueReminder', 'credentialId', credentialId)).toHaveLength(0);
      await saveHistory('credential-revoked-awaiting-first-access', handle);
    });
  });
});

// Revoked while the first half is still being retried: test/workflow/revoked-while-retrying.test.ts,
// on a time-skipping server of its own (its cancelled retries left this file's clock stuck).

describe('recovery link', () => {
  it('stays valid for 24 hours and is marked expired when unused, not a minute before', async () => {
    await withWorker(async (taskQueue) => {
      const linkId = randomUUID();
      const handle = await env.client.workflow.start(recoveryLinkWorkflow, { workflowId: recoveryLinkWorkflowId(linkId), taskQueue, args: [{ linkId }] });
      started.push(handle);
      let view = await handle.query(recoveryLinkStateQuery);
      for (let i = 0; i < 200 && view.state !== 'sent'; i++) {
        await new Promise((r) => setTimeout(r, 25));
        view = await handle.query(recoveryLinkStateQuery);
      }
      expect(view.state).toBe('sent');
      const issued = callsOf('issueRecoveryLink', 'linkId', linkId);
      expect(issued[0]!.args.validForMs).toBe(DAY);
      expect(delivered).toContain(`link-${linkId}`);
      const expiresAt = Date.parse(view.expiresAt!);
      expect(Math.abs(expiresAt - (issued[0]!.at + DAY))).toBeLessThan(5_000);

      await env.sleep(expiresAt - (await env.currentTimeMs()) - MINUTE);
      expect(callsOf('expireRecoveryLink', 'linkId', linkId)).toHaveLength(0);
      await env.sleep(2 * MINUTE);
      expect((await handle.result()).state).toBe('expired');
      const expired = callsOf('expireRecoveryLink', 'linkId', linkId);
      expect(expired).toHaveLength(1);
      expect(expired[0]!.at).toBeGreaterThanOrEqual(expiresAt);
      await saveHistory('recovery-link-expired', handle);
    });
  });

  it('ends without expiring when the link is used', async () => {
    await withWorker(async (taskQueue) => {
      const linkId = randomUUID();
      const handle = await env.client.workflow.start(recoveryLinkWorkflow, { workflowId: recoveryLinkWorkflowId(linkId), taskQueue, args: [{ linkId }] });
      started.push(handle);
      await env.sleep(3 * HOUR);
      await handle.signal(recoveryLinkUsedSignal);
      expect((await handle.result()).state).toBe('used');
      expect(callsOf('expireRecoveryLink', 'linkId', linkId)).toHaveLength(0);
      await saveHistory('recovery-link-used', handle);
    });
  });

  it('delivers the notices of a contact change', async () => {
    await withWorker(async (taskQueue) => {
      const changeId = randomUUID();
      const handle = await env.client.workflow.start(contactNoticesWorkflow, { workflowId: contactNoticesWorkflowId(changeId), taskQueue, args: [{ changeId }] });
      expect(await handle.result()).toEqual({ sent: 2 });
      expect(delivered).toEqual(expect.arrayContaining([`old-${changeId}`, `new-${changeId}`]));
      await saveHistory('contact-notices', handle);
    });
  });
});

describe('credential: revocation ends the delegations it gave', () => {
  it('signals each active delegation of the revoked credential, which ends and tells both parties', async () => {
    await withWorker(async (taskQueue) => {
      const { handle, credentialId } = await activeCredential(taskQueue);
      const input: DelegationInput = { delegationId: randomUUID(), delegatorCredentialId: credentialId, endsAt: new Date((await env.currentTimeMs()) + 60 * DAY).toISOString() };
      const delegation = await env.client.workflow.start(delegationWorkflow, { workflowId: delegationWorkflowId(input.delegationId), taskQueue, args: [input] });
      started.push(delegation);
      for (let i = 0; i < 200 && !delivered.includes(`dc-${input.delegationId}`); i++) await new Promise((r) => setTimeout(r, 25));
      delegationsGivenBy.set(credentialId, [input.delegationId]);
      await handle.executeUpdate(revokeCredentialUpdate, { args: [{ requestedBy: 'operator:op-1', reason: 'contact_centre' }] });
      expect((await handle.result()).state).toBe('revoked');
      expect((await delegation.result()).state).toBe('revoked');
      expect(callsOf('endDelegation', 'delegationId', input.delegationId)[0]!.args).toMatchObject({ reason: 'revoked', endedBy: `revocation:${credentialId}` });
      expect(delivered).toContain(`de-${input.delegationId}`);
      await saveHistory('credential-revoked-ending-delegations', handle);
      await saveHistory('delegation-ended-by-revocation', delegation);
    });
  });
});

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
    // Each notice is delivered before the test moves the clock: skipping days while an activity
    // is still in flight (a busy machine) times its attempts out and the run never settles.
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
