/**
 * `GET /metrics` (Prometheus exposition) and the middleware that counts every HTTP request by
 * method, route pattern and status. Labels use the pattern the request matched
 * (`/api/mailroom/batches/:date/dispatch`), never the URL, so no id or personal datum becomes a
 * label value.
 */
import { Router, type Request, type RequestHandler } from 'express';
import type { ApiDeps } from '../deps';
import { DomainError, ErrorType } from '../../domain/errors';
import { METRICS_CONTENT_TYPE, collectMetrics, httpDuration, httpRequests, metricsAllowed } from '../../lib/metrics';

/** A mount-path segment that is not a plain word is masked, should a router ever be mounted at a parameter. */
const safeSegment = (s: string): string => (/^[a-z][a-z0-9-]*$/.test(s) ? s : ':param');
const segments = (p: string): string[] => p.split('/').filter(Boolean);

/**
 * The matched route pattern with its mount path (`/api/mailroom/batches/:date/dispatch`), or
 * `unmatched` (404s, static files) — never the URL itself. The mount path is taken from the URL
 * minus the route's own segments, because `req.baseUrl` is reset when an error leaves the router.
 */
function routeLabel(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  if (!route || typeof route.path !== 'string') return 'unmatched';
  const own = segments(route.path);
  const url = segments(req.originalUrl.split('?')[0] ?? '');
  const variableLength = /[*{]/.test(route.path);
  const mount = variableLength ? segments(req.baseUrl) : url.slice(0, Math.max(0, url.length - own.length));
  return `/${[...mount.map(safeSegment), ...own].join('/')}`;
}

/** Counts and times each request once it is answered (or the client went away). */
export function httpMetrics(): RequestHandler {
  return (req, res, next) => {
    const end = httpDuration.startTimer();
    // The route is known only after routing; 'close' fires after 'finish' and on aborts alike.
    res.once('close', () => {
      const labels = { method: req.method, route: routeLabel(req), status: String(res.statusCode) };
      httpRequests.inc(labels);
      end(labels);
    });
    next();
  };
}

export function metricsRoutes(deps: Pick<ApiDeps, 'pool' | 'metrics'>): Router {
  const r = Router();
  r.get('/metrics', async (req, res) => {
    if (!metricsAllowed(deps.metrics ?? { open: false }, req.get('authorization'))) {
      throw new DomainError(ErrorType.Unauthenticated, { it: 'Token delle metriche mancante o non valido.', en: 'Missing or invalid metrics token.' });
    }
    const body = await collectMetrics(deps.pool);
    res.setHeader('Cache-Control', 'no-store');
    res.type(METRICS_CONTENT_TYPE).send(body);
  });
  return r;
}
