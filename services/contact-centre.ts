/**
 * The contact centre's work: call-back tasks (a declared residence that differs from the
 * institute's records), a missing contact added for a caller who proved who they are, and a new
 * letter for a caller who did not get theirs. The JSON API and the console both call these.
 */
import type { ServiceDeps } from './deps';
import { DomainError, ErrorType } from '../domain/errors';
import { validateContacts, type ContactDetails } from '../domain/pin-request';
import { credentialWorkflowId, requestNewLetterUpdate } from '../workflows/definitions';
import { applyContactChange, changedFields, contactsOf } from './lifecycle/contact-changes';
import { createTelephonePinService, type TelephonePinServiceDeps } from './telephone-pin/telephone-pins';
import { liveCredentialById } from './credentials';
import { createCallerVerifier, type CallerVerification } from './caller-verification';
import type { StaffPrincipal } from './staff/auth';

export interface CallbackTask {
  id: string;
  credential_id: string;
  reason: string;
  phone: string;
  time_slot: string;
  created_at: Date;
  codice_fiscale: string;
  holder: { name: string; surname: string };
}

export type { CallerVerification } from './caller-verification';

export type ContactCentreDeps = TelephonePinServiceDeps & Pick<ServiceDeps, 'pool' | 'temporal' | 'taskQueue' | 'log'>;

const credentialNotFound = () => new DomainError(ErrorType.NotFound, { it: 'Credenziale non trovata.', en: 'Credential not found.' });

export function createContactCentreService(deps: ContactCentreDeps) {
  const telephonePins = createTelephonePinService(deps);
  const verifyCaller = createCallerVerifier(deps);

  /** The open call-back tasks, oldest first (at most 200). */
  const callbackTasks = async (): Promise<CallbackTask[]> =>
    (
      await deps.pool.query<CallbackTask>(
        `SELECT t.id, t.credential_id, t.reason, t.phone, t.time_slot, t.created_at, c.codice_fiscale, c.holder
           FROM callback_tasks t JOIN credentials c ON c.id = t.credential_id
          WHERE t.status = 'open' ORDER BY t.created_at LIMIT 200`,
      )
    ).rows;

  /** Closes an open task; false when there is none open with that id. */
  async function closeCallbackTask(taskId: string, staffId: string): Promise<boolean> {
    const { rowCount } = await deps.pool.query(`UPDATE callback_tasks SET status = 'done', closed_at = now(), closed_by = $2::text WHERE id = $1::uuid AND status = 'open'`, [
      taskId,
      staffId,
    ]);
    return (rowCount ?? 0) > 0;
  }

  /**
   * Adds the contacts in `given` that the credential does not have yet, for a caller verified by
   * `verification` (a telephone PIN they created with SPID/CIE/CNS, or the operator's record of
   * other checks). Replacing a contact over the phone would hand the PIN to whoever called: only
   * empty ones are filled. The holder is notified at the old and new addresses.
   */
  async function addContact(
    staff: StaffPrincipal,
    credentialId: string,
    given: Partial<Record<'mobile' | 'email' | 'pec', string | null>>,
    verification: CallerVerification,
  ): Promise<{ changeId: string; fields: string[]; added: ('mobile' | 'email' | 'pec')[]; warnings: ReturnType<typeof validateContacts>['warnings'] }> {
    const added = (['mobile', 'email', 'pec'] as const).filter((k) => typeof given[k] === 'string' && given[k].trim() !== '');
    if (added.length === 0) {
      throw new DomainError(ErrorType.Validation, { it: 'Indicare il recapito da aggiungere.', en: 'Give the contact to add.' }, [
        { field: 'contacts', code: 'contact_required', message: { it: 'Cellulare, e-mail o PEC', en: 'Mobile, e-mail or PEC' } },
      ]);
    }
    const credential = await liveCredentialById<{ codice_fiscale: string; contacts: Record<string, unknown> }>(deps.pool, credentialId, 'codice_fiscale, contacts');
    if (!credential) throw credentialNotFound();

    const recorded = await verifyCaller(staff, credential.codice_fiscale, verification);

    const current = contactsOf(credential.contacts);
    const merged: Record<string, unknown> = { ...current };
    for (const k of added) merged[k] = given[k]!.trim();
    const { contacts, warnings } = validateContacts(merged);
    const onlyAdds = (latest: ContactDetails) => {
      if (changedFields(current, latest).length) {
        throw new DomainError(ErrorType.Conflict, { it: 'I recapiti sono cambiati nel frattempo: riprovi.', en: 'The contacts changed meanwhile: please try again.' });
      }
      const taken = added.filter((k) => latest[k] !== undefined);
      if (taken.length) {
        throw new DomainError(
          ErrorType.Conflict,
          {
            it: 'Il recapito è già registrato: il titolare può modificarlo dalla sua area personale.',
            en: 'That contact is already registered: the holder can change it from their personal area.',
          },
          taken.map((k) => ({ field: k, code: 'already_registered', message: { it: 'Già registrato', en: 'Already registered' } })),
        );
      }
    };
    const applied = await applyContactChange(deps, { credentialId, next: { ...contacts }, changedBy: `operator:${staff.staffId}`, verification: recorded, check: onlyAdds });
    if (!applied) throw new DomainError(ErrorType.Conflict, { it: 'Nessuna modifica.', en: 'Nothing changed.' });
    return { ...applied, added, warnings };
  }

  /** A caller did not get the letter: a new one, within the limits the workflow enforces. */
  const requestNewLetter = (staffId: string, credentialId: string) =>
    deps.temporal.workflow.getHandle(credentialWorkflowId(credentialId)).executeUpdate(requestNewLetterUpdate, { args: [{ requestedBy: `operator:${staffId}` }] });

  return { callbackTasks, closeCallbackTask, addContact, requestNewLetter, verifyCaller: telephonePins.verifyCaller };
}
