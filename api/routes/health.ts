import { Router } from 'express';
import type { ApiDeps } from '../deps';
import { databaseAnswers } from '../../lib/db';
import { withTimeout } from '../../lib/async';

/** Liveness (the process answers) and readiness (Temporal and PostgreSQL both answer). */
export function healthRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const [database, temporal] = await Promise.all([
      databaseAnswers(deps.pool),
      withTimeout(deps.temporal.workflowService.getSystemInfo({}), 2_000).then(
        () => true,
        () => false,
      ),
    ]);
    const ready = database && temporal;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { database, temporal } });
  });
  return r;
}
