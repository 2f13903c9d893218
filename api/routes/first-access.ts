import { Router, type Response } from 'express';
import type { ApiDeps } from '../deps';
import { createPinAccessService } from '../../services/access/pin-access';

/** The new PIN is in the body: nothing on the way may keep a copy. */
const shownOnce = (res: Response) => res.setHeader('Cache-Control', 'no-store');

/** First access (16 → 8), regeneration after expiry, and "I did not get my letter". */
export function firstAccessRoutes(deps: ApiDeps, service = createPinAccessService(deps)): Router {
  const r = Router();
  r.post('/first-access', async (req, res) => {
    const answer = await service.firstAccess(req, req.body);
    res.status(answer.status === 'active' ? 200 : 202);
    shownOnce(res);
    res.json(answer);
  });
  r.post('/pin/regenerate', async (req, res) => {
    const answer = await service.regenerate(req, req.body);
    res.status(answer.status === 'active' ? 200 : 202);
    shownOnce(res);
    res.json(answer);
  });
  r.post('/letters/resend', async (req, res) => {
    const answer = await service.resendLetter(req, req.body);
    res.status(answer.status === 'requested' ? 201 : 202).json(answer);
  });
  return r;
}
