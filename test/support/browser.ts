/**
 * A browser-like HTTP client for the portal tests: keeps cookies (honouring expiry), never
 * follows redirects by itself, and posts forms with their CSRF token as a browser would.
 */
import { expect } from 'vitest';

export interface Page {
  status: number;
  location: string | null;
  body: string;
  headers: Headers;
}

export function csrfOf(body: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(body);
  if (!m?.[1]) throw new Error('no CSRF field in page');
  return m[1];
}

export class Browser {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie line received. */
  readonly setCookies: string[] = [];

  constructor(private readonly base: string) {}

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a) || /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    const res = await fetch(this.base + path, {
      method,
      redirect: 'manual',
      headers: {
        ...(this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    this.remember(res);
    return { status: res.status, location: res.headers.get('location'), body: await res.text(), headers: res.headers };
  }

  /** Posts `multipart/form-data` (parts in the order appended), as a browser does for a form with file inputs. */
  async postMultipart(path: string, form: FormData, headers: Record<string, string> = {}): Promise<Page> {
    const res = await fetch(this.base + path, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...(this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}), ...headers },
      body: form,
    });
    this.remember(res);
    return { status: res.status, location: res.headers.get('location'), body: await res.text(), headers: res.headers };
  }

  get(path: string): Promise<Page> {
    return this.request('GET', path);
  }

  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<Page> {
    return this.request('POST', path, form, headers);
  }

  /** Follows a redirect answer with a GET, as a browser does after a 303. */
  async follow(page: Page): Promise<Page> {
    expect([302, 303]).toContain(page.status);
    return this.get(page.location ?? '');
  }

  /** GETs a form page and posts it, with its CSRF token added, to `postPath` (default: the same path). */
  async submitForm(pagePath: string, postPath: string, form: Record<string, string>): Promise<Page> {
    const page = await this.get(pagePath);
    return this.post(postPath, { _csrf: csrfOf(page.body), ...form });
  }

  submit(path: string, form: Record<string, string>): Promise<Page> {
    return this.submitForm(path, path, form);
  }
}
