/**
 * What operations see in the Temporal UI carries no personal data: workflow ids are
 * pseudonymous uuids, search attributes are states, channels and PIN types, there is no memo.
 * (Payload encryption is covered by payload-codec.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCitizen } from '../support/citizens';
import { requestAndCollect, waitFor } from '../support/issuance';
import { startTestStack, type TestStack } from '../support/stack';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { credentialWorkflowId } from '../../workflows/definitions';
import { CLAIM_WORKFLOW_TYPE, claimWorkflowId } from '../../workflows/claim-definitions';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const ALLOWED: Record<string, readonly string[]> = {
  PinState: ['requested', 'issuing', 'awaiting_letter_dispatch', 'awaiting_first_access', 'active', 'pin_expired', 'expired', 'revoked'],
  PinType: ['ordinary', 'dispositivo'],
  PinChannel: ['online', 'contact_centre', 'counter'],
};

describe('Temporal visibility', () => {
  it('shows state, channel and PIN type of a credential, and nothing personal', async () => {
    const citizen = makeCitizen();
    const issued = await requestAndCollect(stack, citizen);
    const workflowId = credentialWorkflowId(issued.credentialId);
    expect(workflowId).toMatch(/^pin-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const description = await waitFor('search attributes', async () => {
      const d = await stack.client.workflow.getHandle(workflowId).describe();
      return d.typedSearchAttributes.getAll().some((p) => p.key.name === 'PinChannel') ? d : undefined;
    });
    const all = Object.fromEntries(description.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]));
    // Temporal's own: the worker build and the patch ids (TemporalChangeVersion); nothing else.
    expect(Object.keys(all).sort()).toEqual(['BuildIds', 'PinChannel', 'PinState', 'PinType', 'TemporalChangeVersion']);
    const attributes = { PinState: all.PinState, PinType: all.PinType, PinChannel: all.PinChannel } as Record<string, string>;
    expect(attributes).toEqual({ PinState: 'awaiting_letter_dispatch', PinType: 'ordinary', PinChannel: 'online' });
    for (const [key, value] of Object.entries(attributes)) expect(ALLOWED[key], key).toContain(value);
    expect(description.memo ?? {}).toEqual({});

    const visible = JSON.stringify({ id: description.workflowId, all, memo: description.memo ?? null, type: description.type });
    for (const personal of [citizen.codiceFiscale, citizen.surname, citizen.name, citizen.email!, citizen.mobile!, citizen.pec!, citizen.residence.address]) {
      expect(visible.toLowerCase()).not.toContain(personal.toLowerCase());
    }

    // Operations filter by these attributes in the UI (or the CLI) without knowing who the citizen is.
    const listed = await waitFor('visibility query', async () => {
      for await (const w of stack.client.workflow.list({ query: `PinChannel = 'online' AND PinState = 'awaiting_letter_dispatch' AND WorkflowId = '${workflowId}'` })) {
        return w.workflowId;
      }
      return undefined;
    });
    expect(listed).toBe(workflowId);
  });
});

describe('failures in history', () => {
  it('keeps failure messages and stack traces encrypted, and decodes them for the application', async () => {
    // A claim workflow for a claim that does not exist fails with "claim <id> not found".
    const claimId = randomUUID();
    const handle = await stack.client.workflow.start(CLAIM_WORKFLOW_TYPE, {
      workflowId: claimWorkflowId(claimId),
      taskQueue: stack.taskQueue,
      args: [{ claimId, credentialId: randomUUID() }],
    });
    const failure = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    // The application (with the codec) reads the real message...
    const activityFailure = (failure as WorkflowFailedError).cause as (Error & { cause?: unknown }) | undefined;
    expect(activityFailure?.cause).toBeInstanceOf(Error);
    expect((activityFailure!.cause as Error).message).toContain('not found');
    // ...the server stores only ciphertext: no message, no stack trace in clear.
    const raw = JSON.stringify(await handle.fetchHistory());
    expect(raw).not.toContain('not found');
    expect(raw).not.toMatch(/activities\/conversion|at async/);
    expect(raw).toContain('Encoded failure');
    const history = await handle.fetchHistory();
    const failed = history.events!.find((e) => e.workflowExecutionFailedEventAttributes)!.workflowExecutionFailedEventAttributes!.failure!;
    const encoding = Buffer.from(failed.encodedAttributes!.metadata!.encoding!).toString();
    expect(encoding).toBe('binary/encrypted');
  });
});
