/** Keeps the Temporal worker runtime to warnings in test output (one install per test process). */
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });
