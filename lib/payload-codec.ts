/**
 * Encryption of Temporal payloads (workflow inputs and results, activity arguments, signals,
 * updates, queries, memos) before they leave the process: the Temporal server, its database and
 * its Web UI only ever see ciphertext. Runs in the worker and in every client, outside the
 * workflow sandbox; the Web UI decodes through the API's codec endpoint (api/routes/codec.ts).
 *
 * Each encrypted payload names the key that encrypted it, so keys rotate without re-encrypting
 * histories: add a new key in front of `PAYLOAD_KEYS` (it encrypts from then on) and keep the old
 * ones behind it for as long as histories encrypted with them are retained.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
// A CommonJS module: Node's ESM loader sees only its default export.
import proto from '@temporalio/proto';
import type { Config } from './config';
import { refusedPayload } from '../domain/payload-refusal';
import { loadKeys } from './keys';
import { parsePayloadKeys, type PayloadKeyRing } from './payload-keys';

export { parsePayloadKeys, type PayloadKeyRing };

/** `encoding` metadata of an encrypted payload. */
export const ENCODING_ENCRYPTED = 'binary/encrypted';
/** Metadata naming the key of an encrypted payload. */
export const METADATA_KEY_ID = 'encryption-key-id';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Thrown when a payload cannot be decrypted; the message names the key id, never any content. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}


/**
 * The key ring from configuration. Without `PAYLOAD_KEYS` (development and tests only; config
 * refuses production without it) the key is derived from the development secrets key kept in
 * `DATA_DIR/dev-keys.json`, so the worker and the API, started separately, agree on it.
 */
export function loadPayloadKeys(config: Config): PayloadKeyRing {
  if (config.PAYLOAD_KEYS) return parsePayloadKeys(config.PAYLOAD_KEYS);
  const secretsKey = loadKeys(config).secrets.keys.get(1)!;
  // Derived, not generated: a second random key written by two processes at once could differ.
  const key = createHmac('sha256', secretsKey).update('temporal-payload-codec').digest();
  return { currentId: 'dev', keys: new Map([['dev', key]]) };
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined): string | undefined => (b ? Buffer.from(b).toString('utf8') : undefined);
/** The ciphertext is bound to the scheme and key id it claims (GCM additional data). */
const aadFor = (keyId: string): Buffer => Buffer.from(`temporal-payload:v1:${keyId}`);

/** True when a payload carries the encrypted encoding. */
export function isEncryptedPayload(p: Payload): boolean {
  return text(p.metadata?.encoding) === ENCODING_ENCRYPTED;
}

export interface PayloadCodecOptions {
  /**
   * What `decode` does with a payload that is not encrypted. The worker refuses them (true): each
   * becomes the refusal mark of domain/payload-refusal.ts, which the workflow interceptors turn
   * into a refused command, so nobody who reaches the Temporal frontend can hand a workflow
   * plain JSON. Elsewhere (the Web UI's codec endpoint, clients) they pass through unchanged.
   */
  refusePlaintext?: boolean;
}

/** The payload every unencrypted one becomes in a refusing codec: JSON of the refusal mark. */
const REFUSED: Payload = {
  metadata: { encoding: utf8('json/plain') },
  data: utf8(JSON.stringify(refusedPayload())),
};

/**
 * The AES-256-GCM payload codec. `encode` turns each payload (its protobuf bytes, metadata
 * included) into `iv | ciphertext | tag` under the current key; `decode` opens encrypted payloads
 * with the key their metadata names, and passes any other payload through unchanged or refuses
 * it (`refusePlaintext`).
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly current: { id: string; key: Buffer };

  constructor(
    private readonly ring: PayloadKeyRing,
    private readonly options: PayloadCodecOptions = {},
  ) {
    const key = ring.keys.get(ring.currentId);
    if (!key || key.length !== 32) throw new Error(`current payload key "${ring.currentId}" is missing or not 32 bytes`);
    this.current = { id: ring.currentId, key };
  }

  /** Id of the key new payloads are encrypted with. */
  get currentKeyId(): string {
    return this.current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const plain = PayloadMessage.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      cipher.setAAD(aadFor(this.current.id));
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: utf8(ENCODING_ENCRYPTED), [METADATA_KEY_ID]: utf8(this.current.id) },
        data: new Uint8Array(sealed),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!isEncryptedPayload(payload)) return this.options.refusePlaintext ? { metadata: { ...REFUSED.metadata }, data: REFUSED.data } : payload;
      const keyId = text(payload.metadata?.[METADATA_KEY_ID]);
      if (!keyId) throw new PayloadDecryptionError('encrypted payload without an encryption-key-id');
      const key = this.ring.keys.get(keyId);
      if (!key) throw new PayloadDecryptionError(`encrypted payload names unknown key id "${keyId}": add that key to PAYLOAD_KEYS`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`encrypted payload (key id "${keyId}") is truncated`);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(aadFor(keyId));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new PayloadDecryptionError(`encrypted payload (key id "${keyId}") failed authentication: altered, or encrypted under another key with that id`);
      }
      return PayloadMessage.decode(plain);
    });
  }
}

/** The codec every process of the app uses, from configuration (the worker's refuses plain payloads). */
export function payloadCodecFromConfig(config: Config, options: PayloadCodecOptions = {}): AesGcmPayloadCodec {
  return new AesGcmPayloadCodec(loadPayloadKeys(config), options);
}

/**
 * Browser origins of the Temporal Web UI that may call the codec endpoint: `TEMPORAL_UI_ORIGIN`
 * (comma-separated), or outside production the dev server's UI on port 8233.
 */
export function temporalUiOrigins(config: Pick<Config, 'TEMPORAL_UI_ORIGIN' | 'NODE_ENV'>): string[] {
  if (config.TEMPORAL_UI_ORIGIN) return config.TEMPORAL_UI_ORIGIN.split(',').map((s) => s.trim().replace(/\/$/, '')).filter(Boolean);
  return config.NODE_ENV === 'production' ? [] : ['http://127.0.0.1:8233', 'http://localhost:8233'];
}

/** The failure converter that moves failure messages and stack traces into (encrypted) payloads. */
export const FAILURE_CONVERTER_PATH = createRequire(import.meta.url).resolve('./failure-converter.cjs');

/**
 * The data converter of every client and worker of the application: payloads and failure
 * messages both go through the codec. The workflow bundle loads the same failure converter.
 */
export function encryptedDataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH };
}
