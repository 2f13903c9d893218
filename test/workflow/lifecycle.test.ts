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
import { Context } from '@temporalio/activity';
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
import { delegationWorkflowId, type DelegationInput } from '../../workflows/delegation-definitions';
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
/** Active delegations each credential gave, as the revocation activity finds them. */
const delegationsGivenBy = new Map<string, string[]>();

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

// A delegation's own life (end date, revocation, the delegate's consent): test/workflow/delegation.test.ts,
// on a time-skipping server of its own.
