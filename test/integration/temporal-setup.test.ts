/** The Temporal dev server is set up the way `npm start` sets it up: the project's search attributes exist. */
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

describe('Temporal dev server', () => {
  it('has the search attributes the project registers', async () => {
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const key of SEARCH_ATTRIBUTES) expect(Object.keys(customAttributes ?? {})).toContain(key.name);
    } finally {
      await connection.close();
    }
  });
});
