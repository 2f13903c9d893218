/**
 * Console: staff accounts, for administrators. Creating an account or resetting its credentials
 * shows the generated password and the TOTP enrolment once (a QR code of the `otpauth://` URI,
 * drawn here as a PNG `data:` image, and the URI and secret as text for typing), on a page that is
 * not cached and has no language links (a reload or a link would not show them again). The
 * account must change the password at its first login.
 */
import type { Request, Response, Router } from 'express';
import QRCode from 'qrcode';
import { checkAuditLog, recentAuditRows } from '../services/audit-log';
import type { ApiDeps } from '../api/deps';
import {
  createStaffAccount,
  listStaffAccounts,
  parseNewStaffAccount,
  resetStaffCredentials,
  setStaffAccountDisabled,
  STAFF_ROLES,
  type IssuedCredentials,
} from '../services/staff/accounts';
import { html, type SafeHtml } from '../web/html';
import { selectField, textField, type FormState } from '../portal/views';
import { alertBox, consoleContext, consolePage, csrfInput, fmtDate, fmtDateTime, roleLabel, t, table, tb } from './layout';
import { SECTIONS } from './roles';
import { ACTOR_KINDS, actorSaid, AUDIT_ACTIONS, AUDIT_DECISIONS, labelIn, say } from './vocabulary';
import { act, messagePage, sendPage, shownError, staffOf, formValues, type consoleGuard } from './shared';

type Guard = ReturnType<typeof consoleGuard>;

const USERNAME_PARAM = /^[a-z][a-z0-9._-]{2,31}$/;

export function adminPages(r: Router, deps: ApiDeps, guard: Guard): void {
  const accountDeps = () => {
    if (!deps.secrets) return undefined;
    return { pool: deps.pool, pepper: deps.pepper, secrets: deps.secrets };
  };
  const noSecrets = (req: Request, res: Response) =>
    messagePage(req, res, 503, { it: 'Non disponibile', en: 'Unavailable' }, { it: 'La chiave dei segreti (SECRETS_KEY) non è configurata.', en: 'The secrets key (SECRETS_KEY) is not configured.' }, 'admin');

  async function listPage(req: Request, res: Response, status: number, state: FormState, notice?: string): Promise<void> {
    const ctx = consoleContext(req, res, '/admin/staff');
    const accounts = await listStaffAccounts(deps.pool);
    const me = staffOf(res).staffId;
    const rows = accounts.map((a) => [
      a.username,
      a.displayName,
      roleLabel(ctx, a.role),
      a.disabled ? t(ctx, 'disattivato', 'disabled') : a.lockedUntil && a.lockedUntil > new Date() ? t(ctx, `bloccato fino a ${fmtDateTime(ctx, a.lockedUntil)}`, `locked until ${fmtDateTime(ctx, a.lockedUntil)}`) : t(ctx, 'attivo', 'active'),
      fmtDateTime(ctx, a.lastLoginAt),
      a.username === me
        ? '—'
        : html`<form method="post" action="${ctx.base}/admin/staff/${a.username}/${a.disabled ? 'enable' : 'disable'}" class="d-inline">${csrfInput(ctx)}<button class="btn btn-sm btn-outline-secondary" type="submit">${a.disabled ? t(ctx, 'Riattiva', 'Enable') : t(ctx, 'Disattiva', 'Disable')}</button></form>
<form method="post" action="${ctx.base}/admin/staff/${a.username}/reset" class="d-inline">${csrfInput(ctx)}<button class="btn btn-sm btn-outline-danger" type="submit">${t(ctx, 'Nuove credenziali', 'New credentials')}</button></form>
<a class="btn btn-sm btn-outline-primary" href="${ctx.base}/admin/staff/${a.username}/tokens">${t(ctx, 'Token API', 'API tokens')}</a>`,
    ]);
    sendPage(
      res,
      status,
      consolePage(ctx, {
        title: t(ctx, 'Account del personale', 'Staff accounts'),
        active: 'admin',
        hasErrors: state.issues.length > 0,
        body: html`${notice ? alertBox('success', notice) : ''}
${table(t(ctx, 'Account', 'Accounts'), [t(ctx, 'Utente', 'Username'), t(ctx, 'Nome', 'Name'), t(ctx, 'Ruolo', 'Role'), t(ctx, 'Stato', 'Status'), t(ctx, 'Ultimo accesso', 'Last login'), t(ctx, 'Azioni', 'Actions')], rows, 'staff-accounts')}
<p><a href="${ctx.base}/admin/audit">${t(ctx, 'Registro di audit e verifica della catena', 'Audit log and chain check')}</a></p>
<h2 class="h4 mt-5">${t(ctx, 'Nuovo account', 'New account')}</h2>
<form method="post" action="${ctx.base}/admin/staff" class="col-lg-6" novalidate>
  ${csrfInput(ctx)}
  ${textField(ctx, state, { name: 'username', label: t(ctx, 'Nome utente', 'Username'), required: true, maxlength: 32, autocapitalize: 'off', spellcheck: false, hint: t(ctx, 'Lettere minuscole, cifre, punto o trattino.', 'Lower-case letters, digits, dot or dash.') })}
  ${textField(ctx, state, { name: 'displayName', label: t(ctx, 'Nome e cognome', 'Full name'), required: true, maxlength: 80 })}
  ${selectField(ctx, state, { name: 'role', label: t(ctx, 'Ruolo', 'Role'), required: true, placeholder: t(ctx, 'Scegli', 'Choose'), options: STAFF_ROLES.map((role) => ({ value: role, label: roleLabel(ctx, role) })) })}
  <button type="submit" class="btn btn-primary">${t(ctx, 'Crea account', 'Create account')}</button>
</form>`,
      }),
    );
  }

  async function credentialsPage(req: Request, res: Response, status: number, issued: IssuedCredentials, title: string): Promise<void> {
    const ctx = consoleContext(req, res, '/admin/staff');
    // In memory only: the image is the page's, like the text below it (no file, no log, no cache).
    const qr = await QRCode.toDataURL(issued.otpauthUri, { errorCorrectionLevel: 'M', margin: 4, scale: 5 });
    res.set('Cache-Control', 'no-store');
    sendPage(
      res,
      status,
      consolePage(ctx, {
        title,
        active: 'admin',
        langSwitch: false,
        body: html`${alertBox('warning', t(ctx, 'Questi dati sono mostrati solo ora: consegnali alla persona in modo sicuro. Non sono conservati in chiaro.', 'These are shown only now: hand them to the person securely. They are not kept in clear.'))}
<p>${t(ctx, 'Inquadra il codice con l’app di autenticazione (TOTP, 6 cifre, 30 secondi):', 'Scan the code with the authenticator app (TOTP, 6 digits, 30 seconds):')}</p>
<p><img src="${qr}" data-testid="issued-totp-qr" alt="${t(ctx, 'Codice QR dell’URI otpauth qui sotto', 'QR code of the otpauth URI below')}"></p>
<dl class="row" data-testid="issued-credentials">
  <dt class="col-sm-3">${t(ctx, 'Nome utente', 'Username')}</dt><dd class="col-sm-9"><code>${issued.username}</code></dd>
  <dt class="col-sm-3">Password</dt><dd class="col-sm-9"><code data-testid="issued-password">${issued.password}</code></dd>
  <dt class="col-sm-3">${t(ctx, 'Segreto TOTP', 'TOTP secret')}</dt><dd class="col-sm-9"><code data-testid="issued-totp-secret">${issued.totpSecret}</code></dd>
  <dt class="col-sm-3">URI otpauth</dt><dd class="col-sm-9"><code class="text-break" data-testid="issued-otpauth-uri">${issued.otpauthUri}</code></dd>
</dl>
<p>${t(ctx, 'Senza fotocamera: aggiungi l’URI (o il segreto) all’app a mano.', 'Without a camera: add the URI (or the secret) to the app by hand.')}</p>
<p>${t(ctx, 'Al primo accesso la persona dovrà scegliere una sua password al posto di quella generata.', 'At the first login the person must choose their own password instead of the generated one.')}</p>
<p><a href="${ctx.base}/admin/staff">${t(ctx, '← Torna agli account', '← Back to the accounts')}</a></p>`,
      }),
    );
  }

  r.get('/admin/staff', guard(SECTIONS.admin), (req, res) => listPage(req, res, 200, { values: {}, issues: [] }));

  r.post('/admin/staff', guard(SECTIONS.admin), async (req, res) => {
    const d = accountDeps();
    if (!d) return noSecrets(req, res);
    const values = formValues(req.body, ['username', 'displayName', 'role'], 100);
    const staff = staffOf(res);
    try {
      const account = parseNewStaffAccount(values);
      const issued = await act(deps.pool, staff, 'staff_account.create', account.username, () => createStaffAccount(d, account, `staff:${staff.staffId}`), { role: account.role });
      const ctx = consoleContext(req, res, '/admin/staff');
      await credentialsPage(req, res, 201, issued, t(ctx, 'Account creato', 'Account created'));
    } catch (err) {
      const shown = shownError(err);
      if (!shown) throw err;
      await listPage(req, res, shown.status, { values, issues: shown.fields.length ? shown.fields : [{ field: 'username', code: shown.type, message: shown.userMessage }] });
    }
  });

  const accountAction = (name: 'reset' | 'disable' | 'enable') =>
    r.post(`/admin/staff/:username/${name}`, guard(SECTIONS.admin), async (req, res) => {
      const username = String(req.params.username);
      const staff = staffOf(res);
      const ctx = consoleContext(req, res, '/admin/staff');
      if (!USERNAME_PARAM.test(username)) {
        return messagePage(req, res, 404, { it: 'Account non trovato', en: 'Account not found' }, { it: 'Account non trovato.', en: 'Account not found.' }, 'admin');
      }
      if (username === staff.staffId) {
        return messagePage(req, res, 409, { it: 'Operazione non consentita', en: 'Not allowed' }, { it: 'Non puoi modificare il tuo account da qui.', en: 'You cannot change your own account here.' }, 'admin');
      }
      if (name === 'reset') {
        const d = accountDeps();
        if (!d) return noSecrets(req, res);
        const issued = await act(deps.pool, staff, 'staff_account.reset', username, () => resetStaffCredentials(d, username, `staff:${staff.staffId}`));
        return await credentialsPage(req, res, 200, issued, t(ctx, 'Nuove credenziali', 'New credentials'));
      }
      await act(deps.pool, staff, `staff_account.${name}`, username, () => setStaffAccountDisabled(deps, username, name === 'disable', `staff:${staff.staffId}`));
      await listPage(req, res, 200, { values: {}, issues: [] }, tb(ctx, name === 'disable' ? { it: `Account ${username} disattivato.`, en: `Account ${username} disabled.` } : { it: `Account ${username} riattivato.`, en: `Account ${username} enabled.` }));
    });
  accountAction('reset');
  accountAction('disable');
  accountAction('enable');

  // -- the audit log ------------------------------------------------------------------------

  r.get('/admin/audit', guard(SECTIONS.admin), async (req, res) => {
    const ctx = consoleContext(req, res, '/admin/audit');
    const q = (name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string).trim().slice(0, 80) : '');
    const subject = q('subject');
    const actor = q('actor');
    const rows = await recentAuditRows(deps, { ...(subject ? { subject } : {}), ...(actor ? { actor } : {}) });
    // A row's subject filters the log by it. It reads as a person would say it: a day (a mail-room
    // batch) as a date, a PIN or a claim by its protocol number, any other record by a short
    // reference (the first 8 characters of its id, as the lookup shows review cases).
    const subjectText = (r: (typeof rows)[number]): string =>
      /^\d{4}-\d{2}-\d{2}$/.test(r.subject!) ? fmtDate(ctx, r.subject!) : (r.subjectProtocol ?? (/^[0-9a-f]{8}-/i.test(r.subject!) ? `${t(ctx, 'rif.', 'ref.')} ${r.subject!.slice(0, 8)}` : r.subject!));
    // An actor named by a record's id reads as its kind and the name a person knows it by (a staff account's username, a PIN's protocol number).
    const actorCell = (r: (typeof rows)[number]): string => {
      const kind = labelIn(ctx.lang, ACTOR_KINDS, r.actor.slice(0, r.actor.indexOf(':')));
      return r.actorName && kind ? `${kind} ${r.actorName}` : actorSaid(ctx, r.actor);
    };
    const subjectCell = (r: (typeof rows)[number]) =>
      r.subject ? html`<a href="${ctx.base}/admin/audit?subject=${encodeURIComponent(r.subject)}" title="${r.subject}">${subjectText(r)}</a>` : '—';
    let check: SafeHtml | '' = '';
    if (req.query.check === '1') {
      const result = await act(deps.pool, staffOf(res), 'audit.check', undefined, () => checkAuditLog(deps));
      const summary = t(
        ctx,
        `${result.chain.rows} righe verificate (${result.chain.keyed} con chiave), ${result.checkpointsChecked} punti di controllo esterni confrontati.`,
        `${result.chain.rows} rows verified (${result.chain.keyed} keyed), ${result.checkpointsChecked} outside checkpoints compared.`,
      );
      check = result.ok
        ? alertBox('success', html`<span data-testid="audit-check">${t(ctx, 'Registro integro.', 'Log intact.')} ${summary}${result.checkpointsConfigured ? '' : ` ${t(ctx, '(Nessun file di punti di controllo configurato.)', '(No checkpoint file configured.)')}`}</span>`)
        : alertBox('danger', html`<span data-testid="audit-check">${t(ctx, 'Registro NON integro:', 'Log NOT intact:')} ${result.problems.join('; ')}. ${summary}</span>`);
    }
    sendPage(
      res,
      200,
      consolePage(ctx, {
        title: t(ctx, 'Registro di audit', 'Audit log'),
        active: 'admin',
        body: html`${check}
<p>${t(
          ctx,
          'Ogni riga è legata alla precedente con un codice (HMAC) calcolato con una chiave che il database non conosce: una riga modificata, aggiunta o tolta interrompe la catena.',
          'Each row is chained to the one before by a code (HMAC) made with a key the database does not hold: an edited, added or removed row breaks the chain.',
        )}</p>
<form method="get" action="${ctx.base}/admin/audit" class="row g-3 align-items-end mb-4">
  <div class="col-md-4"><div class="form-group mb-0"><label for="f-subject" class="active">${t(ctx, 'Soggetto (es. id della credenziale)', 'Subject (e.g. credential id)')}</label><input id="f-subject" name="subject" class="form-control" value="${subject}" maxlength="80"></div></div>
  <div class="col-md-4"><div class="form-group mb-0"><label for="f-actor" class="active">${t(ctx, 'Autore (es. staff:mrossi)', 'Actor (e.g. staff:mrossi)')}</label><input id="f-actor" name="actor" class="form-control" value="${actor}" maxlength="80"></div></div>
  <div class="col-md-2"><button type="submit" class="btn btn-outline-primary">${t(ctx, 'Filtra', 'Filter')}</button></div>
  <div class="col-md-2"><button type="submit" name="check" value="1" class="btn btn-primary">${t(ctx, 'Verifica la catena', 'Verify the chain')}</button></div>
</form>
${table(
  t(ctx, 'Ultime 100 righe', 'Latest 100 rows'),
  [t(ctx, 'N.', 'No.'), t(ctx, 'Quando', 'When'), t(ctx, 'Autore', 'Actor'), t(ctx, 'Azione', 'Action'), t(ctx, 'Soggetto', 'Subject'), t(ctx, 'Esito', 'Outcome')],
  rows.map((r) => [String(r.id), fmtDateTime(ctx, r.at), actorCell(r), say(ctx, AUDIT_ACTIONS, r.action), subjectCell(r), r.decision ? say(ctx, AUDIT_DECISIONS, r.decision) : '—']),
  'audit-rows',
)}
<p><a href="${ctx.base}/admin/staff">${t(ctx, '← Account del personale', '← Staff accounts')}</a></p>`,
      }),
    );
  });
}
