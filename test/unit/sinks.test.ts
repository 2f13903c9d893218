/**
 * Tests of the development sinks: real SMTP over loopback with nodemailer, real HTTP with fetch.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { startSmtpSink, type SmtpSink, type StoredMail } from '../../dev/sinks/smtp-sink';
import { startSmsSink, type SmsSink } from '../../dev/sinks/sms-sink';
import { startSinksFromEnv } from '../../dev/sinks/main';

/** A nodemailer transport to the sink, plain text as the project's development config uses it. */
function transportTo(sink: SmtpSink, extra: Record<string, unknown> = {}) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port: sink.smtpPort,
    secure: false,
    ignoreTLS: true,
    // Fail fast if something is wrong instead of hanging on nodemailer's long defaults.
    connectionTimeout: 5000,
    greetingTimeout: 5000,
    socketTimeout: 10000,
    ...extra,
  });
}

let tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pin-sinks-'));
  tempDirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs = [];
});

describe('SMTP sink', () => {
  let sink: SmtpSink;
  beforeEach(async () => {
    sink = await startSmtpSink({ smtpPort: 0, httpPort: 0 });
  });
  afterEach(async () => {
    await sink.close();
  });

  it('stores a real SMTP message with its Message-ID, X-* headers and envelope', async () => {
    const transport = transportTo(sink);
    const info = await transport.sendMail({
      from: '"INPS PIN" <noreply@pin.test>',
      to: 'Mario Rossi <mario.rossi@pec.example.it>',
      cc: 'ufficio@example.it',
      bcc: 'audit@example.it',
      subject: 'Il tuo PIN — prima parte',
      text: 'Prima parte del PIN: ABCD1234',
      html: '<p>Prima parte del PIN: <b>ABCD1234</b></p>',
      messageId: '<pin-42.part1@pin.test>',
      headers: { 'X-Channel': 'pec', 'X-Idempotency-Key': 'wf-42/pin-part-1', 'X-Pin-Channel': 'pec' },
    });
    transport.close();
    expect(info.response).toMatch(/^250 /);

    const mail = await sink.waitFor((m) => m.messageId === '<pin-42.part1@pin.test>', 2000);
    expect(mail).toMatchObject({
      messageId: '<pin-42.part1@pin.test>',
      from: 'noreply@pin.test',
      to: ['mario.rossi@pec.example.it'],
      cc: ['ufficio@example.it'],
      subject: 'Il tuo PIN — prima parte',
      envelope: {
        mailFrom: 'noreply@pin.test',
        rcptTo: ['mario.rossi@pec.example.it', 'ufficio@example.it', 'audit@example.it'],
      },
    });
    expect(mail.text.trim()).toBe('Prima parte del PIN: ABCD1234');
    expect(mail.html).toContain('<b>ABCD1234</b>');
    expect(mail.headers['x-channel']).toBe('pec');
    expect(mail.headers['x-pin-channel']).toBe('pec');
    expect(mail.headers['x-idempotency-key']).toBe('wf-42/pin-part-1');
    expect(mail.headers['message-id']).toBe('<pin-42.part1@pin.test>');
    expect(mail.size).toBeGreaterThan(100);
    expect(new Date(mail.receivedAt).getTime()).not.toBeNaN();
    expect(sink.messages()).toHaveLength(1);
  });

  it('accepts any SMTP credentials (AUTH in plain text on loopback)', async () => {
    const transport = transportTo(sink, { auth: { user: 'whoever', pass: 'whatever' } });
    await transport.sendMail({ from: 'a@pin.test', to: 'b@example.it', subject: 'auth', text: 'x' });
    transport.close();
    expect(sink.messages().map((m) => m.subject)).toEqual(['auth']);
  });

  it('serves messages by the JSON API, newest first, filtered by to and subject', async () => {
    const transport = transportTo(sink);
    await transport.sendMail({ from: 'a@pin.test', to: 'one@example.it', subject: 'Primo / first', text: '1' });
    await transport.sendMail({ from: 'a@pin.test', to: 'two@example.it', subject: 'Secondo / second', text: '2' });
    await transport.sendMail({ from: 'a@pin.test', to: 'ONE@example.it', subject: 'Terzo / third', text: '3' });
    transport.close();

    const all = (await (await fetch(`${sink.httpUrl}/api/messages`)).json()) as StoredMail[];
    expect(all.map((m) => m.text.trim())).toEqual(['3', '2', '1']);

    const toOne = (await (await fetch(`${sink.httpUrl}/api/messages?to=one@example.it`)).json()) as StoredMail[];
    expect(toOne.map((m) => m.text.trim())).toEqual(['3', '1']);

    const bySubject = (await (
      await fetch(`${sink.httpUrl}/api/messages?to=${encodeURIComponent('one@example.it')}&subject=PRIMO`)
    ).json()) as StoredMail[];
    expect(bySubject.map((m) => m.text.trim())).toEqual(['1']);

    const one = await fetch(`${sink.httpUrl}/api/messages/${all[0]!.id}`);
    expect(one.status).toBe(200);
    expect(((await one.json()) as StoredMail).subject).toBe('Terzo / third');

    const missing = await fetch(`${sink.httpUrl}/api/messages/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'message not found' });

    const cleared = await fetch(`${sink.httpUrl}/api/messages`, { method: 'DELETE' });
    expect(cleared.status).toBe(204);
    expect(sink.messages()).toEqual([]);
    expect(await (await fetch(`${sink.httpUrl}/api/messages`)).json()).toEqual([]);
  });

  it('escapes subject and bodies on the inbox and message pages, never rendering the mail HTML', async () => {
    const transport = transportTo(sink);
    await transport.sendMail({
      from: 'a@pin.test',
      to: 'victim@example.it',
      subject: '<script>alert("xss")</script> PIN',
      text: 'Text <img src=x onerror=alert(1)> & more',
      html: '<script>alert("html")</script><p onclick="x()">hi</p>',
    });
    transport.close();
    const [mail] = sink.messages();

    const inbox = await fetch(`${sink.httpUrl}/`);
    expect(inbox.status).toBe(200);
    expect(inbox.headers.get('content-type')).toMatch(/text\/html/);
    expect(inbox.headers.get('content-security-policy')).toContain("default-src 'none'");
    const inboxHtml = await inbox.text();
    expect(inboxHtml).toContain('&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt; PIN');
    expect(inboxHtml).not.toContain('<script');
    expect(inboxHtml).toContain('Posta in arrivo / Inbox');
    expect(inboxHtml).toContain('victim@example.it');
    expect(inboxHtml).toContain(`/messages/${mail!.id}`);

    const page = await (await fetch(`${sink.httpUrl}/messages/${mail!.id}`)).text();
    expect(page).not.toContain('<script');
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<p onclick');
    expect(page).toContain('Text &lt;img src=x onerror=alert(1)&gt; &amp; more');
    expect(page).toContain('&lt;script&gt;alert(&quot;html&quot;)&lt;/script&gt;');

    const notFound = await fetch(`${sink.httpUrl}/messages/nope`);
    expect(notFound.status).toBe(404);
  });

  it('shows newest first on the inbox page', async () => {
    const transport = transportTo(sink);
    await transport.sendMail({ from: 'a@pin.test', to: 'x@example.it', subject: 'older-subject', text: '1' });
    await transport.sendMail({ from: 'a@pin.test', to: 'x@example.it', subject: 'newer-subject', text: '2' });
    transport.close();
    const html = await (await fetch(`${sink.httpUrl}/`)).text();
    expect(html.indexOf('newer-subject')).toBeLessThan(html.indexOf('older-subject'));
  });

  it('when unavailable, rejects with a 4xx temporary error and accepts again once back', async () => {
    const transport = transportTo(sink);
    sink.setAvailable(false);
    const error = await transport
      .sendMail({ from: 'a@pin.test', to: 'b@example.it', subject: 'down', text: 'x' })
      .then(
        () => undefined,
        (e: unknown) => e as { responseCode?: number; message: string },
      );
    expect(error).toBeDefined();
    expect(error!.responseCode).toBeGreaterThanOrEqual(400);
    expect(error!.responseCode).toBeLessThan(500);
    expect(sink.messages()).toEqual([]);
    const health = (await (await fetch(`${sink.httpUrl}/healthz`)).json()) as { available: boolean };
    expect(health.available).toBe(false);

    sink.setAvailable(true);
    await transport.sendMail({ from: 'a@pin.test', to: 'b@example.it', subject: 'up', text: 'x' });
    transport.close();
    expect(sink.messages().map((m) => m.subject)).toEqual(['up']);
  });

  it('can be switched unavailable over HTTP (for sinks in another process)', async () => {
    const put = (body: unknown) =>
      fetch(`${sink.httpUrl}/api/availability`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await put({ available: false })).status).toBe(200);
    expect(sink.isAvailable()).toBe(false);
    expect((await put({ available: 'no' })).status).toBe(400);
    expect((await put({ available: true })).status).toBe(200);
    expect(sink.isAvailable()).toBe(true);
  });

  it('rejects a message over 10 MB with a permanent 552', async () => {
    const transport = transportTo(sink);
    const error = await transport
      .sendMail({ from: 'a@pin.test', to: 'b@example.it', subject: 'big', text: 'x'.repeat(11 * 1024 * 1024) })
      .then(
        () => undefined,
        (e: unknown) => e as { responseCode?: number },
      );
    transport.close();
    expect(error?.responseCode).toBe(552);
    expect(sink.messages()).toEqual([]);
  });

  it('waitFor resolves on a later message and rejects on timeout', async () => {
    const pending = sink.waitFor((m) => m.to.includes('later@example.it'), 3000);
    const transport = transportTo(sink);
    await transport.sendMail({ from: 'a@pin.test', to: 'other@example.it', subject: 'no', text: 'x' });
    await transport.sendMail({ from: 'a@pin.test', to: 'later@example.it', subject: 'yes', text: 'x' });
    transport.close();
    expect((await pending).subject).toBe('yes');

    const started = Date.now();
    await expect(sink.waitFor((m) => m.subject === 'never', 150)).rejects.toThrow(/no matching message within 150 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('close rejects pending waiters and can be called twice', async () => {
    const pending = sink.waitFor(() => false, 10_000);
    await sink.close();
    await expect(pending).rejects.toThrow(/closed/);
    await sink.close();
  });
});

describe('SMTP sink persistence', () => {
  it('keeps messages across a restart with storeFile, one JSON line each, and clear truncates it', async () => {
    const storeFile = path.join(tempDir(), 'nested', 'mail.jsonl');
    const first = await startSmtpSink({ storeFile });
    const transport = transportTo(first);
    for (let i = 1; i <= 3; i += 1) {
      await transport.sendMail({
        from: 'a@pin.test',
        to: 'b@example.it',
        subject: `message ${i}`,
        text: `line one\nline two ${i}`,
        messageId: `<persist-${i}@pin.test>`,
        headers: { 'X-Channel': i === 2 ? 'pec' : 'email' },
      });
    }
    transport.close();
    const before = first.messages();
    await first.close();

    const lines = fs.readFileSync(storeFile, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => (JSON.parse(l) as StoredMail).subject)).toEqual(['message 1', 'message 2', 'message 3']);

    const second = await startSmtpSink({ storeFile });
    try {
      expect(second.messages()).toEqual(before);
      expect(second.messages()[1]!.headers['x-channel']).toBe('pec');
      const page = await (await fetch(`${second.httpUrl}/`)).text();
      expect(page).toContain('message 3');
      // An old message still satisfies waitFor immediately.
      expect((await second.waitFor((m) => m.messageId === '<persist-1@pin.test>', 100)).subject).toBe('message 1');

      second.clear();
      expect(fs.readFileSync(storeFile, 'utf8')).toBe('');
    } finally {
      await second.close();
    }
    const third = await startSmtpSink({ storeFile });
    expect(third.messages()).toEqual([]);
    await third.close();
  });

  it('skips a truncated last line and keeps appending on a fresh line', async () => {
    const storeFile = path.join(tempDir(), 'mail.jsonl');
    const good: StoredMail = {
      id: 'old-1',
      receivedAt: '2024-01-01T00:00:00.000Z',
      messageId: '<old@pin.test>',
      from: 'a@pin.test',
      to: ['b@example.it'],
      cc: [],
      subject: 'old',
      text: 'old',
      html: null,
      headers: {},
      envelope: { mailFrom: 'a@pin.test', rcptTo: ['b@example.it'] },
      size: 10,
    };
    fs.writeFileSync(storeFile, `${JSON.stringify(good)}\n{"id":"cut-sh`);
    const warnings: string[] = [];
    const sink = await startSmtpSink({ storeFile, logger: { info: () => {}, warn: (m) => warnings.push(m) } });
    try {
      expect(sink.messages().map((m) => m.id)).toEqual(['old-1']);
      expect(warnings).toHaveLength(1);
      const transport = transportTo(sink);
      await transport.sendMail({ from: 'a@pin.test', to: 'b@example.it', subject: 'new', text: 'x' });
      transport.close();
    } finally {
      await sink.close();
    }
    const reloaded = await startSmtpSink({ storeFile, logger: { info: () => {}, warn: () => {} } });
    expect(reloaded.messages().map((m) => m.subject)).toEqual(['old', 'new']);
    await reloaded.close();
  });
});

describe('SMS sink', () => {
  const apiKey = 'test-key-123';
  let sink: SmsSink;
  beforeEach(async () => {
    sink = await startSmsSink({ port: 0, apiKey });
  });
  afterEach(async () => {
    await sink.close();
  });

  const post = (body: unknown, key: string | null = apiKey, rawBody?: string) =>
    fetch(`${sink.url}/api/sms`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      },
      body: rawBody ?? JSON.stringify(body),
    });

  const valid = { to: '+393331234567', text: 'Seconda parte del PIN: EFGH5678', idempotencyKey: 'wf-42/sms-1' };

  it('accepts an SMS with 202 and stores it', async () => {
    const res = await post({ ...valid, sender: 'INPS' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; status: string; duplicate: boolean };
    expect(body).toEqual({ id: expect.any(String), status: 'accepted', duplicate: false });
    expect(sink.messages()).toEqual([
      {
        id: body.id,
        receivedAt: expect.any(String),
        to: '+393331234567',
        text: valid.text,
        idempotencyKey: 'wf-42/sms-1',
        sender: 'INPS',
      },
    ]);
    expect((await sink.waitFor((s) => s.to === '+393331234567', 100)).id).toBe(body.id);
  });

  it('deduplicates on idempotencyKey but counts the duplicates received', async () => {
    const first = (await (await post(valid)).json()) as { id: string; duplicate: boolean };
    const again = await post(valid);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ id: first.id, status: 'accepted', duplicate: true });
    // Even with a different text the key wins, as on real gateways.
    const third = (await (await post({ ...valid, text: 'changed' })).json()) as { id: string; duplicate: boolean };
    expect(third).toMatchObject({ id: first.id, duplicate: true });

    expect(sink.messages()).toHaveLength(1);
    expect(sink.duplicatesReceived()).toBe(2);
    expect(await (await fetch(`${sink.url}/api/stats`)).json()).toEqual({
      messages: 1,
      duplicatesReceived: 2,
      available: true,
    });

    const other = (await (await post({ ...valid, idempotencyKey: 'wf-42/sms-2' })).json()) as { duplicate: boolean };
    expect(other.duplicate).toBe(false);
    expect(sink.messages()).toHaveLength(2);
  });

  it('answers 401 without or with a wrong API key, storing nothing', async () => {
    const none = await post(valid, null);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toEqual({ error: 'missing or invalid API key' });
    expect((await post(valid, 'wrong')).status).toBe(401);
    expect((await post(valid, `${apiKey}x`)).status).toBe(401);
    expect(sink.messages()).toEqual([]);
  });

  it.each([
    ['a number without +', { ...valid, to: '3331234567' }, /E\.164/],
    ['a number with spaces', { ...valid, to: '+39 333 1234567' }, /E\.164/],
    ['a number too long', { ...valid, to: '+3933312345678901' }, /E\.164/],
    ['an empty text', { ...valid, text: '' }, /text/],
    ['a text of 641 characters', { ...valid, text: 'x'.repeat(641) }, /text/],
    ['a non-string text', { ...valid, text: 42 }, /text/],
    ['no idempotencyKey', { to: valid.to, text: valid.text }, /idempotencyKey/],
    ['a blank idempotencyKey', { ...valid, idempotencyKey: '  ' }, /idempotencyKey/],
    ['a sender too long', { ...valid, sender: 'INPS-PIN-SERVICE' }, /sender/],
    ['an array body', [valid], /JSON object/],
  ])('answers 400 with a JSON error for %s', async (_name, body, pattern) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: string; details: string[] };
    expect(json.error).toBe('invalid request');
    expect(json.details.join('; ')).toMatch(pattern);
    expect(sink.messages()).toEqual([]);
  });

  it('accepts exactly 640 characters, counting an emoji as one', async () => {
    expect((await post({ ...valid, text: `${'x'.repeat(639)}😀` })).status).toBe(202);
  });

  it('answers 400 with JSON for malformed JSON', async () => {
    const res = await post(undefined, apiKey, '{"to": ');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(((await res.json()) as { error: string }).error).toBeTruthy();
  });

  it('when unavailable answers 503 with Retry-After, then accepts again', async () => {
    sink.setAvailable(false);
    const res = await post(valid);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(sink.messages()).toEqual([]);
    expect(sink.duplicatesReceived()).toBe(0);

    sink.setAvailable(true);
    expect((await post(valid)).status).toBe(202);
    expect(sink.messages()).toHaveLength(1);
  });

  it('serves the JSON API filtered by to, newest first, and clears with DELETE', async () => {
    await post({ ...valid, idempotencyKey: 'k1', text: 'one' });
    await post({ ...valid, idempotencyKey: 'k2', to: '+393339999999', text: 'two' });
    await post({ ...valid, idempotencyKey: 'k3', text: 'three' });
    await post({ ...valid, idempotencyKey: 'k3', text: 'three' });

    type Sms = { id: string; text: string };
    const all = (await (await fetch(`${sink.url}/api/messages`)).json()) as Sms[];
    expect(all.map((m) => m.text)).toEqual(['three', 'two', 'one']);
    const filtered = (await (await fetch(`${sink.url}/api/messages?to=${encodeURIComponent(valid.to)}`)).json()) as Sms[];
    expect(filtered.map((m) => m.text)).toEqual(['three', 'one']);
    expect(((await (await fetch(`${sink.url}/api/messages/${all[1]!.id}`)).json()) as Sms).text).toBe('two');
    expect((await fetch(`${sink.url}/api/messages/nope`)).status).toBe(404);

    expect((await fetch(`${sink.url}/api/messages`, { method: 'DELETE' })).status).toBe(204);
    expect(sink.messages()).toEqual([]);
    expect(sink.duplicatesReceived()).toBe(0);
    // After a clear the key is forgotten, like a fresh gateway.
    expect(((await (await post({ ...valid, idempotencyKey: 'k1' })).json()) as { duplicate: boolean }).duplicate).toBe(false);
  });

  it('escapes the text on the bilingual inbox page', async () => {
    await post({ ...valid, text: '<script>alert(1)</script> & PIN' });
    const res = await fetch(`${sink.url}/`);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; PIN');
    expect(html).not.toContain('<script');
    expect(html).toContain('SMS ricevuti / SMS inbox');
    expect(html).toContain('+393331234567');
  });

  it('waitFor rejects on timeout', async () => {
    await expect(sink.waitFor((s) => s.to === '+390000000', 100)).rejects.toThrow(/no matching message within 100 ms/);
  });

  it('waitFor resolves on an SMS arriving later', async () => {
    const pending = sink.waitFor((s) => s.idempotencyKey === 'later', 3000);
    await post({ ...valid, idempotencyKey: 'later' });
    expect((await pending).idempotencyKey).toBe('later');
  });

  it('can be switched unavailable over HTTP', async () => {
    const res = await fetch(`${sink.url}/api/availability`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ available: false }),
    });
    expect(res.status).toBe(200);
    expect((await post(valid)).status).toBe(503);
  });
});

describe('SMS sink without API key and with persistence', () => {
  it('accepts without Authorization when no key is set', async () => {
    const sink = await startSmsSink({});
    try {
      const res = await fetch(`${sink.url}/api/sms`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to: '+393331234567', text: 'hi', idempotencyKey: 'k' }),
      });
      expect(res.status).toBe(202);
    } finally {
      await sink.close();
    }
  });

  it('keeps messages and idempotency keys across a restart', async () => {
    const storeFile = path.join(tempDir(), 'sms.jsonl');
    const send = (sink: SmsSink, key: string) =>
      fetch(`${sink.url}/api/sms`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to: '+393331234567', text: `text ${key}`, idempotencyKey: key }),
      }).then((r) => r.json() as Promise<{ id: string; duplicate: boolean }>);

    const first = await startSmsSink({ storeFile });
    const a = await send(first, 'a');
    await send(first, 'b');
    await send(first, 'a');
    await first.close();
    expect(fs.readFileSync(storeFile, 'utf8').trimEnd().split('\n')).toHaveLength(2);

    const second = await startSmsSink({ storeFile });
    try {
      expect(second.messages().map((m) => m.idempotencyKey)).toEqual(['a', 'b']);
      expect(await send(second, 'a')).toEqual({ id: a.id, status: 'accepted', duplicate: true });
      expect(second.messages()).toHaveLength(2);
      expect(await (await fetch(`${second.url}/`)).text()).toContain('text b');
    } finally {
      await second.close();
    }
  });
});

describe('dev sinks CLI', () => {
  it('starts both sinks from the environment and closes them', async () => {
    const sinks = await startSinksFromEnv({
      SMTP_SINK_PORT: '0',
      SMTP_SINK_HTTP_PORT: '0',
      SMS_SINK_PORT: '0',
      SMTP_SINK_STORE: '',
      SMS_SINK_STORE: '',
    });
    try {
      expect(sinks.smtp.smtpPort).toBeGreaterThan(0);
      expect((await fetch(`${sinks.smtp.httpUrl}/healthz`)).status).toBe(200);
      expect((await fetch(`${sinks.sms.url}/healthz`)).status).toBe(200);
    } finally {
      await sinks.close();
    }
  });

  it('refuses a malformed port', async () => {
    await expect(startSinksFromEnv({ SMTP_SINK_PORT: 'abc' })).rejects.toThrow(/SMTP_SINK_PORT/);
  });
});
