/**
 * The operations metrics the alerts of ops/prometheus/alerts.yml read, measured on the real
 * database and API: review cases past the 5-working-day service level, the age of the oldest one,
 * and login outcomes. Other files share the database, so each check compares before and after.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectMetrics } from '../../lib/metrics';
import { makeCitizen } from '../support/citizens';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** The value of one series in the exposition text (0 when absent). */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function openCase(ageDays: number): Promise<string> {
  const credentialId = randomUUID();
  const { codiceFiscale } = makeCitizen();
  await stack.pool.query(
    `INSERT INTO credentials (id, codice_fiscale, state, channel, holder, contacts, residence) VALUES ($1::uuid, $2::text, 'active', 'online', '{}', '{}', '{}')`,
    [credentialId, codiceFiscale],
  );
  const caseId = randomUUID();
  await stack.pool.query(
    `INSERT INTO review_cases (id, credential_id, source, created_by, created_at) VALUES ($1::uuid, $2::uuid, 'online', 'test', now() - $3::int * interval '1 day')`,
    [caseId, credentialId, ageDays],
  );
  return caseId;
}

describe('operations metrics', () => {
  it('counts review cases past the 5-working-day SLA, not the fresh ones, and shows the oldest age', async () => {
    const before = value(await collectMetrics(stack.pool), 'pin_review_cases_past_sla');
    const fresh = await openCase(0);
    expect(value(await collectMetrics(stack.pool), 'pin_review_cases_past_sla')).toBe(before);
    // Twelve calendar days always hold more than five working days, whatever the holidays.
    const late = await openCase(12);
    const after = await collectMetrics(stack.pool);
    expect(value(after, 'pin_review_cases_past_sla')).toBe(before + 1);
    expect(value(after, 'pin_review_oldest_open_age_seconds')).toBeGreaterThanOrEqual(12 * 86_400 - 60);
    await stack.pool.query(`UPDATE review_cases SET status = 'rejected', decided_at = now() WHERE id = ANY($1::uuid[])`, [[fresh, late]]);
    expect(value(await collectMetrics(stack.pool), 'pin_review_cases_past_sla')).toBe(before);
  });

  it('counts login outcomes by kind', async () => {
    const series = 'pin_login_outcomes_total{outcome="denied"}';
    const before = value(await collectMetrics(), series);
    const res = await fetch(`${stack.baseUrl}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ codiceFiscale: makeCitizen().codiceFiscale, pin: 'ABCD2345' }),
    });
    expect(res.status).toBe(401);
    expect(value(await collectMetrics(), series)).toBe(before + 1);
  });
});
