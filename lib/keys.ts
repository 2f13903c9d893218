/**
 * Key material for PIN hashing (pepper) and secrets at rest. Production takes both from the
 * environment (config refuses to start without them); development generates them once and keeps
 * them in the data folder so a restart can still read what it encrypted.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config';
import type { KeyRing } from './secrets';

export interface Keys {
  pepper: Buffer;
  secrets: KeyRing;
}

export function loadKeys(config: Config): Keys {
  let pepper = config.PIN_PEPPER;
  let secrets = config.SECRETS_KEY;
  if (!pepper || !secrets) {
    const file = path.resolve(config.DATA_DIR, 'dev-keys.json');
    if (!existsSync(file)) {
      mkdirSync(path.dirname(file), { recursive: true });
      const fresh = { PIN_PEPPER: randomBytes(32).toString('base64'), SECRETS_KEY: randomBytes(32).toString('base64') };
      writeFileSync(file, JSON.stringify(fresh), { mode: 0o600, flag: 'wx' });
    }
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { PIN_PEPPER: string; SECRETS_KEY: string };
    pepper ??= stored.PIN_PEPPER;
    secrets ??= stored.SECRETS_KEY;
  }
  return {
    pepper: Buffer.from(pepper, 'base64'),
    secrets: { currentId: 1, keys: new Map([[1, Buffer.from(secrets, 'base64')]]) },
  };
}
