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
import { createPinRequestService } from './pin-requests';
import { portalRoutes } from './portal';
import { firstAccessRoutes } from './routes/first-access';
import { sessionRoutes } from './routes/sessions';

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
}

/** Requests being answered right now (the workflow starter gives way to them). */
export interface InFlight {
  count: number;
}

export function createApp(deps: ApiDeps, inFlight: InFlight = { count: 0 }): Express {
  const app = express();
  app.use((_req, res, next) => {
    inFlight.count++;
    res.once('close', () => inFlight.count--);
    next();
  });
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(express.json({ limit: '64kb' }));
  app.use(healthRoutes(deps));
  const pinRequests = createPinRequestService(deps);
  app.use(
    '/portal',
    portalRoutes({ submit: pinRequests.submit, eligibilityPolicy: deps.eligibilityPolicy, now: deps.now, cookieSecret: deps.cookieSecret, log: deps.log, api: deps }),
  );
  app.get('/', (_req, res) => res.redirect('/portal'));
  app.use('/api', pinRequestRoutes(deps, pinRequests));
  app.use('/api', mailRoomRoutes(deps));
  app.use('/api', contactCentreRoutes(deps));
  app.use('/api', telephonePinRoutes(deps));
  app.use('/api', firstAccessRoutes(deps));
  app.use('/api', sessionRoutes(deps));
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
