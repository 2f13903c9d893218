/**
 * `npm run audit:verify`: walks the audit log's hash chain and names the first broken row.
 * Exit code 0 when the chain is intact, 1 when a row was edited, inserted or deleted.
 */
import { loadConfig } from '../lib/config';
import { verifyAuditChain } from '../lib/audit';
import { createPool } from '../lib/db';
import { requireDatabaseUrl } from '../lib/runtime';

const config = loadConfig();
const pool = createPool(requireDatabaseUrl(config), 1);
const result = await verifyAuditChain(pool);
await pool.end();
if (result.firstBroken === undefined) {
  console.log(`audit log intact: ${result.rows} rows verified`);
} else {
  console.error(`audit log BROKEN at row id ${result.firstBroken} (${result.rows} rows verified before it)`);
  process.exit(1);
}
