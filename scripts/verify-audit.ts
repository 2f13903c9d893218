/**
 * `npm run audit:verify`: walks the audit log's keyed chain and compares it with every checkpoint
 * kept outside the database (AUDIT_CHECKPOINT_FILE). Names the first broken row or the missing
 * checkpointed rows; when everything holds, writes a new checkpoint of the head.
 * Exit code 0 when the log is intact, 1 otherwise.
 */
import { loadConfig } from '../lib/config';
import { verifyAuditLog } from '../lib/audit-checkpoints';
import { loadKeys } from '../lib/keys';
import { auditCheckpointFile } from '../lib/runtime';
import { toolPool } from './tool-database';

const config = loadConfig();
const pool = await toolPool(config);
const file = auditCheckpointFile(config);
const result = await verifyAuditLog(pool, loadKeys(config).secrets, file);
await pool.end();
const { chain } = result;
const unkeyed = chain.rows - chain.keyed;
const summary = `${chain.rows} rows verified (${chain.keyed} keyed${unkeyed ? `, ${unkeyed} unkeyed from before the key` : ''}), ${result.checkpointsChecked} checkpoints of ${file} checked`;
if (result.ok) {
  console.log(`audit log intact: ${summary}${result.written ? `; checkpoint written at row ${result.written.id}` : ''}`);
} else {
  console.error(`audit log BROKEN:\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n(${summary})`);
  process.exit(1);
}
