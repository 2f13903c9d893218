/**
 * Signing a citizen in with the development OpenID provider (dev/oidc-provider.ts), as a browser
 * would: follow the redirects by hand, keep each site's cookies, pick the identity on the
 * provider's login screen. Used by the telephone-PIN tests through the API.
 */
import { expect } from 'vitest';
import type { DevIdentity } from '../../dev/oidc-provider';
import type { TestStack } from './stack';

/** A minimal cookie jar per origin: enough for the API's sealed cookie and the provider's session cookies. */
export class CookieJar {
  private readonly jars = new Map<string, Map<string, string>>();

  header(url: URL): string {
    return [...(this.jars.get(url.origin) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  store(url: URL, res: Response): void {
    const jar = this.jars.get(url.origin) ?? new Map<string, string>();
    this.jars.set(url.origin, jar);
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }
}

/** One request with the jar's cookies, no redirect following. */
export async function jarFetch(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const u = new URL(url);
  const res = await fetch(u, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header(u) } });
  jar.store(u, res);
  return res;
}

/** Follows 3xx answers (GET) from `url` until a page that is not a redirect. */
export async function followRedirects(jar: CookieJar, url: string, init: RequestInit = {}): Promise<{ res: Response; url: string }> {
  let current = url;
  let res = await jarFetch(jar, current, init);
  for (let hops = 0; res.status >= 300 && res.status < 400; hops++) {
    expect(hops, 'too many redirects').toBeLessThan(10);
    current = new URL(res.headers.get('location')!, current).href;
    res = await jarFetch(jar, current);
  }
  return { res, url: current };
}

/**
 * From `startUrl` (a front-end's "sign in" link) through the provider's login screen as
 * `person`, back to the front-end's callback; returns the callback's final answer.
 */
export async function signInAs(stack: TestStack, person: DevIdentity, startUrl: string, jar = new CookieJar()): Promise<{ res: Response; url: string; jar: CookieJar }> {
  stack.idp!.addIdentity(person);
  const login = await followRedirects(jar, startUrl);
  expect(login.url.startsWith(stack.idp!.issuer), `expected the provider's login screen, got ${login.url}`).toBe(true);
  const page = await login.res.text();
  const action = /action="(\/interaction\/[^"]+\/login)"/.exec(page)?.[1];
  expect(action, 'the provider shows its login screen').toBeTruthy();
  const posted = await jarFetch(jar, new URL(action!, stack.idp!.issuer).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ codiceFiscale: person.codiceFiscale }).toString(),
  });
  expect(posted.status).toBeGreaterThanOrEqual(300);
  const back = await followRedirects(jar, new URL(posted.headers.get('location')!, stack.idp!.issuer).href);
  return { ...back, jar };
}

/** An API identity session for `codiceFiscale` (SPID unless told), through the real sign-in. */
export async function identitySession(stack: TestStack, codiceFiscale: string, method: DevIdentity['method'] = 'SPID'): Promise<string> {
  const { res } = await signInAs(stack, { codiceFiscale, givenName: 'Prova', familyName: 'Cittadino', method }, `${stack.baseUrl}/api/identity/authorize`);
  const body = (await res.json()) as { sessionToken?: string; codiceFiscale?: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  expect(body.codiceFiscale).toBe(codiceFiscale);
  return body.sessionToken!;
}
