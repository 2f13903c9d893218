/**
 * The alerting rules and the dashboard under ops/ only name metrics the code exports, every alert
 * has a severity, a summary and a runbook section that exists in docs/operations.md, and every
 * expression is at least balanced. (promtool is not available from the package registries here,
 * so this is the check `npm test` can make.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const metricsSource = readFileSync('lib/metrics.ts', 'utf8');
/** Names the code registers with prom-client (`name: 'pin_…'`). */
const exported = new Set([...metricsSource.matchAll(/name: '(pin_[a-z_]+)'/g)].map((m) => m[1]!));
const runbook = readFileSync('docs/operations.md', 'utf8');
const anchors = new Set([...runbook.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));

/** The pin_ metrics an expression reads; histogram series count as their histogram. */
function pinMetrics(expr: string): string[] {
  return [...expr.matchAll(/\b(pin_[a-z_]+)\b/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''));
}

function balanced(expr: string): boolean {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  for (const ch of expr.replace(/"[^"]*"/g, '')) {
    if ('([{'.includes(ch)) stack.push(ch);
    else if (ch in pairs && stack.pop() !== pairs[ch]) return false;
  }
  return stack.length === 0;
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: { severity?: string };
  annotations?: { summary?: string; runbook?: string };
}

describe('ops/prometheus/alerts.yml', () => {
  const doc = parse(readFileSync('ops/prometheus/alerts.yml', 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
  const rules = doc.groups.flatMap((g) => g.rules);

  it('has the alerts operations need', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual(
      ['PinApiServerErrors', 'PinAuditChainBroken', 'PinLetterReturnedAfterActivation', 'PinLettersReturnedHigh', 'PinLockoutSurge', 'PinOutboxLag', 'PinReviewSlaBreached', 'PinWorkerAbsent', 'PinWorkflowTaskFailures'].sort(),
    );
  });

  it('names only metrics the code exports, in balanced expressions', () => {
    expect(exported.size).toBeGreaterThan(10);
    for (const r of rules) {
      expect(balanced(r.expr), r.alert).toBe(true);
      for (const m of pinMetrics(r.expr)) expect(exported.has(m), `${r.alert}: ${m} is not in lib/metrics.ts`).toBe(true);
    }
  });

  it('gives each alert a severity, a duration, a summary and a runbook section that exists', () => {
    for (const r of rules) {
      expect(['page', 'ticket'], r.alert).toContain(r.labels?.severity);
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      const anchor = /^docs\/operations\.md#([a-z0-9-]+)$/.exec(r.annotations?.runbook ?? '')?.[1];
      expect(anchor && anchors.has(anchor), `${r.alert}: runbook ${r.annotations?.runbook}`).toBe(true);
    }
  });
});

describe('ops/grafana/pin-backoffice.json', () => {
  const dash = JSON.parse(readFileSync('ops/grafana/pin-backoffice.json', 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };

  it('shows the figures the issue names, each over metrics the code exports', () => {
    const titles = dash.panels.map((p) => p.title).join('\n');
    for (const t of ['Requests accepted', 'Issuance by stage', 'Outbox backlog', 'Outbox lag', 'Letters per mail-room batch', 'Review queue', 'Login outcomes', 'API server errors']) expect(titles).toContain(t);
    for (const p of dash.panels) {
      for (const t of p.targets) {
        expect(balanced(t.expr), p.title).toBe(true);
        for (const m of pinMetrics(t.expr)) expect(exported.has(m), `${p.title}: ${m}`).toBe(true);
      }
    }
  });
});
