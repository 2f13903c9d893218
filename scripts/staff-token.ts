/**
 * Staff API tokens from the command line (services/staff/tokens.ts):
 *
 *   npm run staff:token -- --username crm.bot [--days 90] [--label "CRM integration"]   issue (shown once)
 *   npm run staff:token -- --username crm.bot --list                                      list (never the tokens)
 *   npm run staff:token -- --revoke <token id>                                            revoke at once
 *
 * The same database as `npm run staff:create` (DATABASE_URL, or the running `npm start`).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config';
import { DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS, issueStaffApiToken, listStaffApiTokens, revokeStaffApiToken } from '../services/staff/tokens';
import { reportRefusal, toolPool } from './tool-database';

const { values } = parseArgs({
  options: { username: { type: 'string' }, days: { type: 'string' }, label: { type: 'string' }, list: { type: 'boolean' }, revoke: { type: 'string' } },
  strict: true,
});
if (!values.revoke && !values.username) {
  console.error(
    `usage: npm run staff:token -- --username <name> [--days 1..${MAX_TOKEN_DAYS}, default ${DEFAULT_TOKEN_DAYS}] [--label text]\n` +
      '       npm run staff:token -- --username <name> --list\n' +
      '       npm run staff:token -- --revoke <token id>',
  );
  process.exit(2);
}

const pool = await toolPool(loadConfig());
try {
  if (values.revoke) {
    const revoked = await revokeStaffApiToken(pool, values.revoke, 'cli');
    if (!revoked) {
      console.error(`No live token with id ${values.revoke}.`);
      process.exitCode = 1;
    } else console.log(`Token ${values.revoke} of "${revoked.username}" revoked.`);
  } else if (values.list) {
    for (const t of await listStaffApiTokens(pool, values.username!)) {
      const state = t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : t.expiresAt && t.expiresAt <= new Date() ? 'expired' : `valid until ${t.expiresAt?.toISOString() ?? 'never'}`;
      console.log(`${t.id}  ${state}  ${t.label ?? ''}`);
    }
  } else {
    const days = values.days === undefined ? undefined : Number(values.days);
    const issued = await issueStaffApiToken(pool, { username: values.username!, days, label: values.label }, 'cli');
    console.log(`Token ${issued.id} for "${values.username}", valid until ${issued.expiresAt.toISOString()}.`);
    console.log('Shown only now — keep it in the calling system’s secret store:');
    console.log(`  ${issued.token}`);
    console.log('Use it as `Authorization: Bearer <token>`.');
  }
} catch (err) {
  reportRefusal(err);
} finally {
  await pool.end();
}
