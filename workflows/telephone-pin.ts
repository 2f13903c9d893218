/**
 * One workflow per telephone PIN (`telpin-<telephonePinId>`): a timer for its validity, and an
 * early end when the citizen revokes it or too many wrong verifications lock it. The PIN itself
 * is created, hashed and shown by the API before this workflow starts; only the id comes here.
 */
import { ApplicationFailure, allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import { db } from './activity-proxies';
import { durationToMs } from '../domain/durations';
import {
  TELEPHONE_PIN_VALIDITY,
  revokeTelephonePinUpdate,
  telephonePinLockedSignal,
  telephonePinStateQuery,
  type TelephonePinView,
  type TelephonePinWorkflowInput,
} from './telephone-pin-definitions';

export async function telephonePinWorkflow(input: TelephonePinWorkflowInput): Promise<TelephonePinView> {
  const { telephonePinId, validity } = input;
  const validForMs = durationToMs(input.validFor ?? TELEPHONE_PIN_VALIDITY[validity]);
  const expiresAtMs = Date.now() + validForMs;
  const view: TelephonePinView = { telephonePinId, validity, state: 'active', expiresAt: new Date(expiresAtMs).toISOString() };

  // Handlers are registered before the first await so no early message is lost.
  setHandler(telephonePinStateQuery, () => view);

  setHandler(telephonePinLockedSignal, () => {
    // The API has already written 'locked' (and audited it); the workflow only stops waiting.
    if (view.state === 'active') {
      view.state = 'locked';
      view.endedAt = new Date().toISOString();
    }
  });

  const refuseUnlessActive = (): void => {
    if (view.state !== 'active') throw ApplicationFailure.nonRetryable('NOT_ACTIVE', 'CONFLICT');
  };

  setHandler(
    revokeTelephonePinUpdate,
    async ({ revokedBy, assertionId }) => {
      // Checked again, synchronously: two updates may both pass the validator.
      refuseUnlessActive();
      // Set before the await, so the expiry timer cannot also fire an expiry for this PIN.
      view.state = 'revoking';
      const { status, endedAt } = await db.revokeTelephonePin({ telephonePinId, revokedBy, assertionId });
      // 'locked' or 'expired' when that reached the database first: the row says what happened.
      view.state = status;
      view.endedAt = endedAt;
      return view;
    },
    {
      validator: ({ revokedBy }) => {
        if (!revokedBy) throw new Error('revokedBy is required');
        refuseUnlessActive();
      },
    },
  );

  const endedEarly = await condition(() => view.state !== 'active', validForMs);
  if (!endedEarly) {
    const { status, endedAt } = await db.expireTelephonePin({ telephonePinId });
    view.state = status;
    view.endedAt = endedAt;
  }
  await condition(allHandlersFinished);
  return view;
}
