/**
 * The Prometheus metrics of the process, in one registry: the API serves it at `GET /metrics`,
 * the worker on `WORKER_METRICS_PORT`. Code anywhere outside workflows increments the exported
 * metrics directly (`issuanceStages.inc({ stage: 'letter_queued' })`).
 *
 * Labels never carry personal data or ids: a stage, a channel, an HTTP method, a route pattern,
 * a status code. A label with unbounded values (an id, a raw URL) would also blow up the series.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from './config';
import type { Pool } from './db';
import { addWorkingDays } from '../domain/working-days';

const registry = new Registry();
// Node's standard process metrics (CPU, memory, event-loop lag), unprefixed as dashboards expect.
collectDefaultMetrics({ register: registry });

/** Stages of the issuance funnel, as counted by the code that completes them. */
export type IssuanceStage =
  /** A request was accepted (API, once per request). */
  | 'requested'
  /** The 16-character PIN was created and its deliveries queued. */
  | 'pin_issued'
  /** One first-half message was delivered (one per channel: SMS, e-mail, PEC). */
  | 'first_half_sent'
  /** A letter with the second half was filed in a mail-room batch (initial and re-sent letters). */
  | 'letter_queued'
  /** A letter left with its batch. */
  | 'letter_dispatched'
  /** The initial PIN was swapped for the personal one. */
  | 'first_access'
  /** An expired personal PIN was replaced by a new one. */
  | 'regeneration';

/**
 * Issuance funnel. Incremented once per state change, after its transaction commits: an activity
 * retried after it had already done its work finds the work done and counts nothing.
 */
export const issuanceStages = new Counter<'stage'>({
  name: 'pin_issuance_stage_total',
  help: 'Issuance stages completed, by stage.',
  labelNames: ['stage'],
  registers: [registry],
});

/** Notifications delivered through the outbox, by channel and purpose (first-half, reminder, ...). */
export const notificationsSent = new Counter<'channel' | 'purpose'>({
  name: 'pin_notifications_sent_total',
  help: 'Outbox notifications delivered, by channel and purpose.',
  labelNames: ['channel', 'purpose'],
  registers: [registry],
});

/** Letters in each mail-room batch, observed once when the batch is dispatched. */
export const lettersPerBatch = new Histogram({
  name: 'pin_mailroom_batch_letters',
  help: 'Letters per dispatched mail-room batch.',
  buckets: [0, 1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
  registers: [registry],
});

/** For the document-review feature: incremented when a review case is escalated (SLA missed). */
export const reviewEscalations = new Counter({
  name: 'pin_review_escalations_total',
  help: 'Document-review cases escalated.',
  registers: [registry],
});

/** 1 while the audit chain verified at the last checkpoint, 0 once it did not (alert on 0). */
export const auditChainIntact = new Gauge({
  name: 'pin_audit_chain_intact',
  help: 'Whether the audit log verified at the worker’s last checkpoint (1) or not (0).',
  registers: [registry],
});

export const httpRequests = new Counter<'method' | 'route' | 'status'>({
  name: 'pin_http_requests_total',
  help: 'HTTP requests answered, by method, route pattern and status.',
  labelNames: ['method', 'route', 'status'],
  registers: [registry],
});

export const httpDuration = new Histogram<'method' | 'route' | 'status'>({
  name: 'pin_http_request_duration_seconds',
  help: 'HTTP request duration, by method, route pattern and status.',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

// Gauges read from PostgreSQL when scraped (see collectMetrics), not kept up to date by writers.
/** Login attempts by how they ended (API and portal share the login service). */
export type LoginOutcome = 'granted' | 'denied' | 'newly_locked' | 'refused_locked' | 'pin_expired';
export const loginOutcomes = new Counter<'outcome'>({
  name: 'pin_login_outcomes_total',
  help: 'Citizen login attempts by outcome: granted, denied (wrong PIN or unknown), newly_locked (this failure started a lock), refused_locked, pin_expired.',
  labelNames: ['outcome'],
  registers: [registry],
});

/** Letters the post brought back; `after_activation` is a possible interception (decision 0019). */
export const lettersReturned = new Counter<'after_activation'>({
  name: 'pin_letters_returned_total',
  help: 'Letters returned to sender and recorded by the mail room; after_activation="true" when the PIN had already been used.',
  labelNames: ['after_activation'],
  registers: [registry],
});

/** The review service level: a case is decided within this many working days (workflows/definitions.ts DEFAULT_REVIEW_POLICY). */
export const REVIEW_SLA_WORKING_DAYS = 5;
const reviewPastSla = new Gauge({
  name: 'pin_review_cases_past_sla',
  help: `Document-review cases still undecided ${REVIEW_SLA_WORKING_DAYS} working days (Italian calendar) after they were opened.`,
  registers: [registry],
});
const reviewOldestAge = new Gauge({
  name: 'pin_review_oldest_open_age_seconds',
  help: 'Age of the oldest undecided document-review case (0 when none).',
  registers: [registry],
});

const outboxPending = new Gauge({ name: 'pin_outbox_pending', help: 'Outbox rows waiting to be delivered.', registers: [registry] });
const outboxLag = new Gauge({
  name: 'pin_outbox_oldest_pending_age_seconds',
  help: 'Age of the oldest outbox row waiting to be delivered (0 when none is).',
  registers: [registry],
});
const reviewQueueDepth = new Gauge({ name: 'pin_review_queue_depth', help: 'Document-review cases waiting for a decision.', registers: [registry] });
const collectErrors = new Counter<'collector'>({
  name: 'pin_metrics_collect_errors_total',
  help: 'Failures reading a scrape-time gauge from the database (the gauge keeps its last value).',
  labelNames: ['collector'],
  registers: [registry],
});

/**
 * Review cases not yet decided (migrations/008: open, claimed, awaiting a second review). The
 * table comes with the document-review feature; where it is not there yet the depth is 0.
 */
const REVIEW_QUEUE_SQL = `SELECT count(*)::int AS n FROM review_cases WHERE status IN ('open', 'claimed', 'awaiting_second_review')`;

const collectors: { name: string; run: (pool: Pool) => Promise<void> }[] = [
  {
    name: 'outbox',
    run: async (pool) => {
      const { rows } = await pool.query<{ pending: number; age: number }>(
        `SELECT count(*)::int AS pending, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age
           FROM outbox WHERE status = 'pending'`,
      );
      outboxPending.set(rows[0]!.pending);
      outboxLag.set(Math.max(0, rows[0]!.age));
    },
  },
  {
    name: 'review_queue',
    run: async (pool) => {
      const { rows } = await pool.query<{ present: boolean }>(`SELECT to_regclass('review_cases') IS NOT NULL AS present`);
      if (!rows[0]!.present) {
        for (const g of [reviewQueueDepth, reviewPastSla, reviewOldestAge]) g.set(0);
        return;
      }
      const depth = await pool.query<{ n: number }>(REVIEW_QUEUE_SQL);
      reviewQueueDepth.set(depth.rows[0]!.n);
      // Past the SLA: opened before the day that is REVIEW_SLA_WORKING_DAYS working days ago.
      // Candidates are read oldest first; only they can be late, and the count stops at the first on time.
      const open = await pool.query<{ created_at: Date }>(
        `SELECT created_at FROM review_cases WHERE status IN ('open', 'claimed', 'awaiting_second_review') ORDER BY created_at LIMIT 10000`,
      );
      const nowMs = Date.now();
      let late = 0;
      for (const { created_at } of open.rows) {
        if (addWorkingDays(created_at.getTime(), REVIEW_SLA_WORKING_DAYS) > nowMs) break;
        late++;
      }
      reviewPastSla.set(late);
      reviewOldestAge.set(open.rows[0] ? Math.max(0, (nowMs - open.rows[0].created_at.getTime()) / 1000) : 0);
    },
  },
];

/** The exposition text, with the database gauges read now from `pool` (if given). */
export async function collectMetrics(pool?: Pool): Promise<string> {
  if (pool) {
    await Promise.all(
      collectors.map((c) =>
        c.run(pool).catch(() => {
          collectErrors.inc({ collector: c.name });
        }),
      ),
    );
  }
  return registry.metrics();
}

export const METRICS_CONTENT_TYPE = registry.contentType;

/** Who may read metrics: a bearer token, or anyone (development without a token). */
export interface MetricsAccess {
  token?: string;
  open: boolean;
}

/** `METRICS_TOKEN` when set; otherwise open except in production, where metrics stay closed. */
export function metricsAccess(config: Pick<Config, 'METRICS_TOKEN' | 'NODE_ENV'>): MetricsAccess {
  return config.METRICS_TOKEN ? { token: config.METRICS_TOKEN, open: false } : { open: config.NODE_ENV !== 'production' };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** True when the `Authorization` header (or its absence) may read metrics. */
export function metricsAllowed(access: MetricsAccess, authorization: string | undefined): boolean {
  if (!access.token) return access.open;
  const presented = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  // Compared as digests: equal lengths for timingSafeEqual, and no early exit on a prefix.
  return presented !== undefined && timingSafeEqual(digest(presented), digest(access.token));
}
