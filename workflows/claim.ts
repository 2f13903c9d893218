/**
 * One workflow per benefit claim (`claim-<claimId>`). The claim was received by the API (its
 * protocol number and timestamp stop the deadline); with an ordinary PIN it waits here until the
 * credential's workflow releases it on conversion to dispositivo, then goes to processing.
 */
import { condition, setHandler } from '@temporalio/workflow';
import { db } from './activity-proxies';
import { claimStateQuery, releaseClaimSignal, type ClaimInput, type ClaimView } from './claim-definitions';



export async function benefitClaimWorkflow({ claimId }: ClaimInput): Promise<ClaimView> {
  const view: ClaimView = { claimId, status: 'received' };
  let released = false;
  setHandler(claimStateQuery, () => view);
  setHandler(releaseClaimSignal, () => {
    released = true;
  });

  // The database is the source of truth: a release that happened before this workflow ran
  // (the signal then found nothing to signal) shows up as status 'released'.
  const { status } = await db.loadClaimStatus({ claimId });
  if (status === 'waiting_for_dispositivo' && !released) {
    view.status = 'waiting_for_dispositivo';
    await condition(() => released);
  }
  const { releasedAt } = await db.beginClaimProcessing({ claimId });
  view.status = 'in_processing';
  view.releasedAt = releasedAt;
  return view;
}
