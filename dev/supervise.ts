/**
 * The supervisor of `npm start` and `npm run start:cluster`: runs a TypeScript entry point (the
 * worker, the API) as a child process, restarts it with back-off when it exits, and stops it
 * with SIGTERM (SIGKILL after 15 s) — what systemd or Kubernetes do in production.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../lib/logger';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Supervised {
  name: string;
  child?: ChildProcess;
  restarts: number;
  stopping: boolean;
}

export function supervise(name: string, script: string, env: NodeJS.ProcessEnv, log: Logger): Supervised {
  const s: Supervised = { name, restarts: 0, stopping: false };
  const launch = () => {
    // A restart due after Ctrl-C must not start the process again.
    if (s.stopping) return;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, script)], { env, stdio: 'inherit', cwd: root });
    s.child = child;
    child.on('exit', (code, signal) => {
      if (s.stopping) return;
      s.restarts++;
      const delay = Math.min(30_000, 1_000 * 2 ** Math.min(s.restarts, 5));
      log.error({ process: name, code, signal, restartInMs: delay }, 'process exited; restarting');
      setTimeout(launch, delay).unref();
    });
  };
  launch();
  return s;
}

export async function stopChild(s: Supervised): Promise<void> {
  s.stopping = true;
  const child = s.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
