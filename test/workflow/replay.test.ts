/**
 * Replay gate: every saved history in test/histories/ (one per workflow type and path) must
 * replay with the current workflow code. A non-deterministic change (a reordered activity, a
 * removed timer) fails here; wrap such changes in `patched()` instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Worker } from '@temporalio/worker';
import { HISTORIES_DIR, loadHistory } from '../support/histories';
import * as registered from '../../workflows';

const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));
// An empty set would make the gate pass vacuously.
if (files.length === 0) throw new Error(`no saved histories in ${HISTORIES_DIR}: run npm run histories:save`);

describe('replay of saved histories', () => {
  it('has saved histories of every workflow type', () => {
    const types = new Set(
      files.map((f) => {
        const h = loadHistory(readFileSync(path.join(HISTORIES_DIR, f), 'utf8'));
        return h.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
      }),
    );
    // Every type the worker registers (workflows/index.ts), so a new one cannot go without.
    expect([...types].sort()).toEqual(Object.keys(registered).sort());
  });

  it.each(files)('replays %s deterministically', async (file) => {
    const history = loadHistory(readFileSync(path.join(HISTORIES_DIR, file), 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') } }, history, file.replace(/\.json$/, ''));
  });
});
