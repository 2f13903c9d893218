/**
 * The Express application, built from its dependencies and separate from `listen`, so tests
 * run it on port 0 against real servers.
 */
import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { IssuancePolicy } from '../workflows/definitions';
import { errorHandler, notFound } from './errors';
import { healthRoutes } from './routes/health';
import { pinRequestRoutes } from './routes/pin-requests';
import { mailRoomRoutes } from './routes/mailroom';
import { contactCentreRoutes } from './routes/contact-centre';
import { telephonePinRoutes } from './routes/telephone-pins';
import { createPinRequestService } from '../services/issuance/pin-requests';
import { portalRoutes } from '../portal/index';
import { consoleRoutes } from '../console/index';
import { firstAccessRoutes } from './routes/first-access';
import { sessionRoutes } from './routes/sessions';
import { codecRoutes } from './routes/codec';
import { httpMetrics, metricsRoutes } from './routes/metrics';
import type { PayloadCodec } from '@temporalio/common';
import type { MetricsAccess } from '../lib/metrics';
import type { KeyRing } from '../lib/secrets';
import { openApiDocument } from './openapi';
import { admissionControl, type AdmissionOptions } from './admission';
import { temporalDeadline } from './temporal-deadline';
import { conversionDocumentRoutes } from './routes/conversion-documents';
import { counterRoutes } from './routes/counter';
import { conversionRoutes } from './routes/conversion';
import { reviewRoutes } from './routes/review';
import { claimRoutes } from './routes/claims';
import { remoteIdentificationRoutes } from './routes/remote-identification';
import { recoveryRoutes } from './routes/recovery';
import { revocationRoutes } from './routes/revocation';
import { contactRoutes } from './routes/contacts';
import { delegationRoutes } from './routes/delegations';

export interface ApiDeps {
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
  /** Identity broker's Ed25519 public key (PEM); without it telephone-PIN creation answers 503. */
  identityBrokerPublicKey?: string;
  /** Wakes the workflow starter after a request is accepted (see workflow-starter.ts). */
  onAccepted?: () => void;
  /** Seals the portal's draft cookie; shared by every API instance (derived from SECRETS_KEY). */
  cookieSecret?: string;
  /** The Temporal payload codec, served to the Web UI at /codec (absent: 503). */
  payloadCodec?: PayloadCodec;
  /** Temporal Web UI origins allowed to call /codec from a browser. */
  codecOrigins?: string[];
  /** Who may read /metrics (absent: nobody). */
  metrics?: MetricsAccess;
  /** Load shedding (api/admission.ts); absent: no limits (tests that build the app directly). */
  admission?: AdmissionOptions;
  /** Deadline of the Temporal calls a request makes (api/temporal-deadline.ts); absent: none. */
  temporalTimeoutMs?: number;
  /** Where uploaded and generated documents are stored (services/conversion/documents.ts); absent: those routes answer 503. */
  documentsDir?: string;
  /** Share of conversion cases sampled for a second clerk (services/conversion/conversions.ts); default 10 %. */
  secondReviewSampleRate?: number;
  /** Secrets at rest (AES-256-GCM key ring): staff TOTP secrets; absent: the console login answers 503. */
  secrets?: KeyRing;
  /** The mail room's folder (letters and manifests), for the console's downloads; absent: those answer 503. */
  mailroomDir?: string;
}

/** Requests being answered right now (the workflow starter gives way to them). */
export interface InFlight {
  count: number;
  /** When the last request finished (ms since the epoch); a burst has gaps between requests. */
  lastDoneAt?: number;
}

/**
 * True while requests are being answered or one finished within `quietMs`: during a burst the
 * count drops to zero for an instant between one client's answer and its next request, and a
 * starter that slipped in there would compete with the rest of the burst.
 */
export function apiBusy(inFlight: InFlight, quietMs = 100, now = Date.now()): boolean {
  return inFlight.count > 0 || (inFlight.lastDoneAt !== undefined && now - inFlight.lastDoneAt < quietMs);
}

export function createApp(deps: ApiDeps, inFlight: InFlight = { count: 0 }): Express {
  const app = express();
  app.use((_req, res, next) => {
    inFlight.count++;
    res.once('close', () => {
      inFlight.count--;
      inFlight.lastDoneAt = Date.now();
    });
    next();
  });
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(httpMetrics());
  // Before any parsing or routing, so a shed request costs next to nothing.
  if (deps.admission) app.use(admissionControl(deps.admission));
  if (deps.temporalTimeoutMs) app.use(temporalDeadline(deps.temporal, deps.temporalTimeoutMs));
  // Ahead of the 64 kB JSON parser: the codec parses its own, larger bodies after authentication.
  app.use(codecRoutes(deps));
  app.use(metricsRoutes(deps));
  // Uploads read raw bodies of up to 10 MB after authentication, so they come before the JSON parser.
  app.use('/api', conversionDocumentRoutes(deps));
  app.use(express.json({ limit: '64kb' }));
  app.use(healthRoutes(deps));
  // Every route under /api must be described in api/openapi.ts (test/unit/openapi.test.ts checks).
  app.get('/api/openapi.json', (_req, res) => res.json(openApiDocument()));
  const pinRequests = createPinRequestService(deps);
  app.use(
    '/portal',
    portalRoutes({ submit: pinRequests.submit, eligibilityPolicy: deps.eligibilityPolicy, now: deps.now, cookieSecret: deps.cookieSecret, log: deps.log, api: deps }),
  );
  app.get('/', (_req, res) => res.redirect('/portal'));
  // The staff console (console/): cookie sessions, CSRF on every form; see docs/decisions/0013.
  app.use('/console', consoleRoutes(deps, pinRequests));
  app.use('/api', pinRequestRoutes(deps, pinRequests));
  app.use('/api', mailRoomRoutes(deps));
  app.use('/api', contactCentreRoutes(deps));
  app.use('/api', telephonePinRoutes(deps));
  app.use('/api', firstAccessRoutes(deps));
  app.use('/api', sessionRoutes(deps));
  app.use('/api', counterRoutes(deps));
  app.use('/api', conversionRoutes(deps));
  app.use('/api', reviewRoutes(deps));
  app.use('/api', claimRoutes(deps));
  app.use('/api', remoteIdentificationRoutes(deps));
  app.use('/api', recoveryRoutes(deps));
  app.use('/api', revocationRoutes(deps));
  app.use('/api', contactRoutes(deps));
  app.use('/api', delegationRoutes(deps));
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
