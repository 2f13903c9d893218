/**
 * Letters in bulk, stored as issuance stores them: a credential awaiting its first access, its
 * initial PIN's row (both halves hashed, the second half encrypted for the letter) and letter no. 1
 * not yet filed in a batch. For the mail-room tests and `bench:mailroom`, which then file them
 * through the real `queueLetter`; one statement per table, whatever the count.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Pool } from '../../lib/db';
import { encryptSecret, generatePin, keyedHash, newSalt, type KeyRing } from '../../lib/secrets';
import { secondHalfAad } from '../../activities/issuance';

export interface SeededLetter {
  letterId: string;
  credentialId: string;
  secondHalf: string;
  holder: { name: string; surname: string };
  residence: { address: string; city: string; postalCode: string; province?: string; country: string };
}

const PLACES: { country: string; city: string; postalCode: () => string; province?: string }[] = [
  { country: 'IT', city: 'Roma', postalCode: () => `00${100 + randomInt(100)}`, province: 'RM' },
  { country: 'IT', city: 'Milano', postalCode: () => `20${100 + randomInt(60)}`, province: 'MI' },
  { country: 'IT', city: 'Napoli', postalCode: () => `80${100 + randomInt(50)}`, province: 'NA' },
  { country: 'AR', city: 'Buenos Aires', postalCode: () => `C${1000 + randomInt(400)}` },
  { country: 'DE', city: 'München', postalCode: () => `80${331 + randomInt(600)}` },
  { country: 'CH', city: 'Lugano', postalCode: () => `69${String(randomInt(100)).padStart(2, '0')}` },
];
const STREETS = ['Via Roma', 'Corso Italia', 'Via Garibaldi', 'Avenida Corrientes', 'Hauptstraße', 'Via dell’Ateneo'];
const NAMES = ['Anna', 'Marco', 'Giulia', 'Luca', 'Sofia', 'Pietro', 'Chiara', 'Nicolò'];
const SURNAMES = ['Rossi', 'Bianchi', 'D’Amico', 'Esposito', 'Müller', 'García', 'Ferrari', 'Colombo'];

/** A random, unique-enough 16-character codice fiscale shape (these rows never meet the validator). */
const fakeCf = () => `BNC${randomBytes(8).toString('hex').toUpperCase().slice(0, 13)}`;

/** Stores `count` credentials with their PIN row and first letter; `overrides(i)` sets a holder or residence. */
export async function seedLetters(
  pool: Pool,
  keys: { pepper: Buffer; secrets: KeyRing },
  count: number,
  overrides: (i: number) => Partial<Pick<SeededLetter, 'holder' | 'residence'>> = () => ({}),
): Promise<SeededLetter[]> {
  const letters: SeededLetter[] = [];
  const cols = { ids: [] as string[], cfs: [] as string[], holders: [] as string[], residences: [] as string[], letterIds: [] as string[], first: [] as Buffer[], second: [] as Buffer[], salts: [] as Buffer[], enc: [] as Buffer[] };
  for (let i = 0; i < count; i++) {
    const place = PLACES[randomInt(PLACES.length)]!;
    const o = overrides(i);
    const seeded: SeededLetter = {
      letterId: randomUUID(),
      credentialId: randomUUID(),
      secondHalf: '',
      holder: o.holder ?? { name: NAMES[randomInt(NAMES.length)]!, surname: SURNAMES[randomInt(SURNAMES.length)]! },
      residence: o.residence ?? {
        address: `${STREETS[randomInt(STREETS.length)]} ${1 + randomInt(200)}`,
        city: place.city,
        postalCode: place.postalCode(),
        ...(place.province ? { province: place.province } : {}),
        country: place.country,
      },
    };
    const pin = generatePin(16);
    seeded.secondHalf = pin.slice(8);
    const salt = newSalt();
    cols.ids.push(seeded.credentialId);
    cols.cfs.push(fakeCf());
    cols.holders.push(JSON.stringify(seeded.holder));
    cols.residences.push(JSON.stringify(seeded.residence));
    cols.letterIds.push(seeded.letterId);
    cols.first.push(keyedHash(keys.pepper, salt, 'first', pin.slice(0, 8)));
    cols.second.push(keyedHash(keys.pepper, salt, 'second', seeded.secondHalf));
    cols.salts.push(salt);
    cols.enc.push(encryptSecret(keys.secrets, seeded.secondHalf, secondHalfAad(seeded.credentialId, 1)));
    letters.push(seeded);
  }
  await pool.query(
    `INSERT INTO credentials (id, codice_fiscale, state, channel, holder, contacts, residence, workflow_started_at)
     SELECT id, cf, 'awaiting_first_access', 'online', holder, '{}'::jsonb, residence, now()
       FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::jsonb[]) AS t(id, cf, holder, residence)`,
    [cols.ids, cols.cfs, cols.holders, cols.residences],
  );
  await pool.query(
    `INSERT INTO pin_secrets (credential_id, version, kind, first_half_hash, second_half_hash, salt, second_half_enc)
     SELECT id, 1, 'initial', f, s, salt, enc FROM unnest($1::uuid[], $2::bytea[], $3::bytea[], $4::bytea[], $5::bytea[]) AS t(id, f, s, salt, enc)`,
    [cols.ids, cols.first, cols.second, cols.salts, cols.enc],
  );
  await pool.query(
    `INSERT INTO letters (id, credential_id, pin_version, seq, reason)
     SELECT lid, id, 1, 1, 'initial' FROM unnest($1::uuid[], $2::uuid[]) AS t(lid, id)`,
    [cols.letterIds, cols.ids],
  );
  return letters;
}

/** The print order the mail room uses: country, postal code, city, address (byte order), then letter id. */
export function byPrintOrder(a: Pick<SeededLetter, 'letterId' | 'residence'>, b: Pick<SeededLetter, 'letterId' | 'residence'>): number {
  const key = (l: Pick<SeededLetter, 'letterId' | 'residence'>) => [l.residence.country, l.residence.postalCode, l.residence.city, l.residence.address, l.letterId].map((k) => Buffer.from(k));
  const [ka, kb] = [key(a), key(b)];
  for (let i = 0; i < ka.length; i++) {
    const c = Buffer.compare(ka[i]!, kb[i]!);
    if (c !== 0) return c;
  }
  return 0;
}
