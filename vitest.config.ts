import { defineConfig } from 'vitest/config';

// Three layers, each its own project so they can be run alone (`npx vitest --project unit`).
// The forks pool: the Temporal worker's native bridge does not mix well with worker threads.
export default defineConfig({
  test: {
    pool: 'forks',
    // The last line of a run is a plain "tests: N passed, N failed" that CI's reader knows.
    reporters: ['default', './test/setup/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'workflow',
          include: ['test/workflow/**/*.test.ts'],
          pool: 'forks',
          globalSetup: ['test/setup/workflow-global.ts'],
          setupFiles: ['test/setup/quiet-runtime.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          pool: 'forks',
          globalSetup: ['test/setup/integration-global.ts'],
          setupFiles: ['test/setup/quiet-runtime.ts'],
          // Files share one database and one mail-room calendar (closing a day's batch touches
          // every letter in it), so they run one after another.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
