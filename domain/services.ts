/**
 * The catalogue of online services a PIN session may use, and the rule that decides which ones
 * a session sees (docs/architecture.md): services are scoped by the holder's profile (a pensioner does not
 * get workers' services; a member of the private scheme does not get the public-employees
 * scheme's) and by what the PIN allows (an ordinary PIN consults, a dispositivo PIN also
 * requests benefits; the 2020 simplified scope — first half of the initial PIN only — reaches the
 * listed COVID-period bonus claims and nothing else).
 *
 * Pure: no I/O. The API filters with `servicesFor`; claim endpoints check `mayUseService`.
 */
import type { Bilingual } from './errors';

/** Who the holder is for the institute. `citizen`: no pension or work position on record. */
export const PROFILE_CATEGORIES = ['pensioner', 'employee', 'self_employed', 'citizen'] as const;
export type ProfileCategory = (typeof PROFILE_CATEGORIES)[number];

/** Private scheme (the general one) or the public-employees scheme (ex INPDAP). */
export const SCHEMES = ['private', 'public'] as const;
export type Scheme = (typeof SCHEMES)[number];

/** The holder's profile as a session carries it. `scheme` is absent for category `citizen`. */
export interface HolderProfile {
  category: ProfileCategory;
  scheme?: Scheme;
}

/**
 * What a session may do. `ordinary` and `dispositivo` follow the PIN type; `simplified` is a
 * session opened with the first half of the initial PIN under the 2020 simplified procedure.
 */
export type SessionScope = 'ordinary' | 'dispositivo' | 'simplified';

/** The least a service needs. `simplified-bonus`: any session, the simplified one included. */
export type MinimumScope = 'ordinary' | 'dispositivo' | 'simplified-bonus';

export interface ServiceAudience {
  /** Profile categories served; absent = every category. */
  categories?: readonly ProfileCategory[];
  /** Schemes served; absent = every scheme. A holder with no scheme passes only when absent. */
  schemes?: readonly Scheme[];
  /** Only for institutional intermediaries (patronati, CAF, professionals acting for others). */
  intermediariesOnly?: boolean;
}

export interface Service {
  id: string;
  name: Bilingual;
  kind: 'consult' | 'claim';
  audience: ServiceAudience;
  minimumScope: MinimumScope;
}

/** What `servicesFor` needs to know about a session. */
export interface SessionForServices {
  scope: SessionScope;
  profile: HolderProfile;
  intermediary: boolean;
}

const WORKERS = ['employee', 'self_employed'] as const;
/** Profiles a COVID-period bonus can apply to: workers, and people the institute has no position for yet. */
const BONUS_AUDIENCE = ['employee', 'self_employed', 'citizen'] as const;

/**
 * The 2020 COVID-period bonus claim types (the 2020 simplified procedure): the only claims the
 * simplified scope accepts. Claims use these ids as their type.
 */
export const COVID_BONUS_CLAIM_TYPES = [
  'covid-bonus-professionals-cococo',
  'covid-bonus-self-employed-special-schemes',
  'covid-bonus-seasonal-tourism-spa',
  'covid-bonus-agricultural',
  'covid-bonus-entertainment',
  'covid-bonus-babysitting',
] as const;
export type CovidBonusClaimType = (typeof COVID_BONUS_CLAIM_TYPES)[number];

export const isCovidBonusClaimType = (id: string): id is CovidBonusClaimType => (COVID_BONUS_CLAIM_TYPES as readonly string[]).includes(id);

const COVID_BONUS_SERVICES: readonly Service[] = [
  {
    id: 'covid-bonus-professionals-cococo',
    name: { it: 'Indennità COVID-19 liberi professionisti e collaboratori coordinati e continuativi', en: 'COVID-19 allowance for professionals and co.co.co. workers' },
    kind: 'claim',
    audience: { categories: BONUS_AUDIENCE, schemes: ['private'] },
    minimumScope: 'simplified-bonus',
  },
  {
    id: 'covid-bonus-self-employed-special-schemes',
    name: { it: 'Indennità COVID-19 lavoratori autonomi iscritti alle gestioni speciali AGO', en: 'COVID-19 allowance for self-employed workers in the special schemes' },
    kind: 'claim',
    audience: { categories: ['self_employed', 'citizen'], schemes: ['private'] },
    minimumScope: 'simplified-bonus',
  },
  {
    id: 'covid-bonus-seasonal-tourism-spa',
    name: { it: 'Indennità COVID-19 lavoratori stagionali del turismo e degli stabilimenti termali', en: 'COVID-19 allowance for seasonal tourism and spa workers' },
    kind: 'claim',
    audience: { categories: ['employee', 'citizen'], schemes: ['private'] },
    minimumScope: 'simplified-bonus',
  },
  {
    id: 'covid-bonus-agricultural',
    name: { it: 'Indennità COVID-19 operai agricoli', en: 'COVID-19 allowance for agricultural workers' },
    kind: 'claim',
    audience: { categories: ['employee', 'citizen'], schemes: ['private'] },
    minimumScope: 'simplified-bonus',
  },
  {
    id: 'covid-bonus-entertainment',
    name: { it: 'Indennità COVID-19 lavoratori dello spettacolo', en: 'COVID-19 allowance for entertainment workers' },
    kind: 'claim',
    audience: { categories: BONUS_AUDIENCE, schemes: ['private'] },
    minimumScope: 'simplified-bonus',
  },
  {
    id: 'covid-bonus-babysitting',
    // Public-sector health and security staff were eligible too: no scheme restriction.
    name: { it: 'Bonus per servizi di baby-sitting (emergenza COVID-19)', en: 'Baby-sitting bonus (COVID-19 emergency)' },
    kind: 'claim',
    audience: { categories: BONUS_AUDIENCE },
    minimumScope: 'simplified-bonus',
  },
];

/** Every service, in the order the portal lists them. */
export const SERVICES: readonly Service[] = [
  // ---- consultation (ordinary PIN) ----
  {
    id: 'personal-data',
    name: { it: 'Dati anagrafici e recapiti', en: 'Personal data and contacts' },
    kind: 'consult',
    audience: {},
    minimumScope: 'ordinary',
  },
  {
    id: 'payments-status',
    name: { it: 'Fascicolo previdenziale del cittadino: pagamenti', en: 'Citizen social-security file: payments' },
    kind: 'consult',
    audience: {},
    minimumScope: 'ordinary',
  },
  {
    id: 'pension-statement',
    name: { it: 'Cedolino della pensione', en: 'Pension statement' },
    kind: 'consult',
    audience: { categories: ['pensioner'] },
    minimumScope: 'ordinary',
  },
  {
    id: 'pension-cu',
    name: { it: 'Certificazione Unica (CU) del pensionato', en: 'Pensioner’s single certification (CU)' },
    kind: 'consult',
    audience: { categories: ['pensioner'] },
    minimumScope: 'ordinary',
  },
  {
    id: 'pension-obism',
    name: { it: 'Modello ObisM (prospetto della pensione)', en: 'ObisM form (pension summary)' },
    kind: 'consult',
    audience: { categories: ['pensioner'] },
    minimumScope: 'ordinary',
  },
  {
    id: 'contribution-statement',
    name: { it: 'Estratto conto contributivo', en: 'Contribution statement' },
    kind: 'consult',
    audience: { categories: WORKERS, schemes: ['private'] },
    minimumScope: 'ordinary',
  },
  {
    id: 'contribution-statement-public',
    name: { it: 'Estratto conto contributivo – Gestione dipendenti pubblici', en: 'Contribution statement – public employees’ scheme' },
    kind: 'consult',
    audience: { categories: ['employee'], schemes: ['public'] },
    minimumScope: 'ordinary',
  },
  {
    id: 'self-employed-contributions',
    name: { it: 'Cassetto previdenziale artigiani e commercianti', en: 'Contributions of craftsmen and traders' },
    kind: 'consult',
    audience: { categories: ['self_employed'], schemes: ['private'] },
    minimumScope: 'ordinary',
  },
  {
    id: 'severance-pay-public',
    name: { it: 'Consultazione TFS/TFR dipendenti pubblici', en: 'Severance pay (TFS/TFR) of public employees' },
    kind: 'consult',
    audience: { categories: ['employee', 'pensioner'], schemes: ['public'] },
    minimumScope: 'ordinary',
  },
  {
    id: 'intermediary-desk',
    name: { it: 'Servizi per intermediari istituzionali: deleghe e pratiche', en: 'Institutional intermediaries: delegations and files' },
    kind: 'consult',
    audience: { intermediariesOnly: true },
    minimumScope: 'ordinary',
  },
  // ---- benefit claims (dispositivo PIN) ----
  {
    id: 'pension-claim',
    name: { it: 'Domanda di pensione', en: 'Pension claim' },
    kind: 'claim',
    audience: { categories: WORKERS },
    minimumScope: 'dispositivo',
  },
  {
    id: 'pension-recalculation',
    name: { it: 'Ricostituzione della pensione', en: 'Pension recalculation' },
    kind: 'claim',
    audience: { categories: ['pensioner'] },
    minimumScope: 'dispositivo',
  },
  {
    id: 'unemployment-naspi',
    name: { it: 'Indennità di disoccupazione NASpI', en: 'NASpI unemployment benefit' },
    kind: 'claim',
    audience: { categories: ['employee'], schemes: ['private'] },
    minimumScope: 'dispositivo',
  },
  {
    id: 'parental-leave',
    name: { it: 'Congedo parentale', en: 'Parental leave' },
    kind: 'claim',
    audience: { categories: WORKERS, schemes: ['private'] },
    minimumScope: 'dispositivo',
  },
  {
    id: 'family-allowance',
    name: { it: 'Assegno per il nucleo familiare', en: 'Household allowance' },
    kind: 'claim',
    audience: { categories: ['employee', 'pensioner'], schemes: ['private'] },
    minimumScope: 'dispositivo',
  },
  {
    id: 'public-employee-loans',
    name: { it: 'Piccoli prestiti e prestiti pluriennali (Gestione dipendenti pubblici)', en: 'Loans for public employees and pensioners' },
    kind: 'claim',
    audience: { categories: ['employee', 'pensioner'], schemes: ['public'] },
    minimumScope: 'dispositivo',
  },
  ...COVID_BONUS_SERVICES,
];

const BY_ID = new Map(SERVICES.map((s) => [s.id, s]));

export function serviceById(id: string): Service | undefined {
  return BY_ID.get(id);
}

/** Whether a session of `scope` reaches a service needing `minimum`. */
function scopeAllows(scope: SessionScope, minimum: MinimumScope): boolean {
  switch (minimum) {
    case 'simplified-bonus':
      return true;
    case 'ordinary':
      return scope === 'ordinary' || scope === 'dispositivo';
    case 'dispositivo':
      return scope === 'dispositivo';
  }
}

export function audienceIncludes(audience: ServiceAudience, profile: HolderProfile, intermediary: boolean): boolean {
  if (audience.intermediariesOnly && !intermediary) return false;
  if (audience.categories && !audience.categories.includes(profile.category)) return false;
  if (audience.schemes) {
    // A holder with no scheme on record (category `citizen`) has no scheme to exclude them by.
    if (profile.scheme && !audience.schemes.includes(profile.scheme)) return false;
  }
  return true;
}

/** Whether this session may use one service (the check claim endpoints make). */
function mayUseService(session: SessionForServices, service: Service): boolean {
  return scopeAllows(session.scope, service.minimumScope) && audienceIncludes(service.audience, session.profile, session.intermediary);
}

/**
 * What is on offer today, apart from who asks. The COVID-period bonuses were claims of the 2020
 * simplified procedure (the "indennità COVID-19" it was opened for): they are offered only while
 * that procedure is switched on (`SIMPLIFIED_PROCEDURE`).
 */
export interface Catalogue {
  covidBonuses: boolean;
}

export const catalogueFor = (policy: { simplifiedProcedure: boolean }): Catalogue => ({ covidBonuses: policy.simplifiedProcedure });

/** Whether `service` is offered at all today. */
export const onOffer = (catalogue: Catalogue, service: Service): boolean => catalogue.covidBonuses || !isCovidBonusClaimType(service.id);

/** The services a session may use, in catalogue order. */
export function servicesFor(session: SessionForServices, catalogue: Catalogue): Service[] {
  return SERVICES.filter((s) => onOffer(catalogue, s) && mayUseService(session, s));
}

/**
 * The profile stored with a credential or in the institute's records (jsonb, possibly `{}`), as
 * a session carries it. Unknown or missing categories mean `citizen`; a pensioner or worker
 * with no scheme on record is in the private (general) scheme; `intermediary` is read apart.
 */
export function normaliseProfile(raw: unknown): { profile: HolderProfile; intermediary: boolean } {
  const r = (raw && typeof raw === 'object' ? raw : {}) as { category?: unknown; scheme?: unknown; intermediary?: unknown };
  const category = (PROFILE_CATEGORIES as readonly unknown[]).includes(r.category) ? (r.category as ProfileCategory) : 'citizen';
  const scheme = (SCHEMES as readonly unknown[]).includes(r.scheme) ? (r.scheme as Scheme) : 'private';
  return {
    profile: category === 'citizen' ? { category } : { category, scheme },
    intermediary: r.intermediary === true,
  };
}
