/**
 * Revocation and recovery of a PIN whose first half cannot be delivered because the SMS gateway
 * is down (it answers 503, so the delivery is being retried): the interrupt cancels that
 * delivery, and the credential workflow goes on cleanly — no failed workflow task, the state
 * answered, the re-issue continued as new. (Before the fix in workflows/credential.ts, the
 * cancelled delivery was an unhandled rejection that failed every later workflow task.)
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporal } from '@temporalio/proto';
import { credentialStateQuery, credentialWorkflowId } from '../../workflows/definitions';
import { makeCitizen } from '../support/citizens';
import { waitForView } from '../support/issuance';
import { caller, linkTokenFrom, mailTo, staffToken } from '../support/lifecycle';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let gateway: Server;
let call: ReturnType<typeof caller>;

beforeAll(async () => {
  // An SMS gateway that is down: every message gets 503, which the delivery retries.
  gateway = createServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
    res.end('{"error":"down"}');
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  stack = await startTestStack({ smsUrl: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}` });
  call = caller(stack);
});
afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => gateway?.close(resolve));
});

/** A requested PIN waiting for its letter, its SMS first half still being retried. */
async function stuckRequest() {
  const citizen = makeCitizen();
  const res = await call('POST', '/api/pin-requests', { body: citizen });
  expect(res.status).toBe(202);
  const credentialId = res.body.credentialId as string;
  const view = await waitForView(stack, credentialId, (v) => v.state === 'awaiting_letter_dispatch' && v.firstHalf.length === 3 && v.firstHalf[1]!.state === 'pending');
  expect(view.firstHalf[0]).toEqual({ channel: 'sms', state: 'pending' });
  return { citizen, credentialId };
}

/** Failed workflow tasks in every run of the credential's workflow (following continue-as-new back). */
async function failedTasks(credentialId: string): Promise<number> {
  const workflowId = credentialWorkflowId(credentialId);
  let runId: string | undefined = (await stack.client.workflow.getHandle(workflowId).describe()).runId;
  let failed = 0;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await stack.client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    failed += events.filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED).length;
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return failed;
}

describe('interrupts while the first half is being retried', () => {
  it('revokes cleanly', async () => {
    const { credentialId } = await stuckRequest();
    const revoked = await call('POST', `/api/contact-centre/credentials/${credentialId}/revoke`, {
      token: await staffToken(stack, 'operator'),
      body: { verification: { method: 'identity_questions', note: 'caller verified by questions' } },
    });
    expect(revoked.status).toBe(200);
    // The workflow answers and has failed no task (it now retries the SMS notice, in order, as designed).
    await new Promise((r) => setTimeout(r, 1_500));
    const view = await stack.client.workflow.getHandle(credentialWorkflowId(credentialId)).query(credentialStateQuery);
    expect(view.state).toBe('revoked');
    expect(await failedTasks(credentialId)).toBe(0);
  });

  it('recovers cleanly: the re-issue continues as new over two channels', async () => {
    const { citizen, credentialId } = await stuckRequest();
    expect((await call('POST', '/api/recovery/requests', { body: { codiceFiscale: citizen.codiceFiscale, email: citizen.email, pec: citizen.pec } })).status).toBe(202);
    const token = linkTokenFrom((await mailTo(stack, citizen.email!, /Conferma il ripristino/)).text);
    const confirmed = await call('POST', '/api/recovery/confirm', { body: { token } });
    expect(confirmed.status).toBe(200);
    const view = await waitForView(stack, credentialId, (v) => v.delivery === 'two_channel' && v.state === 'awaiting_first_access');
    expect(view.pinVersion).toBe(2);
    expect(await failedTasks(credentialId)).toBe(0);
  });
});
