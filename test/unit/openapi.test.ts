/**
 * The OpenAPI document covers the Express app: every route under /api (and the health probes)
 * has an entry in api/openapi.ts, and every entry is a real route. A route added without a
 * description fails here — describe it with `describeRoute` in api/openapi.ts.
 */
import type { Express } from 'express';
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createApp } from '../../api/app';
import { errorBody } from '../../api/errors';
import { describedRoutes, openApiDocument, openApiPath } from '../../api/openapi';
import * as s from '../../services/schemas/api';
import type { AcceptedRequest } from '../../services/issuance/pin-requests';
import type { NewPinAnswer } from '../../services/access/pin-access';
import type { CreatedTelephonePin } from '../../services/telephone-pin/telephone-pins';
import { DomainError, ErrorType } from '../../domain/errors';
import { pinRequestInputSchema, validatePinRequest, type DeliveryPlan, type PinRequestSummary } from '../../domain/pin-request';
import type { Pool } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { DEFAULT_ISSUANCE_POLICY, type CredentialView, type NewLetterResult } from '../../workflows/definitions';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: string | string[];
}

/** Every (method, path) the app routes, with the prefixes of the routers they are mounted on. */
function routesOf(stack: Layer[], prefix = ''): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  for (const layer of stack) {
    if (layer.route) {
      for (const p of ([] as string[]).concat(layer.route.path)) {
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') out.push({ method, path: prefix + p });
      }
    } else if (layer.handle.stack) {
      // A mounted router: `rawPath` is what `app.use(path, router)` was given ('/' when none).
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      out.push(...routesOf(layer.handle.stack, prefix + mount));
    }
  }
  return out;
}

function appWithoutServers(): Express {
  return createApp({
    pool: {} as Pool,
    temporal: {} as Client,
    taskQueue: 'unused',
    log: createLogger({ level: 'silent', name: 'openapi-test' }),
    policy: DEFAULT_ISSUANCE_POLICY,
    eligibilityPolicy: true,
    pepper: Buffer.alloc(32),
  });
}

const key = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;

describe('OpenAPI document', () => {
  const app = appWithoutServers();
  const routed = routesOf((app as unknown as { router: { stack: Layer[] } }).router.stack).filter(
    (r) => r.path.startsWith('/api/') || r.path === '/healthz' || r.path === '/readyz',
  );

  it('finds the routes of the app (the walk itself works)', () => {
    expect(routed.map(key)).toEqual(expect.arrayContaining(['GET /healthz', 'POST /api/pin-requests', 'GET /api/pin-requests/:id', 'DELETE /api/session']));
  });

  it('describes every route under /api and the health probes — add new ones with describeRoute in api/openapi.ts', () => {
    const described = new Set(describedRoutes().map(key));
    const missing = routed.map(key).filter((k) => !described.has(k));
    expect(missing, `routes without an entry in api/openapi.ts: ${missing.join(', ')}`).toEqual([]);
  });

  it('describes no route that does not exist', () => {
    const real = new Set(routed.map(key));
    expect(describedRoutes().map(key).filter((k) => !real.has(k))).toEqual([]);
  });

  it('is an OpenAPI 3.1 document whose path templates all have their parameters', () => {
    const doc = openApiDocument() as { openapi: string; paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; responses: object; security: unknown[] }>> };
    expect(doc.openapi).toBe('3.1.0');
    for (const [path, ops] of Object.entries(doc.paths)) {
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      for (const op of Object.values(ops)) {
        expect((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name).sort()).toEqual(templated);
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
      }
    }
    expect(openApiPath('/api/callback-tasks/:id/outcome')).toBe('/api/callback-tasks/{id}/outcome');
    // Served as JSON, so it must survive a round trip unchanged.
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('links only to operations it describes', () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, { operationId: string; responses: Record<string, { links?: Record<string, { operationId: string }> }> }>> };
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p));
    const ids = new Set(ops.map((o) => o.operationId));
    expect(ids.size).toBe(ops.length);
    const targets = ops.flatMap((o) => Object.values(o.responses).flatMap((r) => Object.values(r.links ?? {}).map((l) => l.operationId)));
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) expect(ids, t).toContain(t);
  });

  it('gives an example PIN request that the validation accepts', () => {
    expect(pinRequestInputSchema.safeParse(s.EXAMPLE_PIN_REQUEST).success).toBe(true);
    const { request } = validatePinRequest(s.EXAMPLE_PIN_REQUEST, { today: new Date(), eligibilityPolicy: true });
    expect(request.codiceFiscale).toBe(s.EXAMPLE_CODICE_FISCALE);
    expect(s.loginBodySchema.safeParse({ codiceFiscale: s.EXAMPLE_CODICE_FISCALE, pin: 'ABCD2345' }).success).toBe(true);
  });

  it('documents the error body exactly as the error middleware writes it', () => {
    const full = errorBody(
      new DomainError(ErrorType.Validation, { it: 'x', en: 'x' }, [{ field: 'pin', code: 'pin_format', message: { it: 'y', en: 'y' } }], { reason: 'R' }),
    );
    expect(s.errorBodySchema.safeParse(full).success).toBe(true);
    expect(s.errorBodySchema.safeParse(errorBody(new DomainError(ErrorType.NotFound, { it: 'x', en: 'x' }))).success).toBe(true);
    expect(s.errorBodySchema.safeParse({ error: { type: 'NOPE', message: { it: '', en: '' } } }).success).toBe(false);
  });
});

// Response schemas and the TypeScript types the handlers return must say the same thing; tsc
// (npm run typecheck) fails on these lines when one of them changes alone.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShapes: [
  Same<z.output<typeof s.credentialViewSchema>, CredentialView>,
  Same<z.output<typeof s.acceptedRequestSchema>, AcceptedRequest>,
  Same<z.output<typeof s.newPinSchema> | z.output<typeof s.newPinActivatingSchema>, NewPinAnswer>,
  Same<z.output<typeof s.createdTelephonePinSchema>, CreatedTelephonePin>,
  Same<z.output<typeof s.pinRequestSummarySchema>, PinRequestSummary>,
  Same<z.output<typeof s.deliveryPlanSchema>, DeliveryPlan>,
  Same<z.output<typeof s.newLetterSchema>, NewLetterResult>,
] = [true, true, true, true, true, true, true];
void sameShapes;
