/**
 * Connection options for a Temporal server: the local dev server by default, or a cluster /
 * Temporal Cloud with mTLS or an API key, all from configuration.
 */
import { readFileSync } from 'node:fs';
import type { Config } from './config';

/** The subset both `Connection` (client) and `NativeConnection` (worker) accept. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: { clientCertPair?: { crt: Buffer; key: Buffer }; serverRootCACertificate?: Buffer };
  apiKey?: string;
  metadata?: Record<string, string>;
}

export function temporalConnectionOptions(config: Config): TemporalConnectionOptions {
  const tlsWanted = config.TEMPORAL_TLS ?? Boolean(config.TEMPORAL_API_KEY || config.TEMPORAL_TLS_CERT_PATH);
  const tls = tlsWanted
    ? {
        ...(config.TEMPORAL_TLS_CERT_PATH && config.TEMPORAL_TLS_KEY_PATH
          ? { clientCertPair: { crt: readFileSync(config.TEMPORAL_TLS_CERT_PATH), key: readFileSync(config.TEMPORAL_TLS_KEY_PATH) } }
          : {}),
        ...(config.TEMPORAL_TLS_CA_PATH ? { serverRootCACertificate: readFileSync(config.TEMPORAL_TLS_CA_PATH) } : {}),
      }
    : undefined;
  return {
    address: config.TEMPORAL_ADDRESS,
    ...(tls ? { tls } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY, metadata: { 'temporal-namespace': config.TEMPORAL_NAMESPACE } } : {}),
  };
}
