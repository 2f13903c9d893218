/**
 * The API's signature on a command that carries authority (lib/authority.ts): made here, after
 * the caller was authenticated, and checked by the activity that acts on it.
 */
import { grantAuthority, type AuthorityClaim, type AuthorityGrant } from '../lib/authority';
import { DomainError, ErrorType } from '../domain/errors';
import type { ServiceDeps } from './deps';

export function commandGrant(deps: Pick<ServiceDeps, 'secrets'>, claim: AuthorityClaim): AuthorityGrant {
  if (!deps.secrets) throw new DomainError(ErrorType.Unavailable, { it: 'Servizio non configurato (chiave dei segreti).', en: 'Service not configured (secrets key).' });
  return grantAuthority(deps.secrets, claim);
}

/** The grant of a revocation of `credentialId` asked by `requestedBy` for `reason`. */
export const revocationGrant = (deps: Pick<ServiceDeps, 'secrets'>, credentialId: string, requestedBy: string, reason: string) =>
  commandGrant(deps, { actor: requestedBy, role: 'revoke', target: credentialId, action: reason });

/** The grant of a re-issue of `credentialId` asked by `requestedBy` for `reason` (and the PIN type asked, if any). */
export const reissueGrant = (deps: Pick<ServiceDeps, 'secrets'>, credentialId: string, requestedBy: string, reason: string, pinType?: string) =>
  commandGrant(deps, { actor: requestedBy, role: 'reissue', target: credentialId, action: reason, detail: pinType ?? '' });
