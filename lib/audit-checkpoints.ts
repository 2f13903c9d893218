/**
 * Checkpoints of the audit chain kept outside the database. The keyed chain (lib/audit.ts) shows
 * any edit, insertion or deletion inside it; what it cannot show alone is a database put back to
 * an earlier state or its last rows cut off. A checkpoint — the id and MAC of the chain's head at
 * a moment, itself MACed with the audit key — is appended as one JSON line to a file the database
 * cannot reach (`AUDIT_CHECKPOINT_FILE`; in production on storage the database's administrators
 * cannot write, or shipped to the log archive). Verification then requires every checkpointed
 * row to be still there, unchanged.
 *
 * The worker writes one every `AUDIT_CHECKPOINT_MINUTES`, after verifying the rows since the
 * previous checkpoint (so it never blesses a chain already broken); `npm run audit:verify`
 * verifies the whole chain against every checkpoint.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Pool } from './db';
import type { KeyRing } from './secrets';
import { verifyAuditChain, type ChainLink, type ChainVerification } from './audit';
import type { Logger } from './logger';
import { auditChainIntact } from './metrics';

export interface AuditCheckpoint {
  /** The audit row the checkpoint vouches for, and its MAC (hex). */
  id: number;
  rowHash: string;
  /** Whether that row is keyed: after a keyed checkpoint, an unkeyed row is never accepted. */
  keyed: boolean;
  at: string;
  keyId: number;
  mac: string;
}

function checkpointMac(ring: KeyRing, keyId: number, c: Pick<AuditCheckpoint, 'id' | 'rowHash' | 'keyed' | 'at'>): Buffer | undefined {
  const secret = ring.keys.get(keyId);
  if (!secret) return undefined;
  const key = createHmac('sha256', secret).update('audit-checkpoint-v1').digest();
  return createHmac('sha256', key).update(`${c.id}:${c.rowHash}:${c.keyed}:${c.at}`).digest();
}

export interface CheckpointFile {
  checkpoints: AuditCheckpoint[];
  /** Line numbers (1-based) that are not a checkpoint made with the key: the file was altered. */
  badLines: number[];
}

/** The file's checkpoints, each checked against its MAC. */
export function readCheckpoints(file: string, ring: KeyRing): CheckpointFile {
  if (!existsSync(file)) return { checkpoints: [], badLines: [] };
  const checkpoints: AuditCheckpoint[] = [];
  const badLines: number[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      try {
        const c = JSON.parse(line) as AuditCheckpoint;
        const expected = checkpointMac(ring, c.keyId, c);
        const given = Buffer.from(String(c.mac), 'hex');
        if (expected && given.length === expected.length && timingSafeEqual(given, expected) && Number.isSafeInteger(c.id)) checkpoints.push(c);
        else badLines.push(i + 1);
      } catch {
        badLines.push(i + 1);
      }
    });
  return { checkpoints, badLines };
}

function appendCheckpoint(file: string, ring: KeyRing, head: ChainLink, keyed: boolean, now: Date): AuditCheckpoint {
  const body = { id: head.id, rowHash: head.rowHash.toString('hex'), keyed, at: now.toISOString() };
  const checkpoint: AuditCheckpoint = { ...body, keyId: ring.currentId, mac: checkpointMac(ring, ring.currentId, body)!.toString('hex') };
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // One short line per write with O_APPEND: writers on the same file (several workers) never interleave.
  appendFileSync(file, `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
  return checkpoint;
}

export interface AuditLogVerification {
  ok: boolean;
  chain: ChainVerification;
  checkpointsChecked: number;
  /** What is wrong, one line each (empty when ok). */
  problems: string[];
  /** The checkpoint written when everything held. */
  written?: AuditCheckpoint;
}

/**
 * Verifies the whole chain and every checkpoint of `file`: each checkpointed row must still be in
 * the chain with the MAC it had. When everything holds, a new checkpoint of the head is written.
 */
export async function verifyAuditLog(pool: Pool, ring: KeyRing, file: string, now = new Date(), opts: { writeCheckpoint?: boolean } = {}): Promise<AuditLogVerification> {
  const { checkpoints, badLines } = readCheckpoints(file, ring);
  const wanted = new Map(checkpoints.map((c) => [c.id, c]));
  const seen = new Map<number, string>();
  const chain = await verifyAuditChain(pool, ring, (link) => {
    if (wanted.has(link.id)) seen.set(link.id, link.rowHash.toString('hex'));
  });
  const problems = badLines.map((n) => `checkpoint file line ${n} was not written with the audit key (altered)`);
  if (chain.firstBroken !== undefined) problems.push(`chain broken at row ${chain.firstBroken}: ${chain.reason}`);
  for (const c of checkpoints) {
    const found = seen.get(c.id);
    if (found === undefined && chain.firstBroken === undefined) problems.push(`row ${c.id}, checkpointed at ${c.at}, is no longer in the chain (rows cut off or an older copy restored)`);
    else if (found !== undefined && found !== c.rowHash) problems.push(`row ${c.id} differs from its checkpoint of ${c.at}`);
  }
  const ok = problems.length === 0;
  const written = ok && chain.head && opts.writeCheckpoint !== false ? appendCheckpoint(file, ring, chain.head, chain.keyed > 0, now) : undefined;
  return { ok, chain, checkpointsChecked: checkpoints.length, problems, ...(written ? { written } : {}) };
}

/**
 * The worker's periodic checkpoint: verifies the rows after the file's last checkpoint (starting
 * from its MAC) and appends a checkpoint of the new head. Throws, writing nothing, when they do
 * not hold: the log is broken and operations must look (`npm run audit:verify` says where).
 */
export async function checkpointAuditLog(pool: Pool, ring: KeyRing, file: string, now = new Date()): Promise<AuditCheckpoint | undefined> {
  const last = readCheckpoints(file, ring).checkpoints.at(-1);
  const from = last && { id: last.id, rowHash: Buffer.from(last.rowHash, 'hex'), keyed: last.keyed };
  const chain = await verifyAuditChain(pool, ring, undefined, from);
  if (chain.firstBroken !== undefined) throw new Error(`audit log broken at row ${chain.firstBroken}: ${chain.reason}`);
  if (!chain.head || (last && chain.head.id === last.id)) return undefined; // nothing new
  return appendCheckpoint(file, ring, chain.head, chain.keyed > 0 || Boolean(last?.keyed), now);
}

/**
 * The worker's checkpoints every `everyMs`: a broken log is logged as an error and shown by the
 * `pin_audit_chain_intact` gauge (0), and no checkpoint is written until it is looked at.
 */
export function startAuditCheckpoints(opts: { pool: Pool; ring: KeyRing; file: string; everyMs: number; log: Logger }): { stop(): void } {
  if (opts.everyMs <= 0) return { stop: () => undefined };
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const written = await checkpointAuditLog(opts.pool, opts.ring, opts.file);
      auditChainIntact.set(1);
      if (written) opts.log.debug({ row: written.id }, 'audit checkpoint written');
    } catch (err) {
      auditChainIntact.set(0);
      opts.log.error({ err, file: opts.file }, 'audit log did not verify: no checkpoint written (run npm run audit:verify)');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), opts.everyMs);
  timer.unref();
  void tick();
  return { stop: () => clearInterval(timer) };
}
