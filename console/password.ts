/**
 * Console: the staff member's own password. An account whose password was generated (new, or
 * reset by an administrator) is sent here by the guard from every other page until it chooses
 * one; anyone may come back to change it. The rules and the audit are the service's
 * (`changeStaffPassword`); the passwords are never shown back, logged or kept in the form.
 */
import type { Request, Response, Router } from 'express';
import type { ApiDeps } from '../api/deps';
import { changeStaffPassword, STAFF_PASSWORD_MIN_LENGTH } from '../services/staff/accounts';
import { html } from '../web/html';
import { errorSummary, textField, type FormState } from '../portal/views';
import { alertBox, consoleContext, consolePage, csrfInput, t } from './layout';
import { ANY_STAFF } from './roles';
import { act, formValues, PASSWORD_PATH, sendPage, shownError, staffOf, type consoleGuard } from './shared';

type Guard = ReturnType<typeof consoleGuard>;

export function passwordPages(r: Router, deps: ApiDeps, guard: Guard): void {
  function passwordPage(req: Request, res: Response, status: number, state: FormState, notice?: string): void {
    const ctx = consoleContext(req, res, PASSWORD_PATH);
    const forced = staffOf(res).mustChangePassword;
    const labels: Record<string, string> = {
      current: t(ctx, 'Password attuale', 'Current password'),
      password: t(ctx, 'Nuova password', 'New password'),
      repeat: t(ctx, 'Ripeti la nuova password', 'Repeat the new password'),
    };
    res.set('Cache-Control', 'no-store');
    sendPage(
      res,
      status,
      consolePage(ctx, {
        title: t(ctx, 'Cambio password', 'Change password'),
        hasErrors: state.issues.length > 0,
        body: html`${notice ? alertBox('success', notice, 'password-changed') : ''}${errorSummary(ctx, state.issues, (f) => labels[f])}
${forced
  ? alertBox(
      'info',
      t(
        ctx,
        'La password ricevuta è stata generata: scegline una tua prima di usare la console.',
        'The password you were given was generated: choose your own before using the console.',
      ),
      'password-change-required',
    )
  : ''}
<form method="post" action="${ctx.base}${PASSWORD_PATH}" class="col-lg-6" novalidate>
  ${csrfInput(ctx)}
  ${textField(ctx, state, { name: 'current', label: labels.current!, type: 'password', required: true, autocomplete: 'current-password', maxlength: 128 })}
  ${textField(ctx, state, {
    name: 'password',
    label: labels.password!,
    type: 'password',
    required: true,
    autocomplete: 'new-password',
    maxlength: 128,
    hint: t(
      ctx,
      `Almeno ${STAFF_PASSWORD_MIN_LENGTH} caratteri, diversa da quella attuale, senza il nome utente. Una frase di più parole va bene.`,
      `At least ${STAFF_PASSWORD_MIN_LENGTH} characters, not the current one, without the username. A phrase of several words is fine.`,
    ),
  })}
  ${textField(ctx, state, { name: 'repeat', label: labels.repeat!, type: 'password', required: true, autocomplete: 'new-password', maxlength: 128 })}
  <button type="submit" class="btn btn-primary">${t(ctx, 'Cambia password', 'Change password')}</button>
</form>`,
      }),
    );
  }

  r.get(PASSWORD_PATH, guard(ANY_STAFF, { passwordChange: true }), (req, res) => passwordPage(req, res, 200, { values: {}, issues: [] }));

  r.post(PASSWORD_PATH, guard(ANY_STAFF, { passwordChange: true }), async (req, res) => {
    const staff = staffOf(res);
    const values = formValues(req.body, ['current', 'password', 'repeat'], 256);
    try {
      await act(deps.pool, staff, 'password_change', staff.staffId, () =>
        changeStaffPassword(deps, staff.accountId, { current: values.current!, password: values.password!, repeat: values.repeat! }, res.locals.sessionToken as string),
      { forced: staff.mustChangePassword },
      );
    } catch (err) {
      const shown = shownError(err);
      if (!shown) throw err;
      passwordPage(req, res, shown.status, { values: {}, issues: shown.fields.length ? shown.fields : [{ field: 'current', code: shown.type, message: shown.userMessage }] });
      return;
    }
    if (staff.mustChangePassword) {
      res.redirect(303, `${req.baseUrl}/`);
      return;
    }
    const ctx = consoleContext(req, res, PASSWORD_PATH);
    passwordPage(req, res, 200, { values: {}, issues: [] }, t(ctx, 'Password cambiata. Le altre sessioni del tuo account sono state chiuse.', 'Password changed. The other sessions of your account have been ended.'));
  });
}
