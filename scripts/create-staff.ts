/**
 * `npm run staff:create -- --username admin --role admin [--name "Mario Rossi"]`: creates a staff
 * account for the console (the first administrator, typically) and prints its generated password
 * and TOTP enrolment URI ONCE (as text; the console's account page also draws the QR code). The
 * generated password must be changed at the first login. Nothing of either is kept in clear: store them in a password
 * manager and an authenticator app now. Uses the same DATABASE_URL / PIN_PEPPER / SECRETS_KEY
 * (or the development keys in DATA_DIR) as the API; in development without DATABASE_URL, the
 * embedded PostgreSQL that `npm start` runs (so run it while the stack is up).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config';
import { loadKeys } from '../lib/keys';
import { reportRefusal, toolPool } from './tool-database';
import { createStaffAccount, parseNewStaffAccount, STAFF_ROLES } from '../services/staff/accounts';

const { values } = parseArgs({
  options: { username: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' } },
  strict: true,
});
if (!values.username || !values.role) {
  console.error(`usage: npm run staff:create -- --username <name> --role <${STAFF_ROLES.join('|')}> [--name "Display Name"]`);
  process.exit(2);
}

const config = loadConfig();
const keys = loadKeys(config);
const pool = await toolPool(config);
try {
  const account = parseNewStaffAccount({ username: values.username, role: values.role, displayName: values.name ?? values.username });
  const created = await createStaffAccount({ pool, pepper: keys.pepper, secrets: keys.secrets }, account, 'cli');
  console.log(`Staff account "${created.username}" (${account.role}) created.`);
  console.log('Shown only now — keep them safe:');
  console.log(`  password:     ${created.password}`);
  console.log(`  TOTP secret:  ${created.totpSecret}`);
  console.log(`  TOTP URI:     ${created.otpauthUri}`);
  console.log('Add the URI (or the secret) to an authenticator app, then log in at /console/login;');
  console.log('the console asks for a new password (at least 12 characters) at the first login.');
} catch (err) {
  reportRefusal(err);
} finally {
  await pool.end();
}
