/**
 * The contact centre's work: call-back tasks (a declared residence that differs from the
 * institute's records), a missing contact added for a caller who proved who they are, and a new
 * letter for a caller who did not get theirs. The JSON API and the console both call these.
 */
import type { ServiceDeps } from './deps';
import { DomainError, ErrorType } from '../domain/errors';
import { validateContacts, type ContactDetails } from '../domain/pin-request';
import { credentialWorkflowId, recordCallbackOutcomeUpdate, requestNewLetterUpdate, type CallbackOutcome, type CallbackView } from '../workflows/definitions';
import { commandGrant } from './grants';
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
  /** Calls recorded so far (each not answered). */
  attempts: number;
  /** The residence the request declared, and the one in the institute's records. */
  declared: Record<string, unknown>;
  on_record: Record<string, unknown> | null;
}

/** What the operator found on the call. */
export interface CallbackOutcomeInput {
  outcome: CallbackOutcome;
  /** Verified: where the letter goes — the record's residence, or the declared one the call confirmed. */
  address?: 'record' | 'declared';
  note?: string;
}

export type { CallerVerification } from './caller-verification';

export type ContactCentreDeps = TelephonePinServiceDeps & Pick<ServiceDeps, 'pool' | 'temporal' | 'taskQueue' | 'log' | 'secrets'>;

const credentialNotFound = () => new DomainError(ErrorType.NotFound, { it: 'Credenziale non trovata.', en: 'Credential not found.' });

export function createContactCentreService(deps: ContactCentreDeps) {
  const telephonePins = createTelephonePinService(deps);
  const verifyCaller = createCallerVerifier(deps);

  /** The open call-back tasks, oldest first (at most 200), or just the open task `taskId`. */
  const callbackTasks = async (taskId?: string): Promise<CallbackTask[]> =>
    (
      await deps.pool.query<CallbackTask>(
        `SELECT t.id, t.credential_id, t.reason, t.phone, t.time_slot, t.created_at, t.attempts, c.codice_fiscale, c.holder,
                c.residence AS declared, r.residence AS on_record
           FROM callback_tasks t JOIN credentials c ON c.id = t.credential_id
           LEFT JOIN institute_records r ON r.codice_fiscale = c.codice_fiscale
          WHERE t.status = 'open' AND ($1::uuid IS NULL OR t.id = $1::uuid) ORDER BY t.created_at LIMIT 200`,
        [taskId ?? null],
      )
    ).rows;

  /**
   * Records one call-back: the credential's workflow, which holds the request until the call
   * verifies the requester, takes the outcome (with the API's grant over operator, outcome and
   * address). Verified: the PIN is made and its letter posted to the confirmed address. Not
   * verified, or not reached the last allowed time: the request is refused and its contacts told.
   */
  async function recordCallbackOutcome(staff: StaffPrincipal, taskId: string, input: CallbackOutcomeInput): Promise<{ taskId: string; credentialId: string } & CallbackView> {
    const { rows } = await deps.pool.query<{ credential_id: string; status: string }>('SELECT credential_id, status FROM callback_tasks WHERE id = $1::uuid', [taskId]);
    const task = rows[0];
    if (!task) throw new DomainError(ErrorType.NotFound, { it: 'Attività non trovata.', en: 'Task not found.' });
    if (task.status !== 'open') throw new DomainError(ErrorType.Conflict, { it: 'Richiamata già conclusa.', en: 'Call-back already concluded.' });
    const address = input.outcome === 'verified' ? input.address : undefined;
    const grant = commandGrant(deps, { actor: `staff:${staff.staffId}`, role: 'callback', target: task.credential_id, action: input.outcome, detail: address ?? '' });
    const view = await deps.temporal.workflow.getHandle(credentialWorkflowId(task.credential_id)).executeUpdate(recordCallbackOutcomeUpdate, {
      args: [{ outcome: input.outcome, ...(address ? { address } : {}), staffId: staff.staffId, ...(input.note ? { note: input.note } : {}), grant }],
    });
    return { taskId, credentialId: task.credential_id, ...view };
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
      throw new DomainError(ErrorType.Validation, { it: 'Indica il recapito da aggiungere.', en: 'Give the contact to add.' }, [
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
        throw new DomainError(ErrorType.Conflict, { it: 'I recapiti sono cambiati nel frattempo: riprova.', en: 'The contacts changed meanwhile: please try again.' });
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

  return { callbackTasks, recordCallbackOutcome, addContact, requestNewLetter, verifyCaller: telephonePins.verifyCaller };
}
