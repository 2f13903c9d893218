/**
 * The AES-256-GCM payload codec: what the worker and the clients put around every Temporal
 * payload. Round trip through the SDK's own converter, rotation, and the failures an operator
 * must be able to tell apart (unknown key, altered ciphertext).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { loadConfig } from '../../lib/config';
import { isRefusedPayload } from '../../domain/payload-refusal';
import {
  AesGcmPayloadCodec,
  ENCODING_ENCRYPTED,
  METADATA_KEY_ID,
  PayloadDecryptionError,
  isEncryptedPayload,
  loadPayloadKeys,
  parsePayloadKeys,
  temporalUiOrigins,
} from '../../lib/payload-codec';

const key = () => randomBytes(32).toString('base64');
const meta = (p: Payload, k: string) => Buffer.from(p.metadata![k]!).toString('utf8');
const toPayload = (v: unknown) => defaultPayloadConverter.toPayload(v);
const fromPayload = (p: Payload) => defaultPayloadConverter.fromPayload(p);

describe('payload codec', () => {
  const value = { credentialId: '4b7c6a0e-2f1d-4c8e-9a51-0c2d3e4f5a6b', pinType: 'ordinary', email: 'mario.rossi@example.it' };

  it('round-trips payloads, hiding data and original metadata', async () => {
    const codec = new AesGcmPayloadCodec(parsePayloadKeys(`k1:${key()}`));
    const plain = [toPayload(value), toPayload(null), toPayload('x'.repeat(100_000))];
    const encoded = await codec.encode(plain);
    expect(encoded).toHaveLength(3);
    for (const p of encoded) {
      expect(Object.keys(p.metadata!).sort()).toEqual([METADATA_KEY_ID, 'encoding'].sort());
      expect(meta(p, 'encoding')).toBe(ENCODING_ENCRYPTED);
      expect(meta(p, METADATA_KEY_ID)).toBe('k1');
      expect(isEncryptedPayload(p)).toBe(true);
      const raw = Buffer.from(p.data!).toString('latin1');
      expect(raw).not.toContain('ordinary');
      expect(raw).not.toContain('json/plain');
    }
    const decoded = await codec.decode(encoded);
    expect(fromPayload(decoded[0]!)).toEqual(value);
    expect(fromPayload(decoded[1]!)).toBeNull();
    expect(fromPayload(decoded[2]!)).toBe('x'.repeat(100_000));
    expect(await codec.encode([])).toEqual([]);
  });

  it('never encrypts the same payload to the same bytes', async () => {
    const codec = new AesGcmPayloadCodec(parsePayloadKeys(`k1:${key()}`));
    const [a, b] = await codec.encode([toPayload(value), toPayload(value)]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('decodes with an old key after a new current key is put in front', async () => {
    const oldKey = key();
    const before = new AesGcmPayloadCodec(parsePayloadKeys(`2024:${oldKey}`));
    const sealedOld = await before.encode([toPayload(value)]);

    const after = new AesGcmPayloadCodec(parsePayloadKeys(`2025:${key()},2024:${oldKey}`));
    const sealedNew = await after.encode([toPayload(value)]);
    expect(meta(sealedNew[0]!, METADATA_KEY_ID)).toBe('2025');
    expect(fromPayload((await after.decode(sealedOld))[0]!)).toEqual(value);
    expect(fromPayload((await after.decode(sealedNew))[0]!)).toEqual(value);
    // The old ring cannot read what the new key wrote, and says which key it lacks.
    await expect(before.decode(sealedNew)).rejects.toThrow(/unknown key id "2025"/);
  });

  it('refuses an unknown key id with a clear error', async () => {
    const a = new AesGcmPayloadCodec(parsePayloadKeys(`a:${key()}`));
    const b = new AesGcmPayloadCodec(parsePayloadKeys(`b:${key()}`));
    const err = await b.decode(await a.encode([toPayload(value)])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadDecryptionError);
    expect((err as Error).message).toBe('encrypted payload names unknown key id "a": add that key to PAYLOAD_KEYS');
  });

  it('fails on altered ciphertext, tag, iv, key id, or a key swapped under the same id', async () => {
    const k = key();
    const codec = new AesGcmPayloadCodec(parsePayloadKeys(`k:${k},other:${k}`));
    const [sealed] = await codec.encode([toPayload(value)]);
    const flip = (at: (n: number) => number): Payload => {
      const data = Buffer.from(sealed!.data!);
      data[at(data.length)]! ^= 0x01;
      return { metadata: sealed!.metadata, data };
    };
    for (const altered of [flip(() => 0), flip((n) => Math.floor(n / 2)), flip((n) => n - 1)]) {
      await expect(codec.decode([altered])).rejects.toThrow(/failed authentication/);
    }
    // Same key bytes under another id: the id is bound to the ciphertext as additional data.
    const relabelled = { metadata: { ...sealed!.metadata, [METADATA_KEY_ID]: Buffer.from('other') }, data: sealed!.data };
    await expect(codec.decode([relabelled])).rejects.toThrow(/failed authentication/);
    const swapped = new AesGcmPayloadCodec(parsePayloadKeys(`k:${key()}`));
    await expect(swapped.decode([sealed!])).rejects.toThrow(PayloadDecryptionError);
    await expect(codec.decode([{ metadata: sealed!.metadata, data: Buffer.alloc(10) }])).rejects.toThrow(/truncated/);
    // An error names the key id only, never content.
    const err = (await codec.decode([flip(() => 20)]).catch((e: unknown) => e)) as Error;
    expect(err.message).not.toContain('ordinary');
  });

  it('passes unencrypted payloads through where it may (the Web UI’s codec endpoint)', async () => {
    const codec = new AesGcmPayloadCodec(parsePayloadKeys(`k1:${key()}`));
    const plain = toPayload(value);
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('in the worker, turns every unencrypted payload into the refusal mark and still opens encrypted ones', async () => {
    const ring = parsePayloadKeys(`k1:${key()}`);
    const codec = new AesGcmPayloadCodec(ring, { refusePlaintext: true });
    const sealed = (await new AesGcmPayloadCodec(ring).encode([toPayload(value)]))[0]!;
    const decoded = await codec.decode([toPayload(value), toPayload(null), { metadata: { encoding: new TextEncoder().encode('binary/plain') }, data: new Uint8Array([1]) }, sealed]);
    expect(decoded.slice(0, 3).map(fromPayload).every(isRefusedPayload)).toBe(true);
    expect(JSON.stringify(decoded.slice(0, 3).map(fromPayload))).not.toContain('mario');
    expect(fromPayload(decoded[3]!)).toEqual(value);
    expect(isRefusedPayload(value)).toBe(false);
  });

  it('parses the key list and refuses malformed ones without echoing key material', () => {
    const k1 = key();
    const ring = parsePayloadKeys(` new:${k1} , old:${key()} `);
    expect(ring.currentId).toBe('new');
    expect([...ring.keys.keys()]).toEqual(['new', 'old']);
    expect(ring.keys.get('new')!.equals(Buffer.from(k1, 'base64'))).toBe(true);
    const short = randomBytes(16).toString('base64');
    for (const [spec, message] of [
      ['', /at least one key/],
      [k1, /<id>:<base64 key>/],
      [`bad id:${k1}`, /<id>:<base64 key>/],
      [`a:${short}`, /must be 32 bytes/],
      [`a:${k1},a:${key()}`, /appears twice/],
    ] as const) {
      expect(() => parsePayloadKeys(spec), spec).toThrow(message);
      try {
        parsePayloadKeys(spec);
      } catch (err) {
        expect((err as Error).message).not.toContain(short);
        expect((err as Error).message).not.toContain(k1);
      }
    }
  });

  it('configuration: validates PAYLOAD_KEYS, requires it in production, derives a stable dev key otherwise', () => {
    expect(() => loadConfig({ PAYLOAD_KEYS: 'a:short' })).toThrow(/PAYLOAD_KEYS: key "a" must be 32 bytes/);
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://x@localhost/x',
      PIN_PEPPER: key(),
      SECRETS_KEY: key(),
      SMTP_URL: 'smtp://localhost',
      SMS_GATEWAY_URL: 'http://localhost',
    };
    expect(() => loadConfig(production)).toThrow(/PAYLOAD_KEYS: required in production/);
    expect(loadConfig({ ...production, PAYLOAD_KEYS: `p1:${key()}` }).PAYLOAD_KEYS).toMatch(/^p1:/);

    const dataDir = mkdtempSync(path.join(tmpdir(), 'payload-keys-'));
    const dev = loadConfig({ DATA_DIR: dataDir });
    const first = loadPayloadKeys(dev);
    const again = loadPayloadKeys(loadConfig({ DATA_DIR: dataDir }));
    expect(first.currentId).toBe('dev');
    expect(again.keys.get('dev')!.equals(first.keys.get('dev')!)).toBe(true);
    expect(loadPayloadKeys(loadConfig({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'payload-keys-')) })).keys.get('dev')!.equals(first.keys.get('dev')!)).toBe(false);
  });

  it('allows the dev UI origins outside production only, unless configured', () => {
    expect(temporalUiOrigins({ NODE_ENV: 'development' })).toContain('http://127.0.0.1:8233');
    expect(temporalUiOrigins({ NODE_ENV: 'production' })).toEqual([]);
    expect(temporalUiOrigins({ NODE_ENV: 'production', TEMPORAL_UI_ORIGIN: 'https://temporal.inps.example/, https://b.example' })).toEqual([
      'https://temporal.inps.example',
      'https://b.example',
    ]);
  });
});
