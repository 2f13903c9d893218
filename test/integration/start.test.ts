/** `npm start` refuses a second stack on the same data folder instead of fighting over it. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeStackFile } from '../../dev/stack-file';

describe('npm start', () => {
  it('refuses to start on a data folder where a stack is running, starting nothing', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'start-twice-'));
    // This test process stands for the stack already running there.
    writeStackFile(dataDir, { pid: process.pid, apiUrl: 'http://127.0.0.1:3999', databaseUrl: 'postgres://x', temporalAddress: '127.0.0.1:1', temporalUiUrl: 'http://127.0.0.1:2', mailroomDir: dataDir });
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`npm start is already running on ${dataDir} (pid ${process.pid}`);
    expect(run.stdout).not.toContain('PIN back-office is starting');
  });
});
