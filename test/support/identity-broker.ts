/**
 * A stand-in for the identity broker, for tests and development only: an Ed25519 key pair and
 * the signing of SPID/CIE/CNS assertions the API accepts (see services/telephone-pin/identity-broker.ts).
 */
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { IDENTITY_BROKER_AUDIENCE, type IdentityAssertionClaims } from '../../services/telephone-pin/identity-broker';

export interface BrokerKeys {
  privateKey: KeyObject;
  /** SPKI PEM, as IDENTITY_BROKER_PUBLIC_KEY holds it. */
  publicKeyPem: string;
}

export function newBrokerKeys(): BrokerKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/**
 * A compact JWS over `claims`, with defaults for everything but `sub`: SPID, our audience,
 * issued now, valid two minutes, a fresh `jti`. `header` overrides the protected header.
 */
export function signAssertion(
  privateKey: KeyObject,
  claims: Partial<IdentityAssertionClaims> & { sub: string },
  header: Record<string, unknown> = { alg: 'EdDSA', typ: 'JWT' },
): string {
  const iat = claims.iat ?? Math.floor(Date.now() / 1000);
  const payload: IdentityAssertionClaims = {
    method: 'SPID',
    aud: IDENTITY_BROKER_AUDIENCE,
    exp: iat + 120,
    jti: randomUUID(),
    ...claims,
    iat,
  };
  const signingInput = `${part(header)}.${part(payload)}`;
  return `${signingInput}.${sign(null, Buffer.from(signingInput), privateKey).toString('base64url')}`;
}
