/**
 * What the HTTP application is built from: the services' dependencies plus what only the HTTP
 * layer uses (cookies, the codec endpoint, metrics access, load shedding, Temporal deadline).
 */
import type { PayloadCodec } from '@temporalio/common';
import type { MetricsAccess } from '../lib/metrics';
import type { ServiceDeps } from '../services/deps';
import type { AdmissionOptions } from './admission';

export interface ApiDeps extends ServiceDeps {
  /** Proxies whose X-Forwarded-For names the client (lib/runtime.ts `trustedProxies`); absent or empty: the socket's address. */
  trustedProxies?: readonly string[];
  /** A request still unanswered after this long gets 503 + Retry-After (web/request-guards.ts); absent: no deadline. */
  handlerTimeoutMs?: number;
  /** The public origin (PUBLIC_BASE_URL) the identity provider sends citizens back to; absent: the request's own. */
  publicBaseUrl?: string;
  /** Days a dispatched letter's PDF is kept (LETTER_RETENTION_DAYS; the worker purges), told in the privacy notice; absent: 30. */
  letterRetentionDays?: number;
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
}

/** Requests being answered right now (the workflow starter gives way to them). */
export interface InFlight {
  count: number;
  /** When the last request finished (ms since the epoch); a burst has gaps between requests. */
  lastDoneAt?: number;
}

