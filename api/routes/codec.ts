/**
 * The remote codec the Temporal Web UI (and `temporal --codec-endpoint`) calls to show payloads
 * in clear to operations staff, and to encrypt what they send from the UI:
 *
 *   POST /codec/decode  { payloads: [{ metadata: { k: base64 }, data: base64 }] } → same shape
 *   POST /codec/encode  idem
 *
 * The body is the protobuf JSON of `temporal.api.common.v1.Payloads`, as Temporal's codec-server
 * protocol specifies. Browsers call it cross-origin from the UI: the configured UI origins get
 * CORS headers (with `X-Namespace`, which the UI sends) and an answer to the preflight. Staff
 * only (operations, supervisor, admin), checked before the body is even parsed.
 */
import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { ApiDeps } from '../deps';
import { requireStaff, type StaffRole } from '../../services/staff/auth';
import { DomainError, ErrorType, validationError } from '../../domain/errors';

/** Roles that may read payloads in clear. */
const CODEC_ROLES: StaffRole[] = ['operations', 'supervisor', 'admin'];

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'base64');
const payloadsBody = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string().max(256), base64).optional(), data: base64.optional() }))
    .max(10_000),
});
type PayloadJson = z.infer<typeof payloadsBody>['payloads'][number];

const fromJson = (p: PayloadJson): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
  data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
});

const toJson = (p: Payload): PayloadJson => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export interface CodecRouteDeps extends Pick<ApiDeps, 'pool' | 'log'> {
  payloadCodec?: PayloadCodec;
  /** Origins of the Temporal Web UI allowed to call from a browser. */
  codecOrigins?: string[];
}

export function codecRoutes(deps: CodecRouteDeps): Router {
  const r = Router();
  const origins = new Set(deps.codecOrigins ?? []);

  r.use('/codec', (req, res, next) => {
    const origin = req.get('origin');
    res.append('Vary', 'Origin');
    if (origin && origins.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      // The UI's "include cross-origin credentials" option sends cookies; allowed for these origins only.
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
      res.setHeader('Access-Control-Max-Age', '600');
    }
    // A preflight carries no credentials: it is answered before authentication.
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  });

  // The Web UI sends the console's session cookie ("include cross-origin credentials") but no
  // CSRF token; encode/decode change nothing and take JSON only, so the cookie is enough.
  const authenticate: RequestHandler = async (req, res, next) => {
    if (!req.is('application/json')) {
      throw new DomainError(ErrorType.UnsupportedMediaType, { it: 'Il corpo deve essere JSON.', en: 'The body must be JSON.' });
    }
    res.locals.staff = await requireStaff(deps.pool, req, CODEC_ROLES, { csrf: false });
    next();
  };

  for (const op of ['encode', 'decode'] as const) {
    r.post(`/codec/${op}`, authenticate, express.json({ limit: '8mb' }), async (req, res) => {
      const codec = deps.payloadCodec;
      if (!codec) {
        throw new DomainError(ErrorType.Unavailable, { it: 'Codec dei payload non configurato.', en: 'Payload codec not configured.' });
      }
      const parsed = payloadsBody.safeParse(req.body);
      if (!parsed.success) {
        throw validationError([
          { field: 'payloads', code: 'invalid_payloads', message: { it: 'Atteso { payloads: [{ metadata, data }] } in base64.', en: 'Expected { payloads: [{ metadata, data }] } in base64.' } },
        ]);
      }
      const input = parsed.data.payloads.map(fromJson);
      let output: Payload[];
      try {
        output = op === 'encode' ? await codec.encode(input) : await codec.decode(input);
      } catch (err) {
        // The reason names a key id at most, never content: safe to log.
        deps.log.warn({ op, reason: (err as Error).message }, 'codec request refused');
        throw validationError([
          { field: 'payloads', code: 'undecodable', message: { it: 'Payload non decifrabile con le chiavi configurate.', en: 'Payload cannot be decoded with the configured keys.' } },
        ]);
      }
      deps.log.info({ op, staffId: (res.locals.staff as { staffId: string }).staffId, payloads: input.length, namespace: req.get('x-namespace') }, 'codec used');
      res.setHeader('Cache-Control', 'no-store');
      res.json({ payloads: output.map(toJson) });
    });
  }
  return r;
}
