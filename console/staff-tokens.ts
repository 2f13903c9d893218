/**
 * Console: an account's API tokens, for administrators. Issuing shows the token once (a page not
 * cached, without language links); the list shows label, dates and state, never a token; a token
 * is revoked at once. The rules are services/staff/tokens.ts.
 */
import type { Request, Response, Router } from 'express';
import type { ApiDeps } from '../api/deps';
import { DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS, issueStaffApiToken, listStaffApiTokens, revokeStaffApiToken } from '../services/staff/tokens';
import { html } from '../web/html';
import { textField, type FormState } from '../portal/views';
import { alertBox, consoleContext, consolePage, csrfInput, fmtDateTime, t, table, tb } from './layout';
import { SECTIONS } from './roles';
import { act, formValues, messagePage, sendPage, shownError, staffOf, type consoleGuard } from './shared';

type Guard = ReturnType<typeof consoleGuard>;

const USERNAME_PARAM = /^[a-z][a-z0-9._-]{2,31}$/;

export function staffTokenPages(r: Router, deps: ApiDeps, guard: Guard): void {
  const notFound = (req: Request, res: Response) =>
    messagePage(req, res, 404, { it: 'Account non trovato', en: 'Account not found' }, { it: 'Account non trovato.', en: 'Account not found.' }, 'admin');

  async function tokensPage(req: Request, res: Response, username: string, status: number, state: FormState, notice?: string): Promise<void> {
    const ctx = consoleContext(req, res, '/admin/staff');
    const tokens = await listStaffApiTokens(deps.pool, username);
    const now = new Date();
    const rows = tokens.map((k) => [
      k.label ?? '—',
      fmtDateTime(ctx, k.createdAt),
      fmtDateTime(ctx, k.expiresAt),
      k.revokedAt
        ? t(ctx, `revocato il ${fmtDateTime(ctx, k.revokedAt)}`, `revoked on ${fmtDateTime(ctx, k.revokedAt)}`)
        : k.expiresAt && k.expiresAt <= now
          ? t(ctx, 'scaduto', 'expired')
          : t(ctx, 'valido', 'valid'),
      k.revokedAt || (k.expiresAt && k.expiresAt <= now)
        ? '—'
        : html`<form method="post" action="${ctx.base}/admin/staff/${username}/tokens/${k.id}/revoke" class="d-inline">${csrfInput(ctx)}<button class="btn btn-sm btn-outline-danger" type="submit">${t(ctx, 'Revoca', 'Revoke')}</button></form>`,
    ]);
    sendPage(
      res,
      status,
      consolePage(ctx, {
        title: t(ctx, `Token API di ${username}`, `API tokens of ${username}`),
        active: 'admin',
        hasErrors: state.issues.length > 0,
        body: html`${notice ? alertBox('success', notice, 'notice') : ''}
<p>${t(ctx, 'Un token permette a un programma di chiamare l’API con il ruolo di questo account. Smette di valere alla scadenza, se revocato o se l’account è disattivato.', 'A token lets a program call the API with this account’s role. It stops working at its expiry, when revoked, or when the account is disabled.')}</p>
${rows.length ? table(t(ctx, 'Token', 'Tokens'), [t(ctx, 'Etichetta', 'Label'), t(ctx, 'Creato', 'Created'), t(ctx, 'Scade', 'Expires'), t(ctx, 'Stato', 'State'), t(ctx, 'Azioni', 'Actions')], rows, 'staff-tokens') : html`<p>${t(ctx, 'Nessun token.', 'No tokens.')}</p>`}
<h2 class="h4 mt-5">${t(ctx, 'Nuovo token', 'New token')}</h2>
<form method="post" action="${ctx.base}/admin/staff/${username}/tokens" class="col-lg-6" novalidate>
  ${csrfInput(ctx)}
  ${textField(ctx, state, { name: 'label', label: t(ctx, 'Etichetta (il programma che lo userà)', 'Label (the program that will use it)'), maxlength: 80 })}
  ${textField(ctx, state, { name: 'days', label: t(ctx, `Validità in giorni (1–${MAX_TOKEN_DAYS})`, `Validity in days (1–${MAX_TOKEN_DAYS})`), required: true, maxlength: 3, inputmode: 'numeric' })}
  <button type="submit" class="btn btn-primary">${t(ctx, 'Crea il token', 'Create the token')}</button>
</form>
<p class="mt-4"><a href="${ctx.base}/admin/staff">${t(ctx, '← Torna agli account', '← Back to the accounts')}</a></p>`,
      }),
    );
  }

  r.get('/admin/staff/:username/tokens', guard(SECTIONS.admin), async (req, res) => {
    const username = String(req.params.username);
    if (!USERNAME_PARAM.test(username)) return notFound(req, res);
    await tokensPage(req, res, username, 200, { values: { days: String(DEFAULT_TOKEN_DAYS) }, issues: [] });
  });

  r.post('/admin/staff/:username/tokens', guard(SECTIONS.admin), async (req, res) => {
    const username = String(req.params.username);
    if (!USERNAME_PARAM.test(username)) return notFound(req, res);
    const values = formValues(req.body, ['label', 'days'], 100);
    const staff = staffOf(res);
    const ctx = consoleContext(req, res, '/admin/staff');
    try {
      const days = /^\d{1,3}$/.test(values.days ?? '') ? Number(values.days) : Number.NaN;
      const issued = await act(deps.pool, staff, 'staff_token.issue', username, () => issueStaffApiToken(deps.pool, { username, days, label: values.label }, `staff:${staff.staffId}`));
      sendPage(
        res,
        201,
        consolePage(ctx, {
          title: t(ctx, 'Token creato', 'Token created'),
          active: 'admin',
          langSwitch: false,
          body: html`${alertBox('warning', t(ctx, 'Il token è mostrato solo ora: inseriscilo nell’archivio dei segreti del programma che lo userà. Non è conservato in chiaro.', 'The token is shown only now: put it in the secret store of the program that will use it. It is not kept in clear.'))}
<dl class="row"><dt class="col-sm-3">Token</dt><dd class="col-sm-9"><code class="text-break" data-testid="issued-token">${issued.token}</code></dd>
<dt class="col-sm-3">${t(ctx, 'Scade', 'Expires')}</dt><dd class="col-sm-9">${fmtDateTime(ctx, issued.expiresAt)}</dd></dl>
<p>${t(ctx, 'Si usa come intestazione', 'Use it as the header')} <code>Authorization: Bearer …</code>.</p>
<p><a href="${ctx.base}/admin/staff/${username}/tokens">${t(ctx, '← Torna ai token', '← Back to the tokens')}</a></p>`,
        }),
      );
    } catch (err) {
      const shown = shownError(err);
      if (!shown) throw err;
      await tokensPage(req, res, username, shown.status, { values, issues: shown.fields.length ? shown.fields : [{ field: 'label', code: shown.type, message: shown.userMessage }] });
    }
  });

  r.post('/admin/staff/:username/tokens/:tokenId/revoke', guard(SECTIONS.admin), async (req, res) => {
    const username = String(req.params.username);
    if (!USERNAME_PARAM.test(username)) return notFound(req, res);
    const staff = staffOf(res);
    const ctx = consoleContext(req, res, '/admin/staff');
    const revoked = await act(deps.pool, staff, 'staff_token.revoke', username, () => revokeStaffApiToken(deps.pool, String(req.params.tokenId), `staff:${staff.staffId}`));
    if (!revoked) return messagePage(req, res, 404, { it: 'Token non trovato', en: 'Token not found' }, { it: 'Token non trovato o già revocato.', en: 'Token not found or already revoked.' }, 'admin');
    await tokensPage(req, res, username, 200, { values: { days: String(DEFAULT_TOKEN_DAYS) }, issues: [] }, tb(ctx, { it: 'Token revocato.', en: 'Token revoked.' }));
  });
}
