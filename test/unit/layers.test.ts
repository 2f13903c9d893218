/**
 * The layering of docs/architecture.md that the import rules (.dependency-cruiser.cjs, run by
 * `npm run lint:layers`) cannot see: SQL text lives in services/, activities/, lib/'s shared
 * writers, migrations and scripts — never in the front-ends, the workflows or the domain rules.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SQL = /\b(SELECT\s+[a-z_*(]|INSERT\s+INTO|UPDATE\s+[a-z_]+\s+SET|DELETE\s+FROM|FOR\s+UPDATE)/;

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

  it('the SQL detector finds SQL (self-test)', () => {
    expect(SQL.test("await pool.query('SELECT id FROM credentials')")).toBe(true);
    expect(SQL.test('`UPDATE letters SET status = $1`')).toBe(true);
    expect(SQL.test('<select class="form-select">')).toBe(false);
  });
});
