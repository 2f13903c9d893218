/**
 * Conversion to dispositivo on the time-skipping server with the real review deadline: the
 * review child escalates after 5 working days (weekends skipped), an approval that needs a
 * second review waits for a different clerk, and claims held for a dispositivo PIN are released
 * on approval and not before.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import type { createActivities } from '../../activities';
import { credentialStateQuery, DEFAULT_ISSUANCE_POLICY, requestConversionUpdate, type CredentialWorkflowInput } from '../../workflows/definitions';
import {
  claimCaseUpdate,
  decideCaseUpdate,
  reviewStateQuery,
  reviewWorkflowId,
  secondReviewUpdate,
  type ReviewInput,
} from '../../workflows/review-definitions';
import type { StoredClaimStatus } from '../../domain/claims';
import { decideClaimUpdate, withdrawClaimUpdate, claimStateQuery, claimWorkflowId } from '../../workflows/claim-definitions';
import { saveHistory } from '../support/histories';
import { createTimeSkippingEnv, updateRefusal, withTimeSkippingWorker } from '../support/time-skipping';

type Activities = ReturnType<typeof createActivities>;
const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

let env: TestWorkflowEnvironment;
const started: WorkflowHandle[] = [];
const calls: { name: string; at: number; args: Record<string, unknown> }[] = [];
/** Cases whose approval needs a second clerk (what `openReview` reads from the case row). */
const secondReviewCases = new Set<string>();
/** The claims table, as far as these workflows see it. */
const claims = new Map<string, { credentialId: string; status: StoredClaimStatus }>();

function fakes(): Partial<Activities> {
  const serverNow = () => Context.current().info.currentAttemptScheduledTimestampMs;
  const record = (name: string, args: object) => calls.push({ name, at: serverNow(), args: args as Record<string, unknown> });
  return {
    openReview: async (a) => (record('openReview', a), { secondReviewRequired: secondReviewCases.has(a.caseId) }),
    recordReviewAction: async (a) => void record('recordReviewAction', a),
    escalateReview: async (a) => (record('escalateReview', a), { outboxIds: ['in-progress-mail'] }),
    deliverNotification: async (a) => (record('deliverNotification', a), { channel: 'email', messageId: '<m>' }),
    convertToDispositivo: async (a) => {
      record('convertToDispositivo', a);
      const released = [...claims].filter(([, c]) => c.credentialId === a.credentialId && c.status === 'waiting_for_dispositivo').map(([id]) => id);
      for (const id of released) claims.get(id)!.status = 'released';
      return { releasedClaimIds: released, outboxIds: ['approved-mail'] };
    },
    closeRejectedConversion: async (a) => (record('closeRejectedConversion', a), { outboxIds: ['rejected-mail'] }),
    markClaimReleasesSignalled: async (a) => void record('markClaimReleasesSignalled', a),
    noticeClaimReceived: async (a) => (record('noticeClaimReceived', a), { outboxIds: [`received-${a.claimId}`] }),
    loadClaimStatus: async (a) => ({ status: claims.get(a.claimId)!.status }),
    beginClaimProcessing: async (a) => {
      record('beginClaimProcessing', a);
      claims.get(a.claimId)!.status = 'in_processing';
      return { releasedAt: new Date(serverNow()).toISOString() };
    },
    decideClaim: async (a) => {
      record('decideClaim', a);
      claims.get(a.claimId)!.status = a.decision;
      return { outboxIds: [`decided-${a.claimId}`] };
    },
    withdrawClaim: async (a) => {
      record('withdrawClaim', a);
      claims.get(a.claimId)!.status = 'withdrawn';
    },
  };
}

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const withWorker = <T>(fn: (taskQueue: string) => Promise<T>) => withTimeSkippingWorker(env, { prefix: 'wf-conversion', activities: fakes(), started }, fn);
const callsOf = (name: string, key: string, value: string) => calls.filter((c) => c.name === name && c.args[key] === value);

const refusal = updateRefusal;

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached');
}

/**
 * Italian national holidays of the years these tests can run in, written out by hand (not
 * computed by the code under test): fixed dates, and Easter Monday.
 */
const EASTER_MONDAYS = ['2026-04-06', '2027-03-29', '2028-04-17', '2029-04-02', '2030-04-22'];
const FIXED = ['01-01', '01-06', '04-25', '05-01', '06-02', '08-15', '11-01', '12-08', '12-25', '12-26'];
const isHoliday = (d: Date) => FIXED.includes(d.toISOString().slice(5, 10)) || EASTER_MONDAYS.includes(d.toISOString().slice(0, 10));

/** The next Friday 10:00 UTC (11:00 or 12:00 in Rome) with no holiday in the 14 days after it. */
function quietFridayAfter(ms: number): number {
  const d = new Date(ms);
  d.setUTCHours(10, 0, 0, 0);
  for (;;) {
    d.setUTCDate(d.getUTCDate() + 1);
    if (d.getUTCDay() !== 5) continue;
    const next = Array.from({ length: 14 }, (_, i) => new Date(d.getTime() + (i + 1) * DAY));
    if (!next.some(isHoliday)) return d.getTime();
  }
}

const clerkA = { staffId: 'clerk-a', role: 'clerk' };
const clerkB = { staffId: 'clerk-b', role: 'clerk' };

describe('conversion review', () => {
  it('escalates a case unclaimed for 5 working days, skipping the weekend, and tells the citizen', async () => {
    await withWorker(async (taskQueue) => {
      // Opened on a Friday: 5 working days end the next Friday, 7 calendar days later.
      const friday = quietFridayAfter(await env.currentTimeMs());
      await env.sleep(friday - (await env.currentTimeMs()));
      const caseId = randomUUID();
      const input: ReviewInput = { caseId, credentialId: randomUUID(), escalateAfterWorkingDays: 5 };
      const handle = await env.client.workflow.start('conversionReviewWorkflow', { workflowId: reviewWorkflowId(caseId), taskQueue, args: [input] });
      started.push(handle);
      const opened = await until(() => handle.query(reviewStateQuery), (v) => v.escalateAt !== undefined);
      const openedAt = Date.parse(opened.openedAt!);
      expect(new Date(openedAt).getUTCDay()).toBe(5);
      expect(Date.parse(opened.escalateAt!) - openedAt).toBe(7 * DAY);

      // Five calendar days later (Wednesday) it is only 3 working days: nothing yet.
      await env.sleep(5 * DAY);
      expect(callsOf('escalateReview', 'caseId', caseId)).toHaveLength(0);
      // An hour before the seventh calendar day ends the fifth working day: still nothing.
      await env.sleep(2 * DAY - HOUR);
      expect(callsOf('escalateReview', 'caseId', caseId)).toHaveLength(0);
      await env.sleep(2 * HOUR);
      const escalations = await until(
        async () => callsOf('escalateReview', 'caseId', caseId),
        (c) => c.length === 1,
      );
      expect(Math.abs(escalations[0]!.at - (openedAt + 7 * DAY))).toBeLessThan(2_000);
      const view = await handle.query(reviewStateQuery);
      expect(view.status).toBe('open');
      expect(view.escalatedAt).toBeDefined();

      // After escalation a supervisor can still take it and decide.
      const supervisor = { staffId: 'sup-1', role: 'supervisor' };
      await handle.executeUpdate(claimCaseUpdate, { args: [{ reviewer: supervisor }] });
      const rejected = await handle.executeUpdate(decideCaseUpdate, { args: [{ reviewer: supervisor, decision: 'reject', reasonCode: 'document_illegible', note: '  scansione sfocata  ' }] });
      expect(rejected).toMatchObject({ status: 'rejected', decidedBy: 'sup-1', reasonCode: 'document_illegible', note: 'scansione sfocata' });
      expect(await handle.result()).toEqual({ caseId, decision: 'rejected' });
      // The code and the trimmed note are recorded with the decision (the case row, the timeline).
      expect(callsOf('recordReviewAction', 'caseId', caseId).at(-1)?.args).toMatchObject({ action: 'reject', staffId: 'sup-1', reasonCode: 'document_illegible', note: 'scansione sfocata' });
      expect(callsOf('escalateReview', 'caseId', caseId)).toHaveLength(1);
      // Saved under a new name: review-escalated-rejected.json stays the history of a free-text rejection (before reason codes).
      await saveHistory('review-escalated-rejected-reason-code', handle);
    });
  });

  it('needs a second, different clerk to confirm an approval when the case requires it, and enforces the rules', async () => {
    await withWorker(async (taskQueue) => {
      const caseId = randomUUID();
      secondReviewCases.add(caseId);
      const input: ReviewInput = { caseId, credentialId: randomUUID(), escalateAfterWorkingDays: 5 };
      const handle = await env.client.workflow.start('conversionReviewWorkflow', { workflowId: reviewWorkflowId(caseId), taskQueue, args: [input] });
      started.push(handle);
      await until(() => handle.query(reviewStateQuery), (v) => v.escalateAt !== undefined);

      expect(await refusal(handle.executeUpdate(decideCaseUpdate, { args: [{ reviewer: clerkA, decision: 'approve' }] }))).toBe('NOT_CLAIMED_BY_YOU');
      expect(await refusal(handle.executeUpdate(claimCaseUpdate, { args: [{ reviewer: { staffId: 'op-1', role: 'operator' } }] }))).toBe('WRONG_ROLE');
      await handle.executeUpdate(claimCaseUpdate, { args: [{ reviewer: clerkA }] });
      expect(await refusal(handle.executeUpdate(claimCaseUpdate, { args: [{ reviewer: clerkB }] }))).toBe('ALREADY_CLAIMED');
      expect(await refusal(handle.executeUpdate(decideCaseUpdate, { args: [{ reviewer: clerkB, decision: 'approve' }] }))).toBe('NOT_CLAIMED_BY_YOU');
      expect(await refusal(handle.executeUpdate(decideCaseUpdate, { args: [{ reviewer: clerkA, decision: 'reject', reason: '  ' }] }))).toBe('REASON_REQUIRED');
      // A rejection names a reason from the list; "other" needs a note; a code goes with a rejection only.
      expect(await refusal(handle.executeUpdate(decideCaseUpdate, { args: [{ reviewer: clerkA, decision: 'reject', note: 'manca qualcosa' }] }))).toBe('REASON_REQUIRED');
      expect(await refusal(handle.executeUpdate(decideCaseUpdate, { args: [{ reviewer: clerkA, decision: 'reject', reasonCode: 'bad_mood' }] }))).toBe('UNKNOWN_REASON');
      expect(await refusal(handle.executeUpdate(decideCaseUpdate, { args: [{ reviewer: clerkA, decision: 'reject', reasonCode: 'other', note: ' ' }] }))).toBe('NOTE_REQUIRED');
      expect(await refusal(handle.executeUpdate(decideCaseUpdate, { args: [{ reviewer: clerkA, decision: 'approve', reasonCode: 'document_expired' }] }))).toBe('REASON_ONLY_TO_REJECT');
      expect(callsOf('recordReviewAction', 'caseId', caseId).map((c) => c.args.action)).toEqual(['claim']);

      const afterFirst = await handle.executeUpdate(decideCaseUpdate, { args: [{ reviewer: clerkA, decision: 'approve' }] });
      expect(afterFirst.status).toBe('awaiting_second_review');
      expect(await refusal(handle.executeUpdate(secondReviewUpdate, { args: [{ reviewer: clerkA, decision: 'confirm' }] }))).toBe('SAME_REVIEWER');
      const confirmed = await handle.executeUpdate(secondReviewUpdate, { args: [{ reviewer: clerkB, decision: 'confirm' }] });
      expect(confirmed).toMatchObject({ status: 'approved', firstDecisionBy: 'clerk-a', decidedBy: 'clerk-b' });
      expect(await handle.result()).toEqual({ caseId, decision: 'approved' });
      expect(callsOf('recordReviewAction', 'caseId', caseId).map((c) => c.args.action)).toEqual(['claim', 'first_approval', 'approve']);
      // Decided: nothing more is accepted.
      await saveHistory('review-second-review-approved', handle);
    });
  });
});

describe('benefit claims held until conversion', () => {
  async function ordinaryCredential(taskQueue: string) {
    const credentialId = randomUUID();
    const input: CredentialWorkflowInput = {
      credentialId,
      policy: DEFAULT_ISSUANCE_POLICY,
      resume: { state: 'active', pinType: 'ordinary', pinVersion: 2, pinExpiresAt: new Date((await env.currentTimeMs()) + 150 * DAY).toISOString(), cycle: 1 },
    };
    const handle = await env.client.workflow.start('pinCredentialWorkflow', { workflowId: `pin-${credentialId}`, taskQueue, args: [input] });
    started.push(handle);
    return { credentialId, handle };
  }

  async function heldClaim(taskQueue: string, credentialId: string) {
    const claimId = randomUUID();
    claims.set(claimId, { credentialId, status: 'waiting_for_dispositivo' });
    const handle = await env.client.workflow.start('benefitClaimWorkflow', { workflowId: claimWorkflowId(claimId), taskQueue, args: [{ claimId, credentialId }] });
    started.push(handle);
    await until(() => handle.query(claimStateQuery), (v) => v.status === 'waiting_for_dispositivo');
    return { claimId, handle };
  }

  it('releases every waiting claim when the PIN becomes dispositivo, and not before', async () => {
    await withWorker(async (taskQueue) => {
      const { credentialId, handle } = await ordinaryCredential(taskQueue);
      const first = await heldClaim(taskQueue, credentialId);
      const second = await heldClaim(taskQueue, credentialId);
      const caseId = randomUUID();
      await handle.executeUpdate(requestConversionUpdate, { args: [{ caseId }] });
      const review = env.client.workflow.getHandle(reviewWorkflowId(caseId));
      await until(() => review.query(reviewStateQuery), (v) => v.escalateAt !== undefined);
      await review.executeUpdate(claimCaseUpdate, { args: [{ reviewer: clerkA }] });

      // Claimed but not decided, days later: the claims still wait.
      await env.sleep(3 * DAY);
      expect((await first.handle.query(claimStateQuery)).status).toBe('waiting_for_dispositivo');
      expect(callsOf('beginClaimProcessing', 'claimId', first.claimId)).toHaveLength(0);
      expect((await handle.query(credentialStateQuery)).pinType).toBe('ordinary');

      await review.executeUpdate(decideCaseUpdate, { args: [{ reviewer: clerkA, decision: 'approve' }] });
      await until(() => first.handle.query(claimStateQuery), (v) => v.status === 'in_processing');
      await until(() => second.handle.query(claimStateQuery), (v) => v.status === 'in_processing');
      const view = await until(() => handle.query(credentialStateQuery), (v) => v.conversion?.status === 'approved');
      expect(view.pinType).toBe('dispositivo');
      expect(view.state).toBe('active');
      expect(callsOf('convertToDispositivo', 'credentialId', credentialId)).toHaveLength(1);
      const marked = calls.find((c) => c.name === 'markClaimReleasesSignalled' && (c.args.claimIds as string[]).includes(first.claimId));
      expect(marked?.args.claimIds).toEqual(expect.arrayContaining([first.claimId, second.claimId]));
      // Converted: a second conversion request is refused.
      expect(await refusal(handle.executeUpdate(requestConversionUpdate, { args: [{ caseId: randomUUID() }] }))).toBe('ALREADY_DISPOSITIVO');
      await saveHistory('credential-conversion-approved', handle);
      await saveHistory('claim-held-then-released', first.handle);
    });
  });

  it('a claim in processing waits for the back office: decided once (a rejection needs its reason), or withdrawn before the decision', async () => {
    await withWorker(async (taskQueue) => {
      const credentialId = randomUUID();
      const processing = randomUUID();
      claims.set(processing, { credentialId, status: 'released' });
      const handle = await env.client.workflow.start('benefitClaimWorkflow', { workflowId: claimWorkflowId(processing), taskQueue, args: [{ claimId: processing, credentialId }] });
      started.push(handle);
      await until(() => handle.query(claimStateQuery), (v) => v.status === 'in_processing');
      await env.sleep(30 * DAY);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      const decide = (decision: 'accepted' | 'rejected', reason?: string) =>
        handle.executeUpdate(decideClaimUpdate, { args: [{ decision, ...(reason ? { reason } : {}), staffId: 'clerk-a', role: 'clerk' }] });
      expect(await refusal(decide('rejected'))).toBe('REASON_REQUIRED');
      // Before a decision the claimant may still withdraw it.
      expect((await handle.executeUpdate(withdrawClaimUpdate, { args: [{ by: 'citizen' }] })).status).toBe('withdrawn');
      expect((await handle.result()).status).toBe('withdrawn');
      expect(callsOf('decideClaim', 'claimId', processing)).toHaveLength(0);
      await saveHistory('claim-withdrawn-in-processing', handle);

      const decided = randomUUID();
      claims.set(decided, { credentialId, status: 'released' });
      const second = await env.client.workflow.start('benefitClaimWorkflow', { workflowId: claimWorkflowId(decided), taskQueue, args: [{ claimId: decided, credentialId }] });
      started.push(second);
      await until(() => second.query(claimStateQuery), (v) => v.status === 'in_processing');
      const view = await second.executeUpdate(decideClaimUpdate, { args: [{ decision: 'rejected', reason: 'Requisiti non soddisfatti', staffId: 'clerk-a', role: 'clerk' }] });
      expect(view).toMatchObject({ status: 'rejected', reason: 'Requisiti non soddisfatti' });
      expect((await second.result()).status).toBe('rejected');
      expect(callsOf('decideClaim', 'claimId', decided)).toHaveLength(1);
      await saveHistory('claim-decided', second);
    });
  });

  it('tells the claimant once that the claim was received, beside its life, and ends only once that is delivered', async () => {
    await withWorker(async (taskQueue) => {
      const credentialId = randomUUID();
      const claimId = randomUUID();
      claims.set(claimId, { credentialId, status: 'released' });
      const handle = await env.client.workflow.start('benefitClaimWorkflow', { workflowId: claimWorkflowId(claimId), taskQueue, args: [{ claimId, credentialId }] });
      started.push(handle);
      await until(() => handle.query(claimStateQuery), (v) => v.status === 'in_processing');
      expect(callsOf('noticeClaimReceived', 'claimId', claimId)).toHaveLength(1);
      await until(async () => callsOf('deliverNotification', 'outboxId', `received-${claimId}`), (c) => c.length === 1);
      await handle.executeUpdate(decideClaimUpdate, { args: [{ decision: 'accepted', staffId: 'clerk-a', role: 'clerk' }] });
      expect((await handle.result()).status).toBe('accepted');
      // Queued first, before the hand-off to processing; delivered once.
      expect(calls.filter((c) => c.args.claimId === claimId).map((c) => c.name)[0]).toBe('noticeClaimReceived');
      expect(callsOf('deliverNotification', 'outboxId', `received-${claimId}`)).toHaveLength(1);
      await saveHistory('claim-received-notice', handle);
    });
  });

  it('keeps the claims waiting when the conversion is rejected, and allows a new request', async () => {
    await withWorker(async (taskQueue) => {
      const { credentialId, handle } = await ordinaryCredential(taskQueue);
      const claim = await heldClaim(taskQueue, credentialId);
      const caseId = randomUUID();
      await handle.executeUpdate(requestConversionUpdate, { args: [{ caseId }] });
      expect(await refusal(handle.executeUpdate(requestConversionUpdate, { args: [{ caseId: randomUUID() }] }))).toBe('REVIEW_IN_PROGRESS');
      const review = env.client.workflow.getHandle(reviewWorkflowId(caseId));
      await until(() => review.query(reviewStateQuery), (v) => v.escalateAt !== undefined);
      await review.executeUpdate(claimCaseUpdate, { args: [{ reviewer: clerkB }] });
      // A decision as sent before reason codes (free text only) is still accepted, as in a history of that time.
      await review.executeUpdate(decideCaseUpdate, { args: [{ reviewer: clerkB, decision: 'reject', reason: 'Firma mancante' }] });
      const view = await until(() => handle.query(credentialStateQuery), (v) => v.conversion?.status === 'rejected');
      expect(view.pinType).toBe('ordinary');
      // The view says "rejected" as soon as the signal lands; the notice's activity follows.
      const closed = await until(async () => callsOf('closeRejectedConversion', 'caseId', caseId), (c) => c.length === 1);
      expect(closed[0]!.args.reason).toBe('Firma mancante');
      expect(callsOf('recordReviewAction', 'caseId', caseId).at(-1)?.args).toMatchObject({ action: 'reject', reason: 'Firma mancante' });
      expect(callsOf('recordReviewAction', 'caseId', caseId).at(-1)?.args).not.toHaveProperty('reasonCode');
      await env.sleep(DAY);
      expect((await claim.handle.query(claimStateQuery)).status).toBe('waiting_for_dispositivo');
      // A new request is accepted after a rejection.
      await handle.executeUpdate(requestConversionUpdate, { args: [{ caseId: randomUUID() }] });
      expect((await handle.query(credentialStateQuery)).conversion?.status).toBe('in_review');
    });
  });
});
