/**
 * What the services are built from: the long-lived dependencies of a running API (pool, Temporal
 * client, keys, clock, log, policies). Each service names the few it needs with `Pick<>`, so a
 * test or another front-end can build one from exactly those.
 */
import type { Client } from '@temporalio/client';
import type { Pool } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { KeyRing } from '../lib/secrets';
import type { IssuancePolicy } from '../workflows/definitions';
import type { IdentityProviderSettings } from './identity/citizen-identity';

export interface ServiceDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  policy: IssuancePolicy;
  eligibilityPolicy: boolean;
  /** Injected so tests can decide what "today" is for date and eligibility checks. */
  now?: () => Date;
  /** The PIN hashing pepper (kept outside the database). */
  pepper: Buffer;
  /** The SPID/CIE/CNS identity provider (OpenID Connect); without it the citizen sign-in, hence the telephone PIN, answers 503. */
  identityProvider?: IdentityProviderSettings;
  /** Wakes the workflow starter after a request is accepted (see workflow-starter.ts). */
  onAccepted?: () => void;
  /** Where uploaded and generated documents are stored (services/conversion/documents.ts); absent: those routes answer 503. */
  documentsDir?: string;
  /** Share of conversion cases sampled for a second clerk (services/conversion/conversions.ts); default 10 %. */
  secondReviewSampleRate?: number;
  /** Secrets at rest (AES-256-GCM key ring): staff TOTP secrets; absent: the console login answers 503. */
  secrets?: KeyRing;
  /** Where the worker appends the audit chain's checkpoints (AUDIT_CHECKPOINT_FILE); the console's check reads them. */
  auditCheckpointFile?: string;
  /** The mail room's folder (letters and manifests), for the console's downloads; absent: those answer 503. */
  mailroomDir?: string;
}
