/**
 * The console says no stored code to a person (console/vocabulary.ts): every value the database
 * allows in a column the console shows (the migrations' CHECK lists), every audit action and
 * outcome the code writes, every event type and notice purpose has its Italian and English label.
 * The lists are read from the sources, so a new state, action or notice without a label fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CREDENTIAL_STATES as DOMAIN_STATES } from '../../domain/credential';
import { STORED_CLAIM_STATUSES } from '../../domain/claims';
import { REJECTION_REASON_CODES } from '../../domain/review-reasons';
import * as V from '../../console/vocabulary';

const ROOT = path.resolve(import.meta.dirname, '../..');

function sourceText(dirs: string[], except: string[] = []): { file: string; text: string }[] {
  return dirs.flatMap((dir) =>
    readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts'))
      .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)))
      .filter((file) => !except.includes(file))
      .map((file) => ({ file, text: readFileSync(path.join(ROOT, file), 'utf8') })),
  );
}

/** Every `CHECK (column IN ('a', 'b'))` of the migrations, by table.column (the union over time). */
function checkedValues(): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  const dir = path.join(ROOT, 'migrations');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) {
    const sql = readFileSync(path.join(dir, file), 'utf8').replace(/--[^\n]*/g, '');
    for (const statement of sql.split(';')) {
      const table = /(?:CREATE TABLE|ALTER TABLE)\s+(?:IF NOT EXISTS\s+)?(\w+)/i.exec(statement)?.[1];
      if (!table) continue;
      for (const m of statement.matchAll(/CHECK\s*\(\s*(\w+)\s+IN\s*\(([^)]*)\)\s*\)/gi)) {
        const key = `${table}.${m[1]}`;
        found[key] = [...new Set([...(found[key] ?? []), ...[...m[2]!.matchAll(/'([^']*)'/g)].map((x) => x[1]!)])];
      }
    }
  }
  return found;
}

/** The columns the console shows, with their vocabulary; the others are never shown to staff. */
const SHOWN: Record<string, V.Vocabulary> = {
  'credentials.state': V.CREDENTIAL_STATES,
  'credentials.channel': V.REQUEST_CHANNELS,
  'credentials.issuance_mode': V.ISSUANCE_MODES,
  'pin_requests.channel': V.REQUEST_CHANNELS,
  'pin_secrets.kind': V.SECRET_KINDS,
  'pin_secrets.status': V.SECRET_STATUSES,
  'outbox.channel': V.MESSAGE_CHANNELS,
  'outbox.status': V.NOTICE_STATUSES,
  'mailroom_batches.status': V.BATCH_STATUSES,
  'letters.status': V.LETTER_STATUSES,
  'telephone_pins.validity': V.TELEPHONE_PIN_VALIDITIES,
  'telephone_pins.identity_method': V.SIGN_IN_METHODS,
  'telephone_pins.status': V.TELEPHONE_PIN_STATUSES,
  'documents.kind': V.DOCUMENT_KINDS,
  'documents.media_type': V.MEDIA_TYPES,
  'review_cases.source': V.CASE_SOURCES,
  'review_cases.status': V.REVIEW_STATUSES,
  'review_cases.reason_code': V.REJECTION_REASON_LABELS,
  'benefit_claims.status': V.CLAIM_STATUSES,
  'identity_verifications.method': V.IDENTITY_CHECK_METHODS,
  'recovery_links.channel': V.MESSAGE_CHANNELS,
  'recovery_links.status': V.RECOVERY_STATUSES,
  'delegations.scope': V.DELEGATION_SCOPES,
  'delegations.status': V.DELEGATION_STATUSES,
  'delegations.source': V.DELEGATION_SOURCES,
  'staff_accounts.role': V.STAFF_ROLES,
  'callback_tasks.outcome': V.CALLBACK_OUTCOMES,
  'callback_tasks.address': V.CALLBACK_ADDRESSES,
  'callback_attempts.outcome': V.CALLBACK_OUTCOMES,
  'identity_sessions.method': V.SIGN_IN_METHODS,
};
const NOT_SHOWN = ['callback_tasks.status', 'sessions.auth_kind', 'identity_check_attempts.purpose', 'delegation_identity_checks.party'];

const missing = (vocabulary: V.Vocabulary, codes: readonly string[]) => codes.filter((c) => !Object.hasOwn(vocabulary, c) || !vocabulary[c]!.it || !vocabulary[c]!.en);

describe('console vocabulary', () => {
  it('says who acted as a person reads it: a role and a username or address, a record as a short reference, never a bare prefix', () => {
    const it_ = { lang: 'it' as const };
    const en = { lang: 'en' as const };
    expect(V.actorSaid(it_, 'system')).toBe('sistema');
    expect(V.actorSaid(it_, 'staff:mrossi')).toBe('personale mrossi');
    expect(V.actorSaid(en, 'operator:oper1')).toBe('operator oper1');
    expect(V.actorSaid(it_, 'ip:127.0.0.1')).toBe('indirizzo IP 127.0.0.1');
    expect(V.actorSaid(en, 'citizen:recovery-link')).toBe('holder (recovery link)');
    expect(V.actorSaid(it_, 'delegate:8f4e52f5-8069-4a1b-9c3d-0123456789ab:delegation:11111111-2222-4333-8444-555555555555')).toBe('delegato (rif. 8f4e52f5)');
    // An unknown kind is shown as written, not dressed up as a known one.
    expect(V.actorSaid(en, 'chaos:run')).toBe('chaos:run');
  });

  it('labels every value the database allows in a column the console shows', () => {
    const checks = checkedValues();
    expect(Object.keys(checks).filter((k) => !(k in SHOWN) && !NOT_SHOWN.includes(k))).toEqual([]);
    const unlabelled = Object.entries(checks).flatMap(([column, values]) => (SHOWN[column] ? missing(SHOWN[column], values).map((v) => `${column}=${v}`) : []));
    expect(unlabelled).toEqual([]);
    expect(missing(V.CREDENTIAL_STATES, DOMAIN_STATES)).toEqual([]);
    expect(missing(V.CLAIM_STATUSES, STORED_CLAIM_STATUSES)).toEqual([]);
    expect(missing(V.REJECTION_REASON_LABELS, REJECTION_REASON_CODES)).toEqual([]);
  });

  it('labels every audit action and outcome the code writes', () => {
    const files = sourceText(['activities', 'services', 'lib', 'api', 'console', 'web', 'worker'], ['console/vocabulary.ts']);
    const actions = new Set<string>();
    const decisions = new Set<string>();
    for (const { file, text } of files) {
      const audited = /appendAudit|\baudit\(|appendAuditAfter|audit: \{/.test(text);
      if (audited) for (const m of text.matchAll(/\baction:\s*'([a-z][\w.:-]*)'/g)) actions.add(m[1]!);
      if (audited) for (const m of text.matchAll(/\bdecision:\s*(?:[^'\n]*\?\s*)?'([a-z_]+)'(?:\s*:\s*'([a-z_]+)')?/g)) [m[1], m[2]].forEach((d) => d && decisions.add(d));
      // The console's own actions: act(pool, staff, 'name', …) is audited as console.name.
      for (const m of text.matchAll(/\bact\(\s*deps\.pool,\s*[^,]+,\s*'([\w.-]+)'/g)) actions.add(`console.${m[1]}`);
      if (file === 'console/review.ts') for (const m of text.matchAll(/caseAction\('([\w-]+)'/g)) actions.add(`console.review.${m[1]}`);
      if (file === 'console/admin.ts') for (const m of text.matchAll(/accountAction\('(\w+)'/g)) actions.add(`console.staff_account.${m[1]}`);
    }
    // Actions named by a variable: the reasons of a PIN activation or re-issue, the identity
    // checks of public endpoints, the review's recorded actions.
    for (const a of ['first_access', 'regeneration', 'letter_resend', 'recovery', 'remote_identification', 'recovery.request', 'revocation.request']) actions.add(a);
    for (const a of ['claim', 'first_approval', 'approve', 'reject']) {
      actions.add(`review_${a}`);
      decisions.add(a);
    }
    for (const d of ['verified', 'not_verified', 'unreachable', 'expired', 'revoked', 'declined', 'lapsed', 'accepted', 'rejected', 'locked_permanently', 'link_requested', 'not_matched']) decisions.add(d);
    expect(actions.size).toBeGreaterThan(40);
    expect([...actions].filter((a) => !Object.hasOwn(V.AUDIT_ACTIONS, a)).sort()).toEqual([]);
    expect([...decisions].filter((d) => !Object.hasOwn(V.AUDIT_DECISIONS, d)).sort()).toEqual([]);
  });

  it('labels every event type, event reason and notice purpose the code records', () => {
    const files = sourceText(['activities', 'services', 'lib']);
    const events = new Set<string>(['requested', 'callback_verified', 'callback_not_verified', 'callback_unreachable', 'claim_accepted', 'claim_rejected', 'first_access', 'regeneration', 'remote_identification', 'reissue_recovery', 'reissue_remote_identification']);
    const purposes = new Set<string>(['reissue-notice-recovery', 'reissue-notice-remote_identification']);
    for (const { text } of files) {
      for (const m of text.matchAll(/recordEvent\(\s*client,\s*[^,]+,\s*'([a-z_]+)'/g)) events.add(m[1]!);
      // A row written by SQL: the first literal after the column list is the type.
      for (const m of text.matchAll(/INSERT INTO credential_events\s*\([^)]*\)[^']*'([a-z_]+)'/g)) events.add(m[1]!);
      for (const m of text.matchAll(/enqueueNotification\(\s*deps,\s*client,\s*[\w.]+,\s*'([a-z0-9-]+)'/g)) purposes.add(m[1]!);
      for (const m of text.matchAll(/\bpurpose:\s*'([a-z0-9-]+)'/g)) purposes.add(m[1]!);
    }
    expect(events.size).toBeGreaterThan(30);
    expect([...events].filter((e) => !Object.hasOwn(V.EVENT_TYPES, e)).sort()).toEqual([]);
    expect([...purposes].filter((p) => !Object.hasOwn(V.NOTICE_PURPOSES, p)).sort()).toEqual([]);
    // The `reason` an event records: a call-back's, a revocation's, a re-issue's, a delegation's end.
    expect(missing(V.EVENT_REASONS, ['residence_mismatch', 'holder', 'contact_centre', 'staff', 'recovery', 'remote_identification', 'expired', 'revoked', 'declined', 'lapsed'])).toEqual([]);
  });

  it('shows a code without a label as a code, never as words', () => {
    const ctx = { lang: 'it' as const };
    expect(V.say(ctx, V.CREDENTIAL_STATES, 'awaiting_first_access')).toBe('in attesa del primo accesso');
    expect(V.say({ lang: 'en' }, V.CREDENTIAL_STATES, 'awaiting_first_access')).toBe('awaiting the first access');
    expect(String(V.say(ctx, V.CREDENTIAL_STATES, 'somewhere_new'))).toBe('<code>somewhere_new</code>');
    // Own keys only: a prototype's name is not a label.
    expect(String(V.say(ctx, V.CREDENTIAL_STATES, 'constructor'))).toBe('<code>constructor</code>');
  });
});
