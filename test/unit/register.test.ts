/**
 * One register for the citizen (docs/decisions/0025-one-register.md): every text a citizen reads
 * — the portal's pages, the services' messages the pages and the API show, the e-mails, SMS and
 * PEC, the letters and the PDFs — speaks to them with "tu", never with the formal "Lei"; and the
 * English half of a bilingual text is English, the Italian half Italian.
 *
 * The texts are read from the sources' string literals (TypeScript's own parser, so comments
 * and code do not count), file by file. A file that speaks only to staff (console/, the counter,
 * the contact centre's tools) is not here: the staff console keeps its own register.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

const filesIn = (dir: string): string[] =>
  readdirSync(path.join(ROOT, dir))
    .filter((n) => n.endsWith('.ts'))
    .map((n) => `${dir}/${n}`);

/** Every source a citizen's text comes from. */
const CITIZEN_SOURCES: readonly string[] = [
  ...filesIn('portal'),
  'activities/templates.ts',
  'activities/notice-templates.ts',
  'domain/holder-text.ts',
  'domain/pin-request.ts',
  'domain/codice-fiscale.ts',
  'domain/uploads.ts',
  'domain/errors.ts',
  'forms/second-half-letter.ts',
  'forms/sealed-envelope.ts',
  'forms/request-receipt.ts',
  'forms/claim-receipt.ts',
  'forms/receipt.ts',
  'domain/claims.ts',
  'forms/conversion-request.ts',
  ...filesIn('services/access'),
  ...filesIn('services/lifecycle'),
  'services/conversion/claims.ts',
  'services/conversion/conversion-documents.ts',
  'services/conversion/conversions.ts',
  'services/delegation.ts',
  'services/telephone-pin/telephone-pins.ts',
  'services/identity/citizen-identity.ts',
  'services/issuance/pin-requests.ts',
  'services/citizen-account.ts',
  'api/errors.ts',
  'api/admission.ts',
  'api/routes/contacts.ts',
  'api/routes/conversion.ts',
  'api/routes/conversion-documents.ts',
  'api/routes/delegations.ts',
  'api/routes/recovery.ts',
  'api/routes/revocation.ts',
  'api/routes/first-access.ts',
  'api/routes/claims.ts',
  'api/routes/telephone-pins.ts',
  'api/routes/pin-requests.ts',
  'api/routes/sessions.ts',
  'web/request-guards.ts',
];

/**
 * The formal register, as it shows in the texts: the pronouns of "Lei" (capitalised, as it is
 * written), the formal greeting and the infinitive instructions, and the formal imperatives
 * these sources used. A form shared with "tu" ("quando li chiami") is matched only where it is
 * formal ("chiami il Contact center").
 */
const FORMAL: readonly { name: string; re: RegExp }[] = [
  { name: 'Lei', re: /\bLei\b/ },
  { name: 'Suo/Sua/Suoi/Sue', re: /\b(Suo|Sua|Suoi|Sue)\b/ },
  { name: 'La (pronoun)', re: /\bLa (invitiamo|informiamo|preghiamo|ringraziamo|richiamerà|contatteremo|ha delegat)/ },
  { name: 'Le (pronoun)', re: /\bLe (inviamo|invieremo|arriva|arriverà|sarà|assegnerà|chiederà|ricordiamo|comunichiamo|è stato|è stata)(?![\p{L}])/u },
  { name: 'Gentile', re: /\bGentile\b/ },
  { name: 'Indicare/Inserire', re: /\b(Indicare|Inserire)\b/ },
  {
    name: 'formal imperative',
    re: /\b(riprovi|acceda|inserisca|effettui|annoti|ripeta|richieda|apra|conservi|comunichi|revochi|stampi|consegni|indichi|verifichi|utilizzi|prenda|attenda)\b/i,
  },
  { name: 'chiami (formal)', re: /\b[Cc]hiami (il|subito|lo|la)\b/ },
  { name: 'controlli (formal)', re: /\b[Cc]ontrolli (di aver|il file|la|che|codice|i dati)\b/ },
  { name: 'ignori (formal)', re: /\bignori (questo|il|la)\b/ },
  { name: 'può/ha to the reader', re: /\b(Se vuole|non ha ancora|Se non ha|Ha già|Può (richiedere|presentare|accedere|revocar))(?![\p{L}])/u },
];

/** Words that mark Italian inside an English text (names of Italian things are allowed). */
const ITALIAN_IN_ENGLISH = /[àèìòù]|\b(il|della|delle|degli|nella|alla|per|non|che|sono|questo|questa|richiesta|domanda|recapiti|grazie|sede)\b/i;
/** Proper names and terms that stay Italian in English. */
const ITALIAN_NAMES = /codice fiscale|codici fiscali|Codice fiscale|dispositivo|Garante per la protezione dei dati personali|Le sedi INPS|Vuoi il PIN dispositivo\?|NASpI|ObisM|Stato estero|República Argentina/g;
/** Words that mark English inside an Italian text. */
const ENGLISH_IN_ITALIAN = /\b(the|and|your|please|you|with|of|is|are|request|click)\b/;

interface Text {
  file: string;
  line: number;
  text: string;
  /** `it` / `en` when the literal is the value of such a property of a bilingual object. */
  lang?: 'it' | 'en';
}

/** Every string literal and template text of a file, with the bilingual property it belongs to. */
function textsOf(file: string): Text[] {
  const source = ts.createSourceFile(file, readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const out: Text[] = [];
  const langOf = (node: ts.Node): 'it' | 'en' | undefined => {
    // The literal itself, or inside a template or a concatenation that is the property's value.
    let n: ts.Node = node;
    while (n.parent && (ts.isTemplateSpan(n.parent) || ts.isTemplateExpression(n.parent) || (ts.isBinaryExpression(n.parent) && n.parent.operatorToken.kind === ts.SyntaxKind.PlusToken) || ts.isParenthesizedExpression(n.parent))) n = n.parent;
    const p = n.parent;
    if (p && ts.isPropertyAssignment(p) && p.initializer === n && ts.isIdentifier(p.name) && (p.name.text === 'it' || p.name.text === 'en')) return p.name.text;
    return undefined;
  };
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      out.push({ file, line, text: node.text, lang: langOf(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

const ALL = CITIZEN_SOURCES.flatMap(textsOf);

describe('one register for the citizen', () => {
  it('reads texts from every listed source (the list is not stale)', () => {
    for (const file of CITIZEN_SOURCES) expect(ALL.some((t) => t.file === file), file).toBe(true);
    expect(ALL.filter((t) => t.lang === 'it').length).toBeGreaterThan(500);
  });

  it.each(FORMAL.map((f) => [f.name, f.re] as const))('no text addresses the citizen formally (%s)', (_name, re) => {
    const found = ALL.filter((t) => re.test(t.text)).map((t) => `${t.file}:${t.line}: ${t.text.slice(0, 120)}`);
    expect(found).toEqual([]);
  });

  it('the patterns catch the formal texts they are meant for', () => {
    const formal = [
      'Gentile Mario Rossi,',
      'la prima parte del Suo PIN è: ABCD EFGH',
      'Non è stato Lei? Chiami il contact center.',
      'Indicare il codice fiscale.',
      'Lo annoti ora: non verrà più mostrato.',
      'La seconda parte Le arriverà per posta.',
      'Se non ha chiesto Lei il ripristino, ignori questo messaggio.',
      'I dati non corrispondono: controlli codice fiscale e tessera.',
    ];
    for (const text of formal) expect(FORMAL.some((f) => f.re.test(text)), text).toBe(true);
    const informal = [
      'Buongiorno Mario Rossi,',
      'la prima parte del tuo PIN è: ABCD EFGH',
      'Non sei stato tu? Chiama il Contact center.',
      'Inserisci il codice fiscale.',
      'Ti permette di farti riconoscere dagli operatori quando li chiami.',
      'Le domande sono lavorate con il PIN dispositivo.',
      'con controlli manuali e prove automatiche nel browser.',
    ];
    for (const text of informal) expect(FORMAL.filter((f) => f.re.test(text)).map((f) => f.name), text).toEqual([]);
  });

  it('the English half of a bilingual text holds no Italian, and the Italian half no English', () => {
    const italian = ALL.filter((t) => t.lang === 'en' && ITALIAN_IN_ENGLISH.test(t.text.replace(ITALIAN_NAMES, '')));
    const english = ALL.filter((t) => t.lang === 'it' && ENGLISH_IN_ITALIAN.test(t.text));
    expect(ALL.filter((t) => t.lang === 'en').length).toBeGreaterThan(500);
    expect(italian.map((t) => `${t.file}:${t.line}: ${t.text.slice(0, 120)}`)).toEqual([]);
    expect(english.map((t) => `${t.file}:${t.line}: ${t.text.slice(0, 120)}`)).toEqual([]);
  });
});
