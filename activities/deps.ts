import type { Pool } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { Mailer, SmsGateway } from '../lib/channels';
import type { KeyRing } from '../lib/secrets';

/** Everything the activities touch outside the process, built once by the worker. */
export interface ActivityDeps {
  pool: Pool;
  mailer: Mailer;
  sms: SmsGateway;
  keys: { pepper: Buffer; secrets: KeyRing };
  mailFrom: string;
  pecFrom: string;
  mailroomDir: string;
  /** Days a dispatched letter's PDF is kept for reprints; then deleted. Absent: 30. */
  letterRetentionDays?: number;
  publicBaseUrl: string;
  log: Logger;
  /** Injected so tests can pin "today" for the mail-room batch date. */
  now?: () => Date;
}
