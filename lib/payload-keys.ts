/**
 * The payload codec's key ring as configured (`PAYLOAD_KEYS`): parsed here, below both the
 * configuration (which validates it at start-up) and the codec (which uses it).
 */

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** AES-256-GCM keys by id: `currentId` encrypts, any of them decrypts. */
export interface PayloadKeyRing {
  currentId: string;
  keys: ReadonlyMap<string, Buffer>;
}

/**
 * Parses `id1:base64key,id2:base64key` (the first is current). Throws with a message naming the
 * problem, never the key material.
 */
export function parsePayloadKeys(spec: string): PayloadKeyRing {
  const keys = new Map<string, Buffer>();
  let currentId: string | undefined;
  for (const entry of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id)) throw new Error('each entry must be <id>:<base64 key> with an id of letters, digits, ".", "_" or "-"');
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== 32) throw new Error(`key "${id}" must be 32 bytes encoded in base64`);
    if (keys.has(id)) throw new Error(`key id "${id}" appears twice`);
    keys.set(id, key);
    currentId ??= id;
  }
  if (!currentId) throw new Error('at least one key is required');
  return { currentId, keys };
}
