/**
 * Valid, unique citizens for tests: residents abroad without an Italian identity document (the
 * only ones eligible since 2021), with a codice fiscale computed from their data.
 */
import { randomInt } from 'node:crypto';
import { computeCodiceFiscale } from '../../domain/codice-fiscale';

const CONSONANTS = 'BCDFGHLMNPRSTVZ';
const VOWELS = 'AEIOU';

function randomWord(len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += (i % 2 === 0 ? CONSONANTS : VOWELS)[randomInt(i % 2 === 0 ? CONSONANTS.length : VOWELS.length)];
  return s[0] + s.slice(1).toLowerCase();
}

export interface CitizenRequest {
  channel: 'online' | 'contact_centre';
  codiceFiscale: string;
  surname: string;
  name: string;
  birthDate: string;
  sex: 'M' | 'F';
  birthProvince: string;
  birthMunicipality: string;
  residence: { abroad: boolean; country: string; address: string; city: string; postalCode: string; province?: string };
  homePhone?: string;
  mobile?: string;
  email?: string;
  pec?: string;
  preferredPhone: 'home' | 'mobile';
  preferredTimeSlot: string;
  hasItalianIdentityDocument: boolean;
}

/**
 * Mobiles must not repeat within a run (tests read the SMS sink by number): this process's id
 * and a counter from a random start, instead of 8 random digits that collide now and then.
 */
let mobileSeq = randomInt(50_000);
function uniqueMobile(): string {
  mobileSeq = (mobileSeq + 1) % 100_000;
  return `+54911${String(process.pid % 1000).padStart(3, '0')}${String(mobileSeq).padStart(5, '0')}`;
}

/** A fresh citizen born in Rome or abroad, resident in Argentina, with mobile, e-mail and PEC. */
export function makeCitizen(overrides: Partial<CitizenRequest> = {}): CitizenRequest {
  const surname = randomWord(7);
  const name = randomWord(5);
  const year = 1940 + randomInt(60);
  const birthDate = `${year}-${String(1 + randomInt(12)).padStart(2, '0')}-${String(1 + randomInt(28)).padStart(2, '0')}`;
  const sex = randomInt(2) === 0 ? 'M' : 'F';
  const bornAbroad = randomInt(2) === 0;
  const birthProvince = bornAbroad ? 'EE' : 'RM';
  const birthMunicipality = bornAbroad ? 'Argentina' : 'Roma';
  const tag = `${surname}.${name}.${randomInt(1e9)}`.toLowerCase();
  const base: CitizenRequest = {
    channel: 'online',
    codiceFiscale: computeCodiceFiscale({ surname, name, birthDate, sex, birthProvince, birthMunicipality }),
    surname,
    name,
    birthDate,
    sex,
    birthProvince,
    birthMunicipality,
    residence: { abroad: true, country: 'AR', address: `Avenida Corrientes ${1 + randomInt(3000)}`, city: 'Buenos Aires', postalCode: 'C1043' },
    mobile: uniqueMobile(),
    email: `${tag}@example.org`,
    pec: `${tag}@pec.example.it`,
    preferredPhone: 'mobile',
    preferredTimeSlot: '08-11',
    hasItalianIdentityDocument: false,
  };
  return { ...base, ...overrides };
}
