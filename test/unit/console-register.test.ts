/**
 * One register in the console: the staff are addressed in the second person, with the
 * imperative ("Indica", "Inserisci", "Scegli", "Riprova"), as the citizens' pages do — never in
 * the formal third person ("Inserisca", "riprovi", "il Suo ruolo") nor with an infinitive as an
 * instruction ("Indicare…"). Read from the Italian texts of the console's pages and of the
 * services and domain rules whose messages reach only (or also) its forms.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

const FILES = [
  ...readdirSync(path.join(ROOT, 'console'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `console/${f}`),
  ...readdirSync(path.join(ROOT, 'services/staff'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `services/staff/${f}`),
  'services/caller-verification.ts',
  'services/contact-centre.ts',
  'services/counter/counter.ts',
  'services/counter/office-conversion.ts',
  'services/conversion/review.ts',
  'services/lifecycle/remote-identification.ts',
  'domain/identity-document.ts',
  'domain/review-reasons.ts',
  'api/errors.ts',
  'api/admission.ts',
  'web/request-guards.ts',
];

/** The formal third person: its imperatives, and its capitalised possessives ("il Suo ruolo"; "la sua area" is the holder's). */
const FORMAL_VERB = /\b(Verifichi|Compili|Consegni|Converta|Inserisca|Riprovi|Riapra|Chieda|Alleghi|Inquadri|Registri|Confermi|Respinga|Stampi|Chiuda|Faccia|Cerchi|Prenda|Scelga|Ripeta|Attenda|Ricarichi|Controlli|Carichi|Indichi|Scarichi)\b/i;
const FORMAL_POSSESSIVE = /\b(Suo|Sua|Suoi|Sue)\b/;
const FORMAL = { test: (text: string) => FORMAL_VERB.test(text) || FORMAL_POSSESSIVE.test(text) };
/** An infinitive as the instruction of a sentence. */
const INFINITIVE = /(^|[.:;!?]\s+|;\s*|:\s*)(Indicare|Verificare|Descrivere|Confermare|Allegare|Aggiungere|Usare|Scegliere|Inserire|Selezionare|Riprovare|Controllare|Compilare)\b/i;

/** The Italian texts of a file: string literals with a space (the English ones are checked by eye). */
function texts(file: string): { line: number; text: string }[] {
  const source = readFileSync(path.join(ROOT, file), 'utf8');
  const out: { line: number; text: string }[] = [];
  for (const m of source.matchAll(/(['`])((?:(?!\1)[^\\\n]|\\.)*)\1/g)) {
    if (m[2]!.includes(' ')) out.push({ line: source.slice(0, m.index).split('\n').length, text: m[2]! });
  }
  return out;
}

describe('console register', () => {
  it('addresses the staff in the second person everywhere', () => {
    const found = FILES.flatMap((file) => texts(file).filter((t) => FORMAL.test(t.text) || INFINITIVE.test(t.text)).map((t) => `${file}:${t.line}: ${t.text}`));
    expect(found).toEqual([]);
  });

  it('would see the old wording', () => {
    // The patterns themselves, on texts the console used to say.
    for (const old of ['Inserisca nome utente, password e il codice', 'La pagina è scaduta: riprovi.', 'Il Suo ruolo non consente questa operazione.', 'Indicare come è stato verificato il chiamante.', 'Senza fotocamera: aggiungere l’URI']) {
      expect(FORMAL.test(old) || INFINITIVE.test(old), old).toBe(true);
    }
    for (const now of ['Inserisci nome utente, password e il codice', 'La pagina è scaduta: riprova.', 'Il tuo ruolo non consente questa operazione.', 'Indica come hai verificato il chiamante.']) {
      expect(FORMAL.test(now) || INFINITIVE.test(now), now).toBe(false);
    }
  });
});
