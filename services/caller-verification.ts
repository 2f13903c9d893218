/**
 * How a contact-centre operator proves who is calling before acting for them: the caller's
 * telephone PIN (created after an SPID/CIE/CNS login; counted and locked like the API's check),
 * or the identity questions the operator asked, described in a note. What was used is recorded
 * with the action; the telephone PIN itself never is.
 */
import { DomainError, ErrorType, fieldIssue } from '../domain/errors';
import type { StaffPrincipal } from './staff/principal';
import { createTelephonePinService, type TelephonePinServiceDeps } from './telephone-pin/telephone-pins';

/** How the operator verified the caller. */
export type CallerVerification = { method: 'telephone_pin'; telephonePin: string } | { method: 'identity_questions'; note: string };

/** Checks the verification for the holder of `codiceFiscale`; answers what to record (no secret). */
export function createCallerVerifier(deps: TelephonePinServiceDeps) {
  const telephonePins = createTelephonePinService(deps);
  return async function verifyCaller(staff: StaffPrincipal, codiceFiscale: string, verification: CallerVerification): Promise<Record<string, string>> {
    if (verification.method === 'telephone_pin') {
      const verified = await telephonePins.verifyCaller(staff, codiceFiscale, verification.telephonePin.replace(/[\s.-]/g, ''));
      return { method: 'telephone_pin', telephonePinId: verified.telephonePinId };
    }
    const note = verification.note.trim();
    if (note.length < 10) {
      throw new DomainError(ErrorType.Validation, { it: 'Descrivi le verifiche fatte.', en: 'Describe the checks made.' }, [
        fieldIssue('verification.note', 'too_small', 'Descrivi le verifiche fatte (almeno 10 caratteri).', 'Describe the checks (at least 10 characters).'),
      ]);
    }
    return { method: 'identity_questions', note };
  };
}
