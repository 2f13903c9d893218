/**
 * Keeps the Temporal worker runtime to errors in test output (activity retries are expected in
 * several tests; the time-skipping server does not advertise the heartbeat-details capability,
 * which core would otherwise warn about for every worker). One install per test process.
 */
import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
