/**
 * A namespace as the application needs it, through Temporal's own APIs: registered (a real
 * server, unlike the dev server, creates none), with the project's search attributes. The dev
 * server gets the attributes as flags at start (`searchAttributes` of createLocal); the
 * time-skipping test server and a real cluster get them here, through the operator API.
 */
import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

const { INDEXED_VALUE_TYPE_KEYWORD, INDEXED_VALUE_TYPE_INT } = proto.temporal.api.enums.v1.IndexedValueType;

/** The project's search attributes as the operator API names their types. */
export function searchAttributeTypes(): Record<string, proto.temporal.api.enums.v1.IndexedValueType> {
  return Object.fromEntries(SEARCH_ATTRIBUTES.map((k) => [k.name, k.type === SearchAttributeType.INT ? INDEXED_VALUE_TYPE_INT : INDEXED_VALUE_TYPE_KEYWORD]));
}

/** gRPC status codes (grpc-js is not a dependency of ours). */
const ALREADY_EXISTS = 6;
const UNIMPLEMENTED = 12;
const grpcCode = (err: unknown): number | undefined => (err as { code?: number }).code;

/**
 * Registers the search attributes the namespace does not have yet (a real server refuses to add
 * one twice; the test server has none to begin with), and returns the names added.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const wanted = searchAttributeTypes();
  const existing = await connection.operatorService.listSearchAttributes({ namespace }).then(
    (r) => new Set(Object.keys(r.customAttributes ?? {})),
    // The time-skipping server does not list them: add all.
    (err: unknown) => {
      if (grpcCode(err) === UNIMPLEMENTED) return new Set<string>();
      throw err;
    },
  );
  const missing = Object.fromEntries(Object.entries(wanted).filter(([name]) => !existing.has(name)));
  if (Object.keys(missing).length) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  return Object.keys(missing);
}

async function retryUntil<T>(what: string, deadline: number, fn: () => Promise<T | undefined>): Promise<T> {
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not done in time${last ? ` (${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Registers `namespace` unless it exists, adds the search attributes, and waits until both are
 * usable: the frontend serves namespaces and search-attribute mappings from caches refreshed
 * every few seconds, and a workflow started before that fails its first task (BadSearchAttributes).
 */
export async function ensureNamespace(
  connection: Connection,
  namespace: string,
  opts: { retentionDays?: number; timeoutMs?: number } = {},
): Promise<{ created: boolean; attributesAdded: string[] }> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const retention = msToTs((opts.retentionDays ?? 7) * 86_400_000);
  // Right after the server starts, its history shards may still be being acquired: retry.
  const created = await retryUntil(`registering namespace ${namespace}`, deadline, async () => {
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: retention });
      return true;
    } catch (err) {
      if (grpcCode(err) === ALREADY_EXISTS) return false;
      throw err;
    }
  });
  await retryUntil(`namespace ${namespace} in the frontend's cache`, deadline, async () => {
    await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
    return true;
  });
  const attributesAdded = await retryUntil(`search attributes of ${namespace}`, deadline, () => registerSearchAttributes(connection, namespace));
  // A query naming each attribute is refused until the frontend knows it.
  const probe = SEARCH_ATTRIBUTES.map((k) => (k.type === SearchAttributeType.INT ? `${k.name} = 0` : `${k.name} = ''`)).join(' OR ');
  await retryUntil(`search attributes of ${namespace} in the frontend's cache`, deadline, async () => {
    await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1, query: probe });
    return true;
  });
  return { created, attributesAdded };
}
