/** Keeps the Temporal worker runtime to errors in test output (activity retries are expected in several tests) (one install per test process). */
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('ERROR') });
