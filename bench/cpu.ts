/**
 * CPU time per component of a benchmark run, read from /proc (Linux): what each process — and
 * the children it has reaped, such as PostgreSQL's backends — spent in user and system mode.
 * On a shared machine wall-clock rates swing with the neighbours' load; CPU seconds per
 * issuance per component do not, and they say where a bigger machine's cores would go.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on every Linux we run). */
const TICKS = 100;

interface Stat {
  ppid: number;
  /** utime + stime of the process itself. */
  own: number;
  /** cutime + cstime: the children it has waited for. */
  reaped: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name in parentheses: state, ppid, … utime (14), stime, cutime, cstime.
    const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), own: (Number(f[11]) + Number(f[12])) / TICKS, reaped: (Number(f[13]) + Number(f[14])) / TICKS };
  } catch {
    return undefined;
  }
}

/** CPU seconds of `pid` and all its descendants, living and reaped. */
export function treeCpuSeconds(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const p = Number(entry);
    if (!p) continue;
    const s = stat(p);
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), p]);
  }
  const walk = (p: number): number => {
    const s = stat(p);
    if (!s) return 0;
    return s.own + s.reaped + (children.get(p) ?? []).reduce((sum, c) => sum + walk(c), 0);
  };
  return walk(pid);
}

/** Pids whose command line contains every one of `parts`. */
export function pidsMatching(...parts: string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const p = Number(entry);
    if (!p || p === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ');
      if (parts.every((part) => cmd.includes(part))) found.push(p);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** The postmaster of a PostgreSQL data folder (its backends are its children). */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Cumulative CPU seconds per named component, sampled together. */
export type CpuSampler = () => Record<string, number>;

/** A component made of processes (and their descendants), found again at each sample. */
export const processes =
  (pids: () => (number | undefined)[]): (() => number) =>
  () =>
    pids().reduce<number>((sum, p) => sum + (p ? treeCpuSeconds(p) : 0), 0);

/** This process alone (the load generator), not the children it started. */
export const thisProcess = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export function cpuSampler(components: Record<string, () => number>): CpuSampler {
  return () => Object.fromEntries(Object.entries(components).map(([name, read]) => [name, read()]));
}

/** What each group spent between two samples. */
export function cpuSpent(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, Math.max(0, after[k]! - (before[k] ?? 0))]));
}
