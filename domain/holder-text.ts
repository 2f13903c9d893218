/**
 * A credential holder's stored data (the `holder` and `residence` jsonb of `credentials`) as the
 * forms print it: place of birth and a one-line residence address.
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

/** "Roma (RM)", or "Argentina (Stato estero)" for someone born abroad; '' when unknown. */
export function birthPlaceText(h: StoredHolder): string {
  if (!h.birthMunicipality) return '';
  if (!h.birthProvince) return h.birthMunicipality;
  const known = birthplaceCandidates(h.birthProvince, h.birthMunicipality).inProvince[0]?.name ?? h.birthMunicipality;
  return h.birthProvince === FOREIGN_PROVINCE ? `${known} (Stato estero)` : `${known} (${h.birthProvince})`;
}

/** "Via Roma 1, 00100 Roma (RM)" or "Avenida Corrientes 12, C1043 Buenos Aires, Argentina". */
export function residenceText(r: StoredResidence): string {
  const place = [r.postalCode, r.city].filter(Boolean).join(' ');
  const province = r.province ? (r.abroad ? `, ${r.province}` : ` (${r.province})`) : '';
  const country = r.abroad && r.country ? `, ${countryName(r.country).it}` : '';
  return [r.address, `${place}${province}${country}`].filter((s) => s && s.trim()).join(', ');
}
