/** Entry point of the workflow bundle: every workflow type the worker registers. */
export { pinCredentialWorkflow } from './credential';
export { mailRoomBatchWorkflow } from './mailroom';
export { telephonePinWorkflow } from './telephone-pin';
export { conversionReviewWorkflow } from './review';
export { benefitClaimWorkflow } from './claim';
export { recoveryLinkWorkflow, contactNoticesWorkflow } from './recovery';
export { delegationWorkflow } from './delegation';
export { conversionSweepWorkflow } from './conversion-sweep';
