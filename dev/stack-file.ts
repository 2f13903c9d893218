/**
 * `npm start` writes where each part of the running stack answers into `<DATA_DIR>/stack.json`
 * (0600: it holds the embedded database's password), so development tools (`staff:create`, the
 * soak test) find the stack whatever ports it got. Removed again when the stack stops.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { alive } from './embedded-postgres';

export interface StackFile {
  pid: number;
  apiUrl: string;
  databaseUrl: string;
  temporalAddress: string;
  /** Absent when the stack runs without a Web UI. */
  temporalUiUrl?: string;
  /** The sinks' inbox pages (absent when real SMTP / SMS endpoints are configured). */
  mailInboxUrl?: string;
  smsInboxUrl?: string;
  mailroomDir: string;
}

export const stackFilePath = (dataDir: string): string => path.join(dataDir, 'stack.json');

export function writeStackFile(dataDir: string, stack: StackFile): void {
  writeFileSync(stackFilePath(dataDir), `${JSON.stringify(stack, null, 2)}\n`, { mode: 0o600 });
}

export function removeStackFile(dataDir: string): void {
  rmSync(stackFilePath(dataDir), { force: true });
}

/** The running stack of `dataDir`, or undefined when none is running there. */
export function readStackFile(dataDir: string): StackFile | undefined {
  const file = stackFilePath(dataDir);
  if (!existsSync(file)) return undefined;
  const stack = JSON.parse(readFileSync(file, 'utf8')) as StackFile;
  // A file whose process is gone was left behind by a stack that was killed.
  return alive(stack.pid) ? stack : undefined;
}
