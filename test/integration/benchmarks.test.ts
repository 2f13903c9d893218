/**
 * Every benchmark runs here at a tiny size, as the program `npm run bench:*` runs, so none can
 * rot: it must finish and print its figures. No figure is judged (timings belong to the
 * benchmarks' own runs); what is checked is that the program works end to end. The stall
 * detector the benchmarks wait with is checked against a workflow that cannot progress.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { StalledError, waitForWorkflows } from '../../bench/support';

/** Runs `npm run <script>` with `env`; resolves with its exit code and output. */
function runScript(script: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    // The benchmark starts its own Temporal dev server and PostgreSQL, like a developer's run.
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    delete childEnv.DATABASE_URL;
    const child = spawn('npm', ['run', '--silent', script], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      out += `\n[killed after ${timeoutMs / 1000} s]`;
      process.kill(-child.pid!, 'SIGKILL');
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const figure = (out: string, label: string): number => {
  const m = new RegExp(`^${label}\\s+([\\d.]+)`, 'm').exec(out);
  if (!m) throw new Error(`"${label}" not printed:\n${out.slice(-3000)}`);
  return Number(m[1]);
};

describe('benchmarks at a tiny size', () => {
  it('bench:issuance issues every request end to end and prints its figures', async () => {
    const { code, out } = await runScript('bench:issuance', { BENCH_N: '20', BENCH_CONCURRENCY: '4', BENCH_WARMUP: '4' }, 240_000);
    expect(code, out.slice(-3000)).toBe(0);
    expect(out).toMatch(/^accepted\s+24 \(0 refused; 4 of them warm-up/m);
    expect(figure(out, 'accept rate')).toBeGreaterThan(0);
    expect(figure(out, 'end-to-end')).toBeGreaterThan(0);
    expect(figure(out, 'floor \\(no-op\\)')).toBeGreaterThan(0);
    expect(figure(out, 'end-to-end / floor')).toBeGreaterThan(0);
  }, 300_000);

  it('bench:login grants every login and prints the rate beside raw argon2id', async () => {
    const { code, out } = await runScript(
      'bench:login',
      { BENCH_LOGINS: '40', BENCH_CREDENTIALS: '10', BENCH_ROUNDS: '1', BENCH_RAW_SECONDS: '1', BENCH_WARMUP: '20' },
      240_000,
    );
    expect(code, out.slice(-3000)).toBe(0);
    expect(out).toMatch(/^logins\s+40 granted \(0 refused\)/m);
    expect(figure(out, 'login rate')).toBeGreaterThan(0);
    expect(figure(out, 'logins / raw')).toBeGreaterThan(0);
  }, 300_000);

  it('bench:mailroom files and dispatches a batch and prints its figures beside the raw render rate', async () => {
    const { code, out } = await runScript('bench:mailroom', { BENCH_N: '30', BENCH_CONCURRENCY: '4', BENCH_RAW_SECONDS: '0.5' }, 240_000);
    expect(code, out.slice(-3000)).toBe(0);
    expect(out).toMatch(/^stored\s+30 letters/m);
    expect(figure(out, 'filing')).toBeGreaterThan(0);
    expect(figure(out, 'raw render')).toBeGreaterThan(0);
    expect(figure(out, 'cores used')).toBeGreaterThan(0);
    expect(figure(out, 'per core / raw')).toBeGreaterThan(0);
    expect(figure(out, 'dispatch')).toBeGreaterThan(0);
  }, 300_000);

  it('every bench:* script of package.json is run by this file', () => {
    const scripts = Object.keys((JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts).filter((s) => s.startsWith('bench:'));
    const tested = [...readFileSync(new URL(import.meta.url), 'utf8').matchAll(/runScript\(\s*'(bench:[a-z-]+)'/g)].map((m) => m[1]);
    expect(scripts.sort()).toEqual([...new Set(tested)].sort());
  });

  it('the benchmarks stop at once, saying why, when a workflow task fails', async () => {
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    const nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const client = new Client({ connection });
    const taskQueue = `stall-${randomUUID()}`;
    const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: { codePath: inject('workflowBundlePath') } });
    const running = worker.run();
    try {
      // A workflow type the worker does not have: every workflow task fails, as with bad search attributes.
      const id = `stall-${randomUUID()}`;
      await client.workflow.start('noSuchWorkflow', { workflowId: id, taskQueue, args: [] });
      const waiting = waitForWorkflows({ label: 'probe', client, workflowIds: [id], progress: async () => ({ done: 0, total: 1 }), timeoutMs: 120_000 });
      await expect(waiting).rejects.toThrow(StalledError);
      await expect(waiting).rejects.toThrow(/a workflow task failed/);
      await client.workflow.getHandle(id).terminate();
    } finally {
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
    }
  }, 120_000);
});
