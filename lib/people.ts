/**
 * People by name, as the system knows them: the name and surname on a credential. A person who
 * never held one has no name here (the institute records hold none).
 */
import type { Pool, PoolClient } from './db';

/** "Name Surname" of a credential's holder; empty when neither is given. */
export function holderName(holder: { name?: string | null; surname?: string | null } | undefined): string {
  return [holder?.name, holder?.surname].filter((x) => x && x.trim()).join(' ').trim();
}

/** "Name Surname" of each codice fiscale from its newest credential; a person the system does not know is absent. */
export async function personNames(db: Pool | PoolClient, codiciFiscali: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await db.query<{ codice_fiscale: string; name: string | null; surname: string | null }>(
    `SELECT DISTINCT ON (codice_fiscale) codice_fiscale, holder->>'name' AS name, holder->>'surname' AS surname
       FROM credentials WHERE codice_fiscale = ANY($1::text[]) ORDER BY codice_fiscale, created_at DESC`,
    [[...new Set(codiciFiscali)]],
  );
  const names = new Map<string, string>();
  for (const r of rows) {
    const name = holderName(r);
    if (name) names.set(r.codice_fiscale, name);
  }
  return names;
}
