/**
 * Type declarations for the raw data files that codice-fiscale-js ships in `src/` without
 * typings. Only the two lists read by `belfiore.ts` are declared.
 */

declare module 'codice-fiscale-js/src/lista-comuni.js' {
  /** Rows of `[belfioreCode, provinceSigla ('EE' abroad), NAME, 1 if current else 0]`. */
  export const COMUNI: ReadonlyArray<readonly [string, string, string, number]>;
}

declare module 'codice-fiscale-js/src/lista-province.js' {
  /** Province sigla → province name (includes 'EE' for abroad). */
  export const PROVINCE: Readonly<Record<string, string>>;
}
