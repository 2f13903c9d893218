/**
 * Saved workflow histories for the replay gate. `npm run histories:save` runs the workflow tests
 * with SAVE_HISTORIES=1, and each scenario that calls `saveHistory` writes its history to
 * test/histories/<name>.json; test/workflow/replay.test.ts replays every file with the current
 * code, so a change that breaks determinism for running workflows fails CI.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export const HISTORIES_DIR = path.resolve('test', 'histories');

export async function saveHistory(name: string, handle: Pick<WorkflowHandle, 'fetchHistory'>): Promise<void> {
  if (!process.env.SAVE_HISTORIES) return;
  const history = await handle.fetchHistory();
  mkdirSync(HISTORIES_DIR, { recursive: true });
  writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), JSON.stringify(historyAsObject(history)));
}

/** Plain JSON (longs and bytes as strings) that `loadHistory` turns back into the proto message. */
function historyAsObject(history: temporal.api.history.v1.IHistory): Record<string, unknown> {
  const H = temporal.api.history.v1.History;
  return H.toObject(H.fromObject(history), { longs: String, bytes: String, enums: Number });
}

export function loadHistory(json: string): temporal.api.history.v1.History {
  return temporal.api.history.v1.History.fromObject(JSON.parse(json) as Record<string, unknown>);
}
