/**
 * Every activity heartbeats while it runs, so a worker that dies (kill -9, a lost machine) is
 * noticed after the heartbeat timeout (seconds) rather than the start-to-close timeout (up to a
 * minute), and its activities are retried elsewhere at once. Done once here, by an interceptor,
 * rather than by each activity: a slow SMTP send, a letter rendered under load or a long
 * mail-room batch all stay alive for as long as the process does.
 *
 * The first heartbeat leaves after a second: the many activities that finish sooner send none.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

export function heartbeatWhileRunning(everyMs = 1_000): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const timeoutMs = ctx.info.heartbeatTimeoutMs;
        if (!timeoutMs) return next(input);
        // The SDK throttles what it sends to the server (about 80 % of the timeout); ticking more
        // often than a third of the timeout only keeps the latest beat fresh.
        const timer = setInterval(() => ctx.heartbeat(), Math.min(everyMs, Math.max(100, timeoutMs / 3)));
        try {
          return await next(input);
        } finally {
          clearInterval(timer);
        }
      },
    },
  });
}
