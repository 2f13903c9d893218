/**
 * Least privilege on EVERY staff route: the list is built by walking the application's Express
 * router stack, so a route added later is checked without anyone remembering to; the allowed
 * roles come from the small table below (a staff route missing from it fails the test).
 *
 * For each route: no credentials → 401 (API) or a redirect to the login page (console); a
 * citizen's session → 403 with no data; every role not in the table → 403 (API: staff bearer
 * token and console cookie + CSRF; console: cookie + CSRF); every role in the table → neither
 * 401 nor 403 (placeholder ids, so nothing is changed: the answers are 400/404/409).
 * Finally every other /api route is called without credentials: one answering "staff
 * authentication required" is a staff route outside the prefixes, and fails the test.
 */
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { issueStaffToken, type StaffRole } from '../../services/staff/auth';
import { DEFAULT_ISSUANCE_POLICY } from '../../workflows/definitions';
import { makeCitizen } from '../support/citizens';
import { activeCitizen, type ActiveCitizen } from '../support/issuance';
import { createTestStaff, openTestSession } from '../support/staff';
import { startTestStack, type TestStack } from '../support/stack';

const ROLES: StaffRole[] = ['clerk', 'supervisor', 'operator', 'operations', 'admin'];

/** Allowed roles by method and path (first match wins). Written out here, not imported: the test states the policy. */
const TABLE: { method?: string; path: RegExp; roles: StaffRole[] }[] = [
  { method: 'GET', path: /^\/api\/review\//, roles: ['clerk', 'supervisor', 'admin'] },
  { method: 'POST', path: /^\/api\/review\//, roles: ['clerk', 'supervisor'] },
  { method: 'GET', path: /^\/api\/staff\/documents\//, roles: ['clerk', 'supervisor', 'admin'] },
  { method: 'POST', path: /^\/api\/staff\/fax-intake$/, roles: ['clerk', 'supervisor'] },
  { method: 'POST', path: /^\/api\/staff\/delegations(\/|$)/, roles: ['clerk', 'supervisor'] },
  { method: 'GET', path: /^\/api\/staff\/delegations\/[^/]+\/receipt$/, roles: ['clerk', 'supervisor'] },
  { method: 'GET', path: /^\/api\/staff\/claims(\/|$)/, roles: ['clerk', 'supervisor', 'admin'] },
  { method: 'POST', path: /^\/api\/staff\/claims\//, roles: ['clerk', 'supervisor'] },
  { method: 'POST', path: /^\/api\/counter\//, roles: ['clerk', 'supervisor'] },
  { method: 'GET', path: /^\/api\/counter\//, roles: ['clerk', 'supervisor', 'admin'] },
  { path: /^\/api\/contact-centre\//, roles: ['operator', 'supervisor'] },
  { path: /^\/api\/mailroom\//, roles: ['clerk', 'supervisor', 'operations', 'admin'] },
  { path: /^\/api\/callback-tasks/, roles: ['operator', 'supervisor', 'admin'] },
  { path: /^\/api\/credentials\/[^/]+\/letters$/, roles: ['operator', 'supervisor', 'admin'] },
  { path: /^\/codec\//, roles: ['operations', 'supervisor', 'admin'] },
  { path: /^\/console\/?$/, roles: ROLES },
  { path: /^\/console\/logout$/, roles: ROLES },
  { path: /^\/console\/password$/, roles: ROLES },
  { method: 'GET', path: /^\/console\/review/, roles: ['clerk', 'supervisor', 'admin'] },
  { method: 'POST', path: /^\/console\/review/, roles: ['clerk', 'supervisor'] },
  { method: 'GET', path: /^\/console\/claims/, roles: ['clerk', 'supervisor', 'admin'] },
  { method: 'POST', path: /^\/console\/claims/, roles: ['clerk', 'supervisor'] },
  { path: /^\/console\/counter/, roles: ['clerk', 'supervisor'] },
  { path: /^\/console\/contact-centre/, roles: ['operator', 'supervisor'] },
  { path: /^\/console\/citizens/, roles: ['clerk', 'supervisor', 'operator', 'admin'] },
  { path: /^\/console\/mailroom/, roles: ['clerk', 'supervisor', 'operations', 'admin'] },
  { path: /^\/console\/admin\//, roles: ['admin'] },
];

/** Paths whose routes are staff routes (the brief's list plus the codec and the operator's new-letter route). */
const STAFF_PREFIX = /^\/(api\/(review|staff|counter|contact-centre|mailroom|callback-tasks)(\/|$)|api\/credentials\/[^/]+\/letters$|codec\/|console(\/|$))/;
/** Console pages open to anyone: the login. */
const PUBLIC_CONSOLE = /^\/console\/login$/;

interface Route {
  method: string;
  path: string;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

/** Every (method, path) of the app, nested routers included. */
function routesOf(app: Express): Route[] {
  const out: Route[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const p of paths) for (const m of Object.keys(layer.route.methods)) if (m !== '_all') out.push({ method: m.toUpperCase(), path: prefix + p });
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out;
}

/** A concrete URL: ids become fresh UUIDs (nothing exists), dates and names become values no record has. */
function concrete(path: string): string {
  return path.replace(/:(\w+)/g, (_m, name: string) => (/date/i.test(name) ? 'not-a-date' : /username/i.test(name) ? 'nobody-at-all' : randomUUID()));
}

const isConsole = (r: Route) => r.path.startsWith('/console');

let stack: TestStack;
let app: Express;
let citizen: ActiveCitizen;
const tokens = new Map<StaffRole, string>();
const sessions = new Map<StaffRole, { cookie: string; csrf: string }>();

beforeAll(async () => {
  stack = await startTestStack();
  // The same application as the stack serves, built only to read its routes.
  app = createApp({ pool: stack.pool, temporal: stack.client, taskQueue: stack.taskQueue, log: stack.deps.log, policy: DEFAULT_ISSUANCE_POLICY, eligibilityPolicy: true, pepper: stack.deps.keys.pepper });
  citizen = await activeCitizen(stack, makeCitizen());
  for (const role of ROLES) {
    tokens.set(role, await issueStaffToken(stack.pool, `walk-${role}`, role));
    const staff = await createTestStaff(stack, role, `walk-${role}`);
    sessions.set(role, await openTestSession(stack, staff.accountId));
  }
});
afterAll(async () => {
  await stack?.stop();
});

async function call(route: Route, url: string, auth: { bearer?: string; cookie?: string; csrf?: string }) {
  const headers: Record<string, string> = {};
  if (auth.bearer) headers.authorization = `Bearer ${auth.bearer}`;
  if (auth.cookie) headers.cookie = auth.cookie;
  let body: string | undefined;
  if (route.method !== 'GET' && route.method !== 'HEAD') {
    if (isConsole(route)) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(auth.csrf ? { _csrf: auth.csrf } : {}).toString();
    } else {
      headers['content-type'] = 'application/json';
      if (auth.csrf) headers['x-csrf-token'] = auth.csrf;
      body = '{}';
    }
  }
  const res = await fetch(`${stack.baseUrl}${url}`, { method: route.method, headers, body, redirect: 'manual' });
  const text = await res.text();
  return { status: res.status, location: res.headers.get('location'), text };
}

function allowedFor(route: Route): StaffRole[] | undefined {
  return TABLE.find((row) => (!row.method || row.method === route.method) && row.path.test(route.path))?.roles;
}

describe('every staff route', () => {
  it('is found by walking the router, and every one is in the roles table', () => {
    const staffRoutes = routesOf(app).filter((r) => STAFF_PREFIX.test(r.path) && !PUBLIC_CONSOLE.test(r.path));
    const api = staffRoutes.filter((r) => !isConsole(r));
    const consoleRoutes = staffRoutes.filter(isConsole);
    // Not vacuous: the known routes are there.
    expect(api.length).toBeGreaterThanOrEqual(18);
    expect(consoleRoutes.length).toBeGreaterThanOrEqual(25);
    expect(staffRoutes.filter((r) => !allowedFor(r)).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('refuses no credentials, a citizen session and every wrong role; admits every role of the table', async () => {
    const staffRoutes = routesOf(app).filter((r) => STAFF_PREFIX.test(r.path) && !PUBLIC_CONSOLE.test(r.path));
    const problems: string[] = [];
    const expectStatus = (what: string, got: { status: number; location: string | null; text: string }, ok: (s: number, loc: string | null) => boolean) => {
      if (!ok(got.status, got.location)) problems.push(`${what} → ${got.status} ${got.location ?? ''} ${got.text.slice(0, 120)}`);
    };
    for (const route of staffRoutes) {
      const allowed = allowedFor(route)!;
      const url = concrete(route.path);
      const name = `${route.method} ${route.path}`;

      const anonymous = await call(route, url, {});
      if (isConsole(route)) expectStatus(`${name} anonymous`, anonymous, (s, loc) => s === 303 && (loc ?? '').startsWith('/console/login'));
      else expectStatus(`${name} anonymous`, anonymous, (s) => s === 401);

      const asCitizen = await call(route, url, isConsole(route) ? { cookie: `pin_session=${citizen.token}` } : { bearer: citizen.token });
      expectStatus(`${name} citizen`, asCitizen, (s) => s === 403);
      if (asCitizen.text.includes(citizen.citizen.codiceFiscale)) problems.push(`${name} citizen: response holds personal data`);
      if (!isConsole(route) && Object.keys(JSON.parse(asCitizen.text) as object).join() !== 'error') problems.push(`${name} citizen: body is not just an error`);

      for (const role of ROLES) {
        const session = sessions.get(role)!;
        const attempts = isConsole(route)
          ? [{ how: 'cookie', auth: { cookie: session.cookie, csrf: session.csrf } }]
          : [
              { how: 'token', auth: { bearer: tokens.get(role)! } },
              { how: 'cookie', auth: { cookie: session.cookie, csrf: session.csrf } },
            ];
        for (const { how, auth } of attempts) {
          // Logging out would end the session the next routes use.
          if (route.path === '/console/logout' && allowed.includes(role)) continue;
          const res = await call(route, url, auth);
          if (allowed.includes(role)) expectStatus(`${name} ${role} (${how}) allowed`, res, (s) => s !== 401 && s !== 403 && !(s === 303 && res.location?.includes('/login')));
          else expectStatus(`${name} ${role} (${how}) refused`, res, (s) => s === 403);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('leaves no staff route outside the prefixes: no other /api route asks for staff authentication', async () => {
    const others = routesOf(app).filter((r) => (r.path.startsWith('/api/') || r.path.startsWith('/codec')) && !STAFF_PREFIX.test(r.path));
    expect(others.length).toBeGreaterThan(10);
    const staffOnly: string[] = [];
    for (const route of others) {
      const res = await call(route, concrete(route.path), {});
      if (res.status === 401 && res.text.includes('Staff authentication required')) staffOnly.push(`${route.method} ${route.path}`);
    }
    expect(staffOnly).toEqual([]);
  });
});
