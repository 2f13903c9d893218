/**
 * Messages and inputs of the recovery-link workflow (`recovery-<linkId>`) and of the
 * contact-change notices workflow (`contacts-<changeId>`). The API imports this module, never the
 * workflow bodies. Only ids travel here: the link token is created and sent inside an activity.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

/**
 * How long a recovery confirmation link stays usable (docs/decisions/0011-recovery-revocation-delegation.md);
 * the API also refuses a link past its `expires_at`.
 */
export const RECOVERY_LINK_VALIDITY = '24 hours';

export interface RecoveryLinkInput {
  /** Row of `recovery_links` written by the API when the request matched. */
  linkId: string;
  /** Lifetime of the link; the real default, shortened only by tests. */
  validFor?: string;
}

/** `not_sent`: the request was voided before its link was created (another link was used). */
export type RecoveryLinkState = 'creating' | 'sent' | 'not_sent' | 'used' | 'expired';

export interface RecoveryLinkView {
  linkId: string;
  state: RecoveryLinkState;
  expiresAt?: string;
}

export const recoveryLinkStateQuery = defineQuery<RecoveryLinkView>('recoveryLinkState');
/** Sent by the API (best effort) once the link was used: the workflow ends without waiting out the lifetime. */
export const recoveryLinkUsedSignal = defineSignal('recoveryLinkUsed');

export const recoveryLinkWorkflowId = (linkId: string): string => `recovery-${linkId}`;
export const RECOVERY_LINK_WORKFLOW_TYPE = 'recoveryLinkWorkflow';

export interface ContactNoticesInput {
  /** Row of `contact_changes` (old and new contacts). */
  changeId: string;
}

export const contactNoticesWorkflowId = (changeId: string): string => `contacts-${changeId}`;
export const CONTACT_NOTICES_WORKFLOW_TYPE = 'contactNoticesWorkflow';
