/**
 * The Express application, built from its dependencies and separate from `listen`, so tests
 * run it on port 0 against real servers.
 */
import express, { type Express } from 'express';
import type { ApiDeps, InFlight } from './deps';
import { errorHandler, notFound } from './errors';
import { handlerDeadline, refuseNulBytes } from '../web/request-guards';
import { healthRoutes } from './routes/health';
import { pinRequestRoutes } from './routes/pin-requests';
import { mailRoomRoutes } from './routes/mailroom';
import { contactCentreRoutes } from './routes/contact-centre';
import { telephonePinRoutes } from './routes/telephone-pins';
import { createCitizenIdentityService } from '../services/identity/citizen-identity';
import { createPinRequestService } from '../services/issuance/pin-requests';
import { portalRoutes } from '../portal/index';
import { consoleRoutes } from '../console/index';
import { firstAccessRoutes } from './routes/first-access';
import { sessionRoutes } from './routes/sessions';
import { codecRoutes } from './routes/codec';
import { httpMetrics, metricsRoutes } from './routes/metrics';
import { openApiDocument } from './openapi';
import { admissionControl } from './admission';
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
  // The client's address (limits, audit) is the socket's unless a configured proxy forwarded the request.
  app.set('trust proxy', deps.trustedProxies?.length ? [...deps.trustedProxies] : false);
  app.use(httpMetrics());
  // Before any parsing or routing, so a shed request costs next to nothing.
  if (deps.admission) app.use(admissionControl(deps.admission));
  if (deps.temporalTimeoutMs) app.use(temporalDeadline(deps.temporal, deps.temporalTimeoutMs));
  // Ahead of the 64 kB JSON parser: the codec parses its own, larger bodies after authentication.
  app.use(codecRoutes(deps));
  app.use(metricsRoutes(deps));
  // Uploads read raw bodies of up to 10 MB after authentication, so they come before the JSON parser.
  app.use('/api', conversionDocumentRoutes(deps));
  // After the uploads and the codec, whose large bodies may take long to arrive on a slow link.
  if (deps.handlerTimeoutMs) app.use(handlerDeadline(deps.handlerTimeoutMs));
  // Compressed bodies are refused (415) rather than inflated: no client needs them, and a
  // decompression bomb or a broken stream must not reach a handler.
  app.use(express.json({ limit: '64kb', inflate: false }));
  app.use(refuseNulBytes());
  app.use(healthRoutes(deps));
  // Every route under /api must be described in api/openapi.ts (test/unit/openapi.test.ts checks).
  app.get('/api/openapi.json', (_req, res) => res.json(openApiDocument()));
  const pinRequests = createPinRequestService(deps);
  // One relying party for the portal and the JSON API: the provider's metadata is read once.
  const identity = createCitizenIdentityService(deps);
  app.use(
    '/portal',
    portalRoutes({ submit: pinRequests.submit, eligibilityPolicy: deps.eligibilityPolicy, now: deps.now, cookieSecret: deps.cookieSecret, log: deps.log, api: deps, identity, letterRetentionDays: deps.letterRetentionDays }),
  );
  app.get('/', (_req, res) => res.redirect('/portal'));
  // The staff console (console/): cookie sessions, CSRF on every form; see docs/decisions/0013.
  app.use('/console', consoleRoutes(deps, pinRequests));
  app.use('/api', pinRequestRoutes(deps, pinRequests));
  app.use('/api', mailRoomRoutes(deps));
  app.use('/api', contactCentreRoutes(deps));
  app.use('/api', telephonePinRoutes(deps, identity));
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
