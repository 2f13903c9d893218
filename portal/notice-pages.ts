/**
 * The institutional notices that every page's footer links (portal/views.ts): the accessibility
 * statement, the privacy notice (GDPR art. 13) and the legal notes, in Italian and English,
 * open to anyone (no login), in the portal's frame. The request form's first step shows the
 * privacy summary (`privacySummary`) before any personal data is typed.
 *
 * What the privacy notice says about retention is what this system does (README, configuration;
 * docs/decisions/0010 and 0018): letter PDFs deleted `LETTER_RETENTION_DAYS` after dispatch (at
 * once when voided or returned), uploads never attached to a case deleted, the PIN never kept in
 * clear, the sealed envelope never stored; the rest is not purged by this system today.
 * Addresses are placeholders, marked as such.
 */
import type { Bilingual } from '../domain/errors';
import { html, type SafeHtml } from '../web/html';
import { tr } from './i18n';
import { icon, NOTICE_PATHS, NOTICE_TITLES, page, type NoticeId, type PageContext } from './views';

export { NOTICE_PATHS } from './views';

/** Placeholder addresses: the real ones are INPS's, to be set before going live. */
const DPO_ADDRESS = 'responsabile.protezionedati@inps.example';
const ACCESSIBILITY_ADDRESS = 'accessibilita@inps.example';

/** The number of days a dispatched letter's PDF is kept (`LETTER_RETENTION_DAYS`), shown in the notice. */
export interface NoticeOptions {
  letterRetentionDays: number;
}

type Block = { h: Bilingual; p?: Bilingual[]; li?: Bilingual[] };

function section(ctx: PageContext, id: string, b: Block): SafeHtml {
  const { lang } = ctx;
  return html`<section class="mb-5" aria-labelledby="${id}">
<h2 class="h3" id="${id}">${tr(lang, b.h)}</h2>
${(b.p ?? []).map((p) => html`<p>${tr(lang, p)}</p>`)}
${b.li ? html`<ul>${b.li.map((i) => html`<li>${tr(lang, i)}</li>`)}</ul>` : ''}
</section>`;
}

function noticePage(ctx: PageContext, id: NoticeId, intro: Bilingual, blocks: Block[], updated: Bilingual): string {
  const { lang } = ctx;
  const body = html`<div class="row"><div class="col-lg-8" data-testid="notice-${id}">
<h1 class="mb-4">${tr(lang, NOTICE_TITLES[id])}</h1>
<p class="lead">${tr(lang, intro)}</p>
${blocks.map((b, i) => section(ctx, `${id}-${i + 1}`, b))}
<p class="small text-muted">${tr(lang, updated)}</p>
<p class="mt-4"><a class="btn btn-outline-primary" href="${ctx.base}">${tr(lang, { it: 'Vai alla pagina iniziale', en: 'Go to the home page' })}</a></p>
</div></div>`;
  return page(ctx, { title: tr(lang, NOTICE_TITLES[id]), body });
}

const UPDATED: Bilingual = { it: 'Ultimo aggiornamento: dicembre 2026.', en: 'Last updated: December 2026.' };

// ---------------------------------------------------------------------------------------------
// Privacy notice

export function privacyPage(ctx: PageContext, opts: NoticeOptions): string {
  const days = opts.letterRetentionDays;
  const blocks: Block[] = [
    {
      h: { it: 'Chi tratta i tuoi dati', en: 'Who processes your data' },
      p: [
        {
          it: "Il titolare del trattamento è l'INPS – Istituto Nazionale Previdenza Sociale, con sede legale a Roma. L'INPS ha nominato un Responsabile della protezione dei dati (RPD, in inglese DPO), che puoi contattare per ogni domanda sui tuoi dati all'indirizzo indicato più sotto.",
          en: 'The data controller is INPS – Italian National Social Security Institute, with its registered office in Rome. INPS has appointed a Data Protection Officer (DPO), whom you can contact with any question about your data at the address given below.',
        },
      ],
    },
    {
      h: { it: 'Quali dati trattiamo', en: 'Which data we process' },
      li: [
        { it: 'il codice fiscale;', en: 'your codice fiscale (Italian tax code);' },
        { it: 'i dati anagrafici: cognome, nome, data, comune e provincia di nascita, sesso;', en: 'your personal data: surname, name, date, municipality and province of birth, sex;' },
        { it: "l'indirizzo di residenza, in Italia o all'estero;", en: 'your residence address, in Italy or abroad;' },
        { it: 'i recapiti: telefono, cellulare, e-mail, PEC, il telefono e l’orario preferiti per essere richiamato;', en: 'your contacts: phone, mobile, e-mail, PEC, the phone and time you prefer to be called back;' },
        {
          it: "i documenti di identità: gli estremi del documento mostrato allo sportello e, se chiedi il PIN dispositivo online o per fax, la copia del documento e il modulo firmato che invii;",
          en: 'identity documents: the details of the document shown at an office and, if you ask for the dispositivo PIN online or by fax, the copy of the document and the signed form you send;',
        },
        {
          it: "i dati già presenti negli archivi dell'INPS che servono a verificare la richiesta (residenza, profilo, tessera sanitaria) e, se accedi con SPID, CIE o CNS, il codice fiscale e il livello di accesso comunicati dal gestore dell'identità;",
          en: 'the data already in the INPS records that are needed to check the request (residence, profile, health-insurance card) and, if you sign in with SPID, CIE or CNS, the codice fiscale and the sign-in level sent by the identity provider;',
        },
        {
          it: 'i dati di utilizzo del servizio: date degli accessi, indirizzo IP, operazioni svolte, registrati per la sicurezza.',
          en: 'data on your use of the service: dates of access, IP address, operations carried out, recorded for security.',
        },
      ],
    },
    {
      h: { it: 'Perché li trattiamo', en: 'Why we process them' },
      p: [
        {
          it: "Per rilasciare e gestire il tuo PIN: verificare la tua identità e la tua residenza, inviarti le due parti del PIN, convertirlo in PIN dispositivo, permetterti di recuperarlo, rinnovarlo o revocarlo, registrare le deleghe e farti riconoscere dal Contact center. I dati di utilizzo servono a proteggere il tuo PIN da accessi non autorizzati.",
          en: 'To issue and manage your PIN: checking your identity and residence, sending you the two halves of the PIN, converting it to a dispositivo PIN, letting you recover, renew or revoke it, recording delegations and letting the contact centre recognise you. Usage data serve to protect your PIN from unauthorised access.',
        },
      ],
    },
    {
      h: { it: 'Su quale base', en: 'On what legal basis' },
      p: [
        {
          it: "Il trattamento è necessario per svolgere i compiti di interesse pubblico affidati all'INPS dalla legge (articolo 6, paragrafo 1, lettera e, del Regolamento (UE) 2016/679, GDPR). Senza questi dati non è possibile rilasciare il PIN. Non usiamo i tuoi dati per altri scopi. Alcuni controlli sono automatici, ad esempio chi può avere il PIN in base alla residenza e ai documenti, o il blocco dopo troppi tentativi di accesso sbagliati; la conversione in PIN dispositivo è sempre verificata da un operatore, e per ogni esito puoi rivolgerti al Contact center o a una sede INPS.",
          en: 'The processing is necessary to carry out the tasks in the public interest entrusted to INPS by law (Article 6(1)(e) of Regulation (EU) 2016/679, GDPR). Without these data the PIN cannot be issued. We do not use your data for other purposes. Some checks are automatic, for example who may have a PIN given their residence and documents, or the lock after too many wrong login attempts; the conversion to a dispositivo PIN is always checked by a clerk, and about any outcome you can turn to the contact centre or an INPS office.',
        },
      ],
    },
    {
      h: { it: 'Per quanto tempo li conserviamo', en: 'How long we keep them' },
      li: [
        {
          it: 'Il PIN non è mai conservato in chiaro: per riconoscerlo teniamo solo un’impronta da cui non si può ricavare, e le parti da inviarti restano cifrate. La busta con il PIN consegnata allo sportello non è conservata.',
          en: 'The PIN is never kept in clear: to recognise it we keep only a fingerprint from which it cannot be derived, and the halves to be sent to you stay encrypted. The envelope with the PIN handed over at an office is not kept.',
        },
        {
          it: `La lettera con la seconda parte del PIN è cancellata ${days} giorni dopo la spedizione, e subito se viene annullata o ci ritorna indietro.`,
          en: `The letter with the second half of the PIN is deleted ${days} days after it is posted, and at once if it is cancelled or comes back to us.`,
        },
        {
          it: 'Un documento caricato ma non collegato a una richiesta di conversione è cancellato; un file rifiutato dai controlli di sicurezza è tenuto separato e non è mai usato.',
          en: 'A document uploaded but not attached to a conversion request is deleted; a file refused by the security checks is kept apart and never used.',
        },
        {
          it: 'I dati della richiesta, la storia del PIN, i documenti delle richieste di conversione e delle deleghe restano per tutta la vita del PIN. Questo servizio oggi non li cancella in automatico quando il PIN scade o è revocato: sono conservati secondo i tempi stabiliti dall’INPS per i propri archivi.',
          en: 'The data of the request, the history of the PIN and the documents of conversion requests and delegations are kept for the whole life of the PIN. This service does not delete them automatically today when the PIN expires or is revoked: they are kept for the periods INPS sets for its records.',
        },
        {
          it: 'Il registro delle operazioni, tenuto per la sicurezza, non può essere modificato né cancellato.',
          en: 'The log of operations, kept for security, can be neither changed nor deleted.',
        },
      ],
    },
    {
      h: { it: 'A chi li comunichiamo', en: 'Who receives them' },
      li: [
        { it: "al servizio postale, per la lettera con la seconda parte del PIN (nome e indirizzo);", en: 'the postal service, for the letter with the second half of the PIN (name and address);' },
        { it: 'ai fornitori di SMS, e-mail e PEC, per i messaggi che ti inviamo (il numero o l’indirizzo e il testo del messaggio);', en: 'the SMS, e-mail and PEC providers, for the messages we send you (the number or address and the text of the message);' },
        { it: 'al personale INPS degli sportelli e del Contact center, solo per le operazioni di loro competenza;', en: 'INPS staff at the offices and the contact centre, only for the operations they handle;' },
        { it: 'alla persona che hai delegato, nei limiti della delega;', en: 'the person you delegated, within the limits of the delegation;' },
        { it: 'alle società che gestiscono i sistemi informatici per conto dell’INPS, nominate responsabili del trattamento.', en: 'the companies that run the computer systems on behalf of INPS, appointed as data processors.' },
      ],
      p: [{ it: 'I tuoi dati non sono pubblicati: li comunichiamo soltanto', en: 'Your data are not published; we pass them only to' }],
    },
    {
      h: { it: 'I tuoi diritti', en: 'Your rights' },
      p: [
        {
          it: 'Puoi chiedere di vedere i tuoi dati e di averne copia, di correggerli, di cancellarli o di limitarne l’uso quando non servono più ai compiti dell’INPS, e puoi opporti al trattamento per motivi legati alla tua situazione (articoli da 15 a 21 del GDPR). I recapiti si correggono anche da soli, nell’area personale.',
          en: 'You can ask to see your data and get a copy, to correct them, to have them deleted or their use restricted when they are no longer needed for the tasks of INPS, and you can object to the processing on grounds relating to your situation (Articles 15 to 21 GDPR). You can also correct your contacts yourself, in your personal area.',
        },
        {
          it: `Per esercitare i tuoi diritti scrivi al Responsabile della protezione dei dati: ${DPO_ADDRESS} (indirizzo provvisorio). Se pensi che i tuoi dati siano trattati in modo non corretto, puoi presentare reclamo al Garante per la protezione dei dati personali.`,
          en: `To exercise your rights write to the Data Protection Officer: ${DPO_ADDRESS} (placeholder address). If you think your data are processed wrongly, you can lodge a complaint with the Italian data protection authority (Garante per la protezione dei dati personali).`,
        },
      ],
    },
  ];
  return noticePage(
    ctx,
    'privacy',
    {
      it: 'Questa informativa ti spiega, come prevede l’articolo 13 del Regolamento (UE) 2016/679 (GDPR), come l’INPS tratta i dati personali che fornisci per richiedere e usare il PIN.',
      en: 'As Article 13 of Regulation (EU) 2016/679 (GDPR) requires, this notice explains how INPS processes the personal data you give to request and use the PIN.',
    },
    blocks,
    UPDATED,
  );
}

/** The short privacy notice shown before the first personal datum, linking the full one. */
export function privacySummary(ctx: PageContext): SafeHtml {
  const { lang } = ctx;
  return html`<div class="callout note mb-5" id="privacy-summary" data-testid="privacy-summary"><div class="callout-inner">
  <div class="callout-title">${icon(ctx, 'it-locked')}<span class="text">${tr(lang, { it: 'Come usiamo i tuoi dati', en: 'How we use your data' })}</span></div>
  <p>${tr(lang, {
    it: 'L’INPS, titolare del trattamento, usa i dati che inserisci (codice fiscale, dati anagrafici, residenza, recapiti) solo per rilasciare e gestire il tuo PIN, come compito di interesse pubblico. Le due parti del PIN ti arrivano tramite i fornitori di SMS, e-mail e PEC e il servizio postale. Puoi vedere, correggere o chiedere di cancellare i tuoi dati scrivendo al Responsabile della protezione dei dati.',
    en: 'INPS, the data controller, uses the data you enter (codice fiscale, personal data, residence, contacts) only to issue and manage your PIN, as a task in the public interest. The two halves of the PIN reach you through the SMS, e-mail and PEC providers and the postal service. You can see, correct or ask to delete your data by writing to the Data Protection Officer.',
  })}</p>
  <p class="mb-0"><a href="${ctx.base}${NOTICE_PATHS.privacy}" id="privacy-link">${tr(lang, { it: 'Leggi l’informativa completa sul trattamento dei dati personali', en: 'Read the full privacy notice' })}</a></p>
</div></div>`;
}

// ---------------------------------------------------------------------------------------------
// Accessibility statement

export function accessibilityPage(ctx: PageContext): string {
  const blocks: Block[] = [
    {
      h: { it: 'Stato di conformità', en: 'Compliance status' },
      p: [
        {
          it: 'Questo servizio è parzialmente conforme ai requisiti della norma EN 301 549 e delle Linee guida sull’accessibilità degli strumenti informatici, per i contenuti non accessibili elencati qui sotto.',
          en: 'This service is partially compliant with the requirements of standard EN 301 549 and the Italian guidelines on the accessibility of IT tools, because of the inaccessible content listed below.',
        },
      ],
    },
    {
      h: { it: 'Cosa abbiamo fatto', en: 'What we have done' },
      li: [
        { it: 'le pagine funzionano senza script e si leggono anche su uno schermo largo 390 pixel;', en: 'the pages work without script and can be read on a screen 390 pixels wide;' },
        { it: 'ogni campo ha un’etichetta; gli errori sono elencati in cima alla pagina, ciascuno con il collegamento al suo campo;', en: 'every field has a label; errors are listed at the top of the page, each linked to its field;' },
        { it: 'un collegamento all’inizio di ogni pagina porta direttamente al contenuto;', en: 'a link at the start of every page leads straight to the content;' },
        { it: 'ogni pagina è disponibile in italiano e in inglese.', en: 'every page is available in Italian and English.' },
      ],
    },
    {
      h: { it: 'Contenuti non accessibili', en: 'Inaccessible content' },
      li: [
        {
          it: 'I documenti PDF prodotti dal servizio (ricevuta della richiesta, lettera, moduli) non sono ancora marcati per i lettori di schermo: se ti serve il contenuto in un altro formato, chiedilo all’indirizzo indicato qui sotto o al Contact center.',
          en: 'The PDF documents the service produces (request receipt, letter, forms) are not yet tagged for screen readers: if you need their content in another format, ask at the address below or the contact centre.',
        },
        {
          it: 'L’accesso con SPID, CIE o CNS passa per le pagine del gestore dell’identità, che non dipendono da questo servizio.',
          en: 'Signing in with SPID, CIE or CNS goes through the identity provider’s pages, which do not depend on this service.',
        },
      ],
    },
    {
      h: { it: 'Come è stata redatta questa dichiarazione', en: 'How this statement was prepared' },
      p: [
        {
          it: 'La dichiarazione si basa su una valutazione svolta da chi sviluppa il servizio, con controlli manuali e prove automatiche nel browser.',
          en: 'The statement is based on an assessment by the people who develop the service, with manual checks and automated tests in the browser.',
        },
      ],
    },
    {
      h: { it: 'Segnalazioni e richieste', en: 'Feedback and requests' },
      p: [
        {
          it: `Se trovi un problema di accessibilità o ti serve un contenuto in un’altra forma, scrivi a ${ACCESSIBILITY_ADDRESS} (indirizzo provvisorio). Se la risposta non arriva entro 30 giorni o non ti soddisfa, puoi rivolgerti al Difensore civico per il digitale presso l’Agenzia per l’Italia digitale (AgID).`,
          en: `If you find an accessibility problem or need content in another form, write to ${ACCESSIBILITY_ADDRESS} (placeholder address). If no answer arrives within 30 days or it does not satisfy you, you can turn to the Digital Ombudsman at the Agency for Digital Italy (AgID).`,
        },
      ],
    },
  ];
  return noticePage(
    ctx,
    'accessibility',
    {
      it: 'L’INPS si impegna a rendere accessibile questo servizio a tutti, come prevede la Legge 9 gennaio 2004, n. 4. Questa dichiarazione riguarda le pagine del PIN INPS per i cittadini e la console del personale.',
      en: 'INPS is committed to making this service accessible to everyone, as Italian Law no. 4 of 9 January 2004 requires. This statement covers the INPS PIN pages for citizens and the staff console.',
    },
    blocks,
    UPDATED,
  );
}

// ---------------------------------------------------------------------------------------------
// Legal notes

export function legalPage(ctx: PageContext): string {
  const blocks: Block[] = [
    {
      h: { it: 'Contenuti del sito', en: 'Content of the site' },
      p: [
        {
          it: 'I testi e le immagini di queste pagine appartengono all’INPS. Puoi riprodurli citando la fonte, senza modificarli e senza fini di lucro; i loghi e i marchi non possono essere usati senza autorizzazione.',
          en: 'The texts and images of these pages belong to INPS. You may reproduce them quoting the source, without changing them and not for profit; logos and trademarks may not be used without permission.',
        },
      ],
    },
    {
      h: { it: 'Uso del PIN', en: 'Use of the PIN' },
      p: [
        {
          it: 'Il PIN è personale: non comunicarlo a nessuno e non scriverlo insieme al codice fiscale. L’INPS non ti chiederà mai il PIN per telefono, e-mail o SMS. Chi usa il PIN di un’altra persona ne risponde secondo la legge. Se pensi che qualcuno conosca il tuo PIN, revocalo subito.',
          en: 'The PIN is personal: do not share it with anyone and do not write it down with your codice fiscale. INPS will never ask you for your PIN by phone, e-mail or text message. Anyone using another person’s PIN is liable under the law. If you think someone knows your PIN, revoke it at once.',
        },
      ],
    },
    {
      h: { it: 'Responsabilità', en: 'Liability' },
      p: [
        {
          it: 'L’INPS cura che le informazioni di queste pagine siano corrette e aggiornate, ma fanno fede le norme e i provvedimenti pubblicati. I collegamenti verso siti esterni sono offerti per comodità: l’INPS non risponde del loro contenuto.',
          en: 'INPS takes care that the information on these pages is correct and up to date, but the published laws and measures prevail. Links to external sites are offered for convenience: INPS is not responsible for their content.',
        },
      ],
    },
    {
      h: { it: 'Dati personali e accessibilità', en: 'Personal data and accessibility' },
      p: [
        {
          it: 'Come trattiamo i tuoi dati è spiegato nell’informativa sul trattamento dei dati personali; cosa abbiamo fatto perché il servizio sia usabile da tutti è spiegato nella dichiarazione di accessibilità. Entrambe sono collegate in fondo a ogni pagina.',
          en: 'How we process your data is explained in the privacy notice; what we have done so that everyone can use the service is explained in the accessibility statement. Both are linked at the bottom of every page.',
        },
      ],
    },
  ];
  return noticePage(
    ctx,
    'legal',
    {
      it: 'Le condizioni d’uso delle pagine del PIN INPS.',
      en: 'The terms of use of the INPS PIN pages.',
    },
    blocks,
    UPDATED,
  );
}
