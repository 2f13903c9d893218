/**
 * `npm run chaos:channels-down` — the SMTP server and the SMS gateway refuse everything for a
 * while (451 / 503, as real providers do when they are down) while PIN requests arrive. The outbox
 * must hold every message (nothing delivered, nothing lost, nothing marked failed), the rest of
 * the issuance (the letter) must go on, and once the channels are back every message must be
 * delivered exactly once, in order per citizen (SMS, then e-mail, then PEC). Half the citizens
 * have no mobile, so that their first message meets the SMTP outage rather than the SMS one.
 *
 *   npm run chaos:channels-down                  # small: 30 requests, 15 s outage (CI)
 *   CHAOS_SIZE=full npm run chaos:channels-down  # full: 200 requests, 60 s outage
 */
import { randomUUID } from 'node:crypto';
import { issuanceProgress } from '../../bench/support';
import {
  ChaosReport,
  channelsOf,
  defaultLog,
  isMain,
  mapLimit,
  numberFromEnv,
  runAsScript,
  sizeFromEnv,
  sleep,
  statusSummary,
  submitUntilAccepted,
  verifyIssuances,
  waitForIssuance,
  uniqueCitizen,
  withStack,
  type ChaosResult,
  type ChaosRunOptions,
  type Submission,
} from './harness';

export async function run(opts: ChaosRunOptions = {}): Promise<ChaosResult> {
  const size = opts.size ?? sizeFromEnv();
  const log = opts.log ?? defaultLog;
  const n = numberFromEnv('CHAOS_N', size === 'full' ? 200 : 30);
  const outageMs = numberFromEnv('CHAOS_DOWN_MS', size === 'full' ? 60_000 : 15_000);
  const report = new ChaosReport('channels-down', size);
  report.figure('requests', n);
  report.figure('channels outage (s)', outageMs / 1000);

  return withStack(report, { scenario: 'channels-down', run: opts }, async (stack) => {
    stack.smtp.setAvailable(false);
    stack.sms.setAvailable(false);
    const downAt = performance.now();
    log(`SMTP and SMS down for ${outageMs / 1000} s`);

    // Half the citizens have no mobile: their first half starts with the e-mail, so the SMTP outage is met head-on too.
    const submissions: Submission[] = Array.from({ length: n }, (_, i) => ({
      citizen: i % 2 ? uniqueCitizen({ mobile: undefined, preferredPhone: 'home', homePhone: `+549114${String(i).padStart(6, '0')}` }) : uniqueCitizen(),
      key: randomUUID(),
      attempts: [],
    }));
    await mapLimit(submissions, 8, (s) => submitUntilAccepted(stack.baseUrl, s, { deadline: Date.now() + 60_000 }));
    const accepted = submissions.filter((s) => s.credentialId);
    const ids = accepted.map((s) => s.credentialId!);
    const expectedMessages = accepted.reduce((k, s) => k + channelsOf(s.citizen).length, 0);
    report.figure('API answers', statusSummary(submissions.flatMap((s) => s.attempts)));
    report.check(`all ${n} requests accepted`, accepted.length === n, `${accepted.length} accepted`);

    await sleep(Math.max(0, outageMs - (performance.now() - downAt)));
    const { rows } = await stack.pool.query<{ status: string; n: string }>(
      // The first halves (each request's receipt waits in the outbox too, counted apart).
      "SELECT status, count(*) AS n FROM outbox WHERE credential_id = ANY($1::uuid[]) AND purpose = 'first-half' GROUP BY 1",
      [ids],
    );
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    const { letters } = await issuanceProgress(stack.pool, ids);
    const delivered = stack.smtp.messages().length + stack.sms.messages().length;
    report.figure('outbox at the end of the outage', JSON.stringify(byStatus));
    report.figure('letters filed during the outage', letters);
    report.check('nothing was delivered while the channels were down', delivered === 0, `${delivered} delivered`);
    report.check(
      'the outbox held every message while the channels were down (pending, none failed)',
      (byStatus.pending ?? 0) === expectedMessages && Object.keys(byStatus).length === 1,
      JSON.stringify(byStatus),
    );
    report.check('the letters went on being filed during the outage', letters === n, `${letters}/${n}`);

    stack.smtp.setAvailable(true);
    stack.sms.setAvailable(true);
    log('SMTP and SMS back');
    const seconds = await waitForIssuance(stack, ids, (size === 'full' ? 10 : 5) * 60_000, log);
    report.figure('seconds from the channels coming back to every message delivered', seconds);
    const { rows: retried } = await stack.pool.query<{ channel: string; n: string }>(
      'SELECT channel, count(*) AS n FROM outbox WHERE credential_id = ANY($1::uuid[]) AND attempts > 1 GROUP BY 1 ORDER BY 1',
      [ids],
    );
    report.figure('rows retried, by channel', retried.map((r) => `${r.channel} ${r.n}`).join(', ') || '-');
    report.check('both channels were retried through the outage', retried.some((r) => r.channel === 'sms') && retried.some((r) => r.channel === 'email'));
    const failed = await stack.pool.query("SELECT 1 FROM outbox WHERE credential_id = ANY($1::uuid[]) AND status = 'failed'", [ids]);
    report.check('no outbox row ended as failed', failed.rowCount === 0, `${failed.rowCount} failed`);
    await verifyIssuances(stack, report, accepted.map((s) => ({ citizen: s.citizen, credentialId: s.credentialId! })));
  });
}

if (isMain(import.meta.url)) runAsScript(run);
