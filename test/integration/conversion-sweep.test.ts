/**
 * The conversion sweep on the real servers (its schedule runs it every 15 minutes; here it is
 * started directly, on a database of its own so its counts are this file's). A conversion request
 * recorded while the workflow's answer was lost, with nobody left to ask again, has its review
 * opened by the sweep; one whose credential's workflow has ended is released with its documents;
 * a request younger than the sweep's margin is left to the API; a second sweep finds nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { makeCitizen } from '../support/citizens';
import { activeCitizen, waitFor, type ActiveCitizen } from '../support/issuance';
import { apiCall, PNG } from '../support/api';
import { freshDatabase, startTestStack, type TestStack } from '../support/stack';
import { openConversion } from '../../services/conversion/conversions';
import { credentialWorkflowId } from '../../workflows/definitions';
import { reviewWorkflowId } from '../../workflows/review-definitions';
import { CONVERSION_SWEEP_WORKFLOW_TYPE, type ConversionSweepInput, type ConversionSweepResult } from '../../workflows/conversion-sweep-definitions';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ secondReviewSampleRate: 0, databaseUrl: await freshDatabase('pin_sweep') });
});
afterAll(async () => {
  await stack?.stop();
});

/** A Temporal whose answer to the request never comes back (the connection dropped on the way). */
const answerLost = {
  workflow: { getHandle: () => ({ executeUpdate: () => Promise.reject(new Error('14 UNAVAILABLE: connection dropped')) }) },
} as unknown as Client;

/**
 * A counter clerk files the holder's conversion with both documents; Temporal's answer is lost,
 * the clerk is told so, and nobody asks again: the case is recorded, its review not opened.
 */
async function requestWithAnswerLost(holder: ActiveCitizen): Promise<{ caseId: string; documentIds: string[] }> {
  const upload = async (kind: string, filename: string, raw: Buffer, type: string) =>
    (await apiCall(stack, 'POST', `/api/conversion/documents?kind=${kind}&filename=${filename}`, { token: holder.token, raw, type })).body.documentId as string;
  const form = await apiCall(stack, 'GET', '/api/conversion/form', { token: holder.token });
  const documentIds = [await upload('signed_request', 'richiesta-firmata.pdf', form.bytes, 'application/pdf'), await upload('identity_document', 'passaporto.png', PNG, 'image/png')];
  await expect(openConversion({ pool: stack.pool, temporal: answerLost }, { credentialId: holder.credentialId, documentIds, source: 'office', createdBy: 'staff:sportello-1' })).rejects.toThrow('UNAVAILABLE');
  const { rows } = await stack.pool.query<{ id: string; status: string; escalate_at: Date | null }>('SELECT id, status, escalate_at FROM review_cases WHERE credential_id = $1::uuid', [holder.credentialId]);
  expect(rows).toEqual([{ id: expect.any(String), status: 'open', escalate_at: null }]);
  return { caseId: rows[0]!.id, documentIds };
}

const sweep = (input: ConversionSweepInput): Promise<ConversionSweepResult> =>
  stack.client.workflow.execute(CONVERSION_SWEEP_WORKFLOW_TYPE, { workflowId: `conversion-sweep-test-${randomUUID()}`, taskQueue: stack.taskQueue, args: [input] });

const reviewExists = (caseId: string) => stack.client.workflow.getHandle(reviewWorkflowId(caseId)).describe().then(() => true, () => false);

const caseRow = async (caseId: string) =>
  (await stack.pool.query<{ status: string; reason: string | null; escalate_at: Date | null }>('SELECT status, reason, escalate_at FROM review_cases WHERE id = $1::uuid', [caseId])).rows[0]!;

describe('conversion sweep', () => {
  it('opens the review nobody asked for again, releases the request of an ended workflow, and then finds nothing', async () => {
    const waiting = await activeCitizen(stack, makeCitizen());
    const ended = await activeCitizen(stack, makeCitizen());
    const lost = await requestWithAnswerLost(waiting);
    const orphan = await requestWithAnswerLost(ended);
    expect(await reviewExists(lost.caseId)).toBe(false);
    // The credential's workflow ended behind the database's back (an operator terminated it).
    await stack.client.workflow.getHandle(credentialWorkflowId(ended.credentialId)).terminate('ended by operations');

    // With the schedule's margin (10 minutes), both are too young: the API may still be asking.
    expect(await sweep({})).toEqual({ found: 0, opened: 0, released: 0, unanswered: 0 });
    expect(await reviewExists(lost.caseId)).toBe(false);

    expect(await sweep({ olderThanMinutes: 0 })).toEqual({ found: 2, opened: 1, released: 1, unanswered: 0 });
    // The lost request: its review workflow runs and has set the case's deadline.
    await waitFor('the review case open', async () => ((await caseRow(lost.caseId)).escalate_at ? true : undefined));
    expect(await reviewExists(lost.caseId)).toBe(true);
    expect((await caseRow(lost.caseId)).status).toBe('open');
    // The orphan: closed as refused, its documents free for a new request.
    expect(await caseRow(orphan.caseId)).toMatchObject({ status: 'rejected', reason: 'refused_by_workflow' });
    const { rows: docs } = await stack.pool.query<{ case_id: string | null }>('SELECT case_id FROM documents WHERE id = ANY($1::uuid[])', [orphan.documentIds]);
    expect(docs.map((d) => d.case_id)).toEqual([null, null]);

    // Nothing left: the opened case has its deadline, the orphan is closed.
    expect(await sweep({ olderThanMinutes: 0 })).toEqual({ found: 0, opened: 0, released: 0, unanswered: 0 });
  });
});
