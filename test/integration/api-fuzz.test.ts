/**
 * Fuzzing the HTTP API with schemathesis (PyPI, pinned in scripts/ensure-schemathesis.sh)
 * against the real stack: Temporal dev server, PostgreSQL, sinks, a worker, the API with the
 * development OpenID provider, and a supervisor's staff token on every request. The generated requests
 * come from the OpenAPI document the API serves (api/openapi.ts); the run fails on any 5xx, on a
 * response whose body does not match its documented schema, and on an undocumented status.
 *
 * FUZZ_MAX_EXAMPLES (default 20) sets the examples per operation; FUZZ_SEED a seed, or `random`
 * (default: a fixed seed, so CI is reproducible). `npm run fuzz:api` runs this file alone, with
 * more examples and a random seed. Reports go to test-artifacts/api-fuzz/.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { issueStaffToken } from '../../services/staff/auth';
import { describedRoutes } from '../../api/openapi';
import * as s from '../../services/schemas/api';
import { makeCitizen } from '../support/citizens';
import { identitySession } from '../support/identity';
import { requestAndCollect } from '../support/issuance';
import { freshDatabase, startTestStack, type TestStack } from '../support/stack';

const MAX_EXAMPLES = Number(process.env.FUZZ_MAX_EXAMPLES ?? 20);
const SEED = process.env.FUZZ_SEED ?? '20250801';
const REPORT_DIR = path.resolve('test-artifacts', 'api-fuzz');
const onCi = !!process.env.CI && process.env.CI !== 'false';

/** The schemathesis executable, installing it if needed; undefined when that is impossible. */
function schemathesis(): { bin?: string; problem?: string } {
  try {
    const bin = execFileSync('bash', ['scripts/ensure-schemathesis.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    return { bin };
  } catch (err) {
    return { problem: String((err as { stderr?: string }).stderr || err) };
  }
}

const found = schemathesis();
if (!found.bin && !onCi) {
  console.warn(`[api-fuzz] SKIPPED: schemathesis could not be installed (python3 -m venv + pip from PyPI): ${found.problem}`);
}

/** Runs a command without blocking this process's event loop (the API under test lives here). */
function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Figures from the NDJSON event stream: requests sent, and failures by check. */
function figures(ndjson: string): { requests: number; failures: number; byCheck: Record<string, number>; seed?: string } {
  let seed: string | undefined;
  let requests = 0;
  let failures = 0;
  const byCheck: Record<string, number> = {};
  for (const line of ndjson.split('\n')) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as Record<string, unknown>;
    // Read as text: a random seed has more digits than a JavaScript number keeps.
    if ('Initialize' in event) seed ??= /"seed":\s*(\d+)/.exec(line)?.[1];
    const scenario = event.ScenarioFinished as { recorder?: { interactions?: Record<string, unknown>; checks?: Record<string, { name: string; status: string }[]> } } | undefined;
    if (!scenario?.recorder) continue;
    requests += Object.keys(scenario.recorder.interactions ?? {}).length;
    for (const checks of Object.values(scenario.recorder.checks ?? {})) {
      for (const c of checks) {
        if (!['success', 'skip', 'skipped'].includes(c.status.toLowerCase())) {
          failures++;
          byCheck[c.name] = (byCheck[c.name] ?? 0) + 1;
        }
      }
    }
  }
  return { requests, failures, byCheck, seed };
}

let stack: TestStack;
let staffToken: string;

beforeAll(async () => {
  // Its own database: with a supervisor's token the fuzzer acts on whatever it finds, and the
  // workflows of other files' data have no worker any more once their stacks stopped.
  stack = await startTestStack({ identityProvider: true, databaseUrl: await freshDatabase('pin_fuzz') });
  // A supervisor may call every staff route, so the fuzzer gets past authentication.
  staffToken = await issueStaffToken(stack.pool, 'api-fuzz', 'supervisor');
});
afterAll(async () => {
  await stack?.stop();
});

/** A request with a deadline: a hanging answer fails the test instead of stalling it. */
async function send(method: string, url: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${stack.baseUrl}${url}`, { method, ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

// Inputs the fuzzer rarely builds, each of which once got a 500 or no answer at all.
describe('edge cases found while fuzzing', () => {
  it('refuses a batch date that is not a real day (it used to hang: PostgreSQL refused it in an endlessly retried activity)', async () => {
    for (const date of ['2024-02-30', '2023-02-29', '0000-01-01', '2024-04-31']) {
      const res = await send('POST', `/api/mailroom/batches/${date}/dispatch`, { headers: { authorization: `Bearer ${staffToken}` } });
      expect(res.status, date).toBe(400);
      expect(res.body).toMatchObject({ error: { type: 'VALIDATION', fields: [{ field: 'date' }] } });
    }
  });

  it('answers a path parameter that is not valid percent-encoding with 400', async () => {
    for (const url of ['/api/pin-requests/%E0%A4%A', '/api/callback-tasks/%ZZ/outcome', '/api/telephone-pins/%C0']) {
      const res = await send(url.includes('telephone') ? 'DELETE' : url.includes('done') ? 'POST' : 'GET', url, { headers: { authorization: `Bearer ${staffToken}` } });
      expect(res.status, url).toBe(400);
      expect(res.body).toMatchObject({ error: { type: 'VALIDATION' } });
    }
  });

  it('answers a body in an unsupported charset or encoding with 415', async () => {
    const body = JSON.stringify({ codiceFiscale: 'x', pin: 'y' });
    const charset = await send('POST', '/api/sessions', { headers: { 'content-type': 'application/json; charset=latin-9' }, body });
    expect(charset.status).toBe(415);
    expect(charset.body).toMatchObject({ error: { type: 'UNSUPPORTED_MEDIA_TYPE' } });
    const encoding = await send('POST', '/api/sessions', { headers: { 'content-type': 'application/json', 'content-encoding': 'compress' }, body });
    expect(encoding.status).toBe(415);
    expect(encoding.body).toMatchObject({ error: { type: 'UNSUPPORTED_MEDIA_TYPE' } });
  });
});

/** The body, after checking it against the documented schema (strict: no undocumented field). */
function conforming<T>(schema: z.ZodType<T>, res: { status: number; body: unknown }, status: number): T {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  const parsed = schema.safeParse(res.body);
  expect(parsed.error?.issues ?? [], JSON.stringify(res.body)).toEqual([]);
  return parsed.data!;
}

const json = (body: unknown, headers: Record<string, string> = {}) => ({ headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

// The fuzzer cannot log in or hold a PIN, so these answers are checked against the document here.
describe('successful answers the fuzzer cannot reach match the document', () => {
  it('letter resend, first access, login, session, services, logout', async () => {
    const issued = await requestAndCollect(stack, makeCitizen());
    const { codiceFiscale } = issued.citizen;
    conforming(s.letterResentSchema, await send('POST', '/api/letters/resend', json({ codiceFiscale, firstHalf: issued.firstHalf })), 201);
    const { pin } = conforming(s.newPinSchema, await send('POST', '/api/first-access', json({ codiceFiscale, pin: issued.firstHalf + issued.secondHalf })), 200);
    const { token } = conforming(s.loginSchema, await send('POST', '/api/sessions', json({ codiceFiscale, pin })), 201);
    const bearer = { authorization: `Bearer ${token}` };
    conforming(s.currentSessionSchema, await send('GET', '/api/session', { headers: bearer }), 200);
    conforming(s.sessionServicesSchema, await send('GET', '/api/session/services', { headers: bearer }), 200);
    expect((await send('DELETE', '/api/session', { headers: bearer })).status).toBe(204);
    conforming(s.errorBodySchema, await send('GET', '/api/session', { headers: bearer }), 401);
  });

  it('telephone PIN: sign-in, creation, list, caller verification, revocation', async () => {
    const { codiceFiscale } = makeCitizen();
    const identity = { authorization: `Bearer ${await identitySession(stack, codiceFiscale)}` };
    const created = conforming(s.createdTelephonePinSchema, await send('POST', '/api/telephone-pins', json({ validity: '1w' }, identity)), 201);
    conforming(s.telephonePinListSchema, await send('GET', '/api/telephone-pins', { headers: identity }), 200);
    conforming(
      s.callerVerifiedSchema,
      await send('POST', '/api/contact-centre/verify-caller', json({ codiceFiscale, telephonePin: created.pin }, { authorization: `Bearer ${staffToken}` })),
      200,
    );
    conforming(s.revokedTelephonePinSchema, await send('DELETE', `/api/telephone-pins/${created.telephonePinId}`, { headers: identity }), 200);
  });
});

describe.skipIf(!found.bin && !onCi)('API fuzzing with schemathesis', () => {
  beforeAll(() => {
    rmSync(REPORT_DIR, { recursive: true, force: true });
    mkdirSync(REPORT_DIR, { recursive: true });
  });

  it(
    'finds no server error, no response off its schema and no undocumented status',
    async () => {
      // Reached without the executable only under CI, where a missing fuzzer is a failure.
      expect(found.bin, `schemathesis could not be installed: ${found.problem}`).toBeTruthy();
      const ndjsonPath = path.join(REPORT_DIR, 'events.ndjson');
      const args = [
        'run',
        `${stack.baseUrl}/api/openapi.json`,
        '--checks',
        'not_a_server_error,response_schema_conformance,status_code_conformance',
        '--max-examples',
        String(MAX_EXAMPLES),
        ...(SEED === 'random' ? [] : ['--seed', SEED]),
        '--header',
        `Authorization: Bearer ${staffToken}`,
        // A request that hangs is a bug too: it fails instead of stalling the run.
        '--request-timeout',
        '15',
        '--generation-database',
        'none',
        '--no-color',
        '--report',
        'junit,ndjson',
        '--report-dir',
        REPORT_DIR,
        '--report-ndjson-path',
        ndjsonPath,
      ];
      // Run from the report folder: schemathesis keeps its crash cache (for `schemathesis replay`) in ./.schemathesis.
      const { code, output } = await run(found.bin!, args, REPORT_DIR, 15 * 60_000);
      const f = figures(readFileSync(ndjsonPath, 'utf8'));
      const summary =
        `[api-fuzz] schemathesis ${code === 0 ? 'passed' : `FAILED (exit ${code})`}: ${f.requests} requests, ${f.failures} failed checks ${JSON.stringify(f.byCheck)}; ` +
        `max-examples ${MAX_EXAMPLES}, seed ${f.seed}; reports in ${path.relative(process.cwd(), REPORT_DIR)}`;
      // schemathesis's own output goes to a file, not to the test log: its closing banner
      // ("=== 3 warnings in 17s ===") has pytest's shape, and CI's log reader would take it for a
      // test run that executed nothing. It is printed whole only when the run failed.
      writeFileSync(path.join(REPORT_DIR, 'schemathesis.log'), output);
      console.log(summary);
      expect(code, `${output}\n${summary}`).toBe(0);
      // The run did fuzz: at least a few requests per documented operation.
      expect(f.requests).toBeGreaterThan(describedRoutes().length * 3);
    },
    20 * 60_000,
  );
});
