/** Entry point of the workflow bundle: every workflow type the worker registers. */
export { pinCredentialWorkflow } from './credential';
export { mailRoomBatchWorkflow } from './mailroom';
export { telephonePinWorkflow } from './telephone-pin';
