/**
 * What a payload that was not encrypted with the application's key becomes in the worker
 * (lib/payload-codec.ts, `refusePlaintext`): this mark, in place of whatever it said. Every
 * payload the application itself writes is encrypted, so only someone talking to the Temporal
 * frontend directly (`temporal workflow update … --input '{…}'`) can produce one; the workflow
 * interceptors (workflows/interceptors.ts) refuse any command that carries it.
 */
export const REFUSED_PAYLOAD_MARK = '$unencryptedPayloadRefused';

export interface RefusedPayload {
  [REFUSED_PAYLOAD_MARK]: true;
}

export const refusedPayload = (): RefusedPayload => ({ [REFUSED_PAYLOAD_MARK]: true });

export function isRefusedPayload(value: unknown): value is RefusedPayload {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[REFUSED_PAYLOAD_MARK] === true;
}

/** True when any of `args` is a refused payload. */
export const carriesRefusedPayload = (args: readonly unknown[]): boolean => args.some(isRefusedPayload);

/** The failure type of a command refused for it. */
export const UNENCRYPTED_PAYLOAD = 'UNENCRYPTED_PAYLOAD';
