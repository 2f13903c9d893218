/**
 * The clerks' review queue for conversions to dispositivo. Reads come from `review_cases`;
 * actions are updates of the case's review workflow, whose validators decide (right role, case
 * open, claimed by this clerk, a reason code required on reject, a different clerk for a second review).
 *
 *   GET  /api/review/cases?status=&escalated=&mine=  → the queue, with the time left before escalation
 *   GET  /api/review/cases/:caseId                   → one case with its documents
 *   POST /api/review/cases/:caseId/claim
 *   POST /api/review/cases/:caseId/decision          { decision: approve|reject, reasonCode?, note? }
 *   POST /api/review/cases/:caseId/second-review     { decision: confirm|reject, reasonCode?, note? }
 *
 * A rejection names `reasonCode` (domain/review-reasons.ts), told to the citizen in their
 * language; `note` stays with the staff. The free-text `reason` of before is taken as the note.
 */
import { Router, type Request } from 'express';
import { caseIdParams, caseNotFound, createReviewActions, createReviewReads, decisionBody, READERS, REVIEWERS, reviewQueueQuery, secondReviewBody } from '../../services/conversion/review';
import { parseInput } from '../../services/schemas/validate';
import { requireStaff } from '../../services/staff/auth';
import type { ApiDeps } from '../deps';

export function reviewRoutes(deps: ApiDeps): Router {
  const r = Router();
  const reads = createReviewReads(deps);
  const actions = createReviewActions(deps);
  const caseIdOf = (req: Request) => {
    const parsed = caseIdParams.safeParse(req.params);
    if (!parsed.success) throw caseNotFound();
    return parsed.data.caseId;
  };

  r.get('/review/cases', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, [...READERS]);
    res.json({ cases: await reads.queue(parseInput(reviewQueueQuery, req.query, 'query'), staff) });
  });
  r.get('/review/cases/:caseId', async (req, res) => {
    await requireStaff(deps.pool, req, [...READERS]);
    res.json(await reads.detail(caseIdOf(req)));
  });
  r.post('/review/cases/:caseId/claim', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, [...REVIEWERS]);
    res.json(await actions.claim(caseIdOf(req), staff));
  });
  r.post('/review/cases/:caseId/decision', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, [...REVIEWERS]);
    const caseId = caseIdOf(req);
    res.json(await actions.decide(caseId, staff, parseInput(decisionBody, req.body)));
  });
  r.post('/review/cases/:caseId/second-review', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, [...REVIEWERS]);
    const caseId = caseIdOf(req);
    res.json(await actions.secondReview(caseId, staff, parseInput(secondReviewBody, req.body)));
  });
  return r;
}
