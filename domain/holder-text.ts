/**
 * A credential holder's stored data (the `holder` and `residence` jsonb of `credentials`) as the
 * forms print it: place of birth and a one-line residence address. The forms are bilingual, so a
 * word that is not a name ("Stato estero", a country's name where the languages differ) is given
 * in both: the English reader is not left with Italian.
 */
import { birthplaceCandidates } from './codice-fiscale';
import { FOREIGN_PROVINCE } from './belfiore';
import { countryName } from './countries';

/** The holder fields stored at request time (older rows may lack some). */
export interface StoredHolder {
  surname?: string;
  name?: string;
  birthDate?: string;
  sex?: string;
  birthProvince?: string;
  birthMunicipality?: string;
}

export interface StoredResidence {
  abroad?: boolean;
  country?: string;
  address?: string;
  city?: string;
  postalCode?: string;
  province?: string;
}

/** "Roma (RM)", or "Argentina (Stato estero / foreign country)" for someone born abroad; '' when unknown. */
export function birthPlaceText(h: StoredHolder): string {
  if (!h.birthMunicipality) return '';
  if (!h.birthProvince) return h.birthMunicipality;
  const known = birthplaceCandidates(h.birthProvince, h.birthMunicipality).inProvince[0]?.name ?? h.birthMunicipality;
  return h.birthProvince === FOREIGN_PROVINCE ? `${known} (Stato estero / foreign country)` : `${known} (${h.birthProvince})`;
}

/** "Via Roma 1, 00100 Roma (RM)", "Avenida Corrientes 12, C1043 Buenos Aires, Argentina" or "…, Germania / Germany". */
export function residenceText(r: StoredResidence): string {
  const place = [r.postalCode, r.city].filter(Boolean).join(' ');
  const province = r.province ? (r.abroad ? `, ${r.province}` : ` (${r.province})`) : '';
  const name = r.abroad && r.country ? countryName(r.country) : undefined;
  const country = name ? `, ${name.it === name.en ? name.it : `${name.it} / ${name.en}`}` : '';
  return [r.address, `${place}${province}${country}`].filter((s) => s && s.trim()).join(', ');
}
