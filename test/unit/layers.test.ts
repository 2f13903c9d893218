/**
 * The layering of docs/architecture.md that the import rules (.dependency-cruiser.cjs, run by
 * `npm run lint:layers`) cannot see: SQL text lives in services/, activities/, lib/'s shared
 * writers, migrations and scripts — never in the front-ends, the workflows or the domain rules;
 * and no service keeps a transaction open while it waits for Temporal.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SQL = /\b(SELECT\s+[a-z_*(]|INSERT\s+INTO|UPDATE\s+[a-z_]+\s+SET|DELETE\s+FROM|FOR\s+UPDATE)/;

const TEMPORAL_CALL = /\btemporal\.|executeUpdate|\.signal\(|workflow\.start|startChild/;

/** The text of every `withTransaction(...)` call, found by matching its parentheses. */
function transactionBlocks(text: string): { line: number; text: string }[] {
  const blocks: { line: number; text: string }[] = [];
  for (const m of text.matchAll(/withTransaction\(/g)) {
    let depth = 1;
    let i = m.index + m[0].length;
    while (depth > 0 && i < text.length) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')') depth--;
      i++;
    }
    blocks.push({ line: text.slice(0, m.index).split('\n').length, text: text.slice(m.index, i) });
  }
  return blocks;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

describe('layers', () => {
  it.each(['api', 'portal', 'console', 'web', 'domain', 'workflows', 'worker', 'forms'])('%s/ holds no SQL', (dir) => {
    const offending = sourceFiles(dir).flatMap((file) =>
      readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .map((line, i) => ({ line, at: `${file}:${i + 1}` }))
        .filter(({ line }) => SQL.test(line))
        .map(({ at, line }) => `${at}: ${line.trim()}`),
    );
    expect(offending).toEqual([]);
  });

  it('no service holds a database transaction across a Temporal call', () => {
    const offending: string[] = [];
    for (const file of sourceFiles('services')) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      for (const block of transactionBlocks(text)) {
        if (TEMPORAL_CALL.test(block.text)) offending.push(`${file}:${block.line}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('the transaction scanner sees a Temporal call inside a transaction (self-test)', () => {
    const sample = 'await withTransaction(pool, async (c) => {\n  await c.query(x);\n  await deps.temporal.workflow.getHandle(id).executeUpdate(u);\n});';
    expect(transactionBlocks(sample).filter((b) => TEMPORAL_CALL.test(b.text))).toHaveLength(1);
  });

  it('the SQL detector finds SQL (self-test)', () => {
    expect(SQL.test("await pool.query('SELECT id FROM credentials')")).toBe(true);
    expect(SQL.test('`UPDATE letters SET status = $1`')).toBe(true);
    expect(SQL.test('<select class="form-select">')).toBe(false);
  });
});
