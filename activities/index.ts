/**
 * The activity factory: built once by the worker with its dependencies, so every side effect
 * has its pool, mailer and gateway injected (and tests can inject their own).
 */
import type { ActivityDeps } from './deps';
import { createIssuanceActivities } from './issuance';
import { createMailRoomActivities } from './mailroom';
import { createNotificationActivities } from './notifications';
import { createTelephonePinActivities } from './telephone-pin';
import { createAccessActivities } from './access';
import { createConversionActivities } from './conversion';
import { createLifecycleActivities } from './lifecycle';
import { createRecoveryActivities } from './recovery';
import { createDelegationActivities } from './delegation';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createIssuanceActivities(deps),
    ...createNotificationActivities(deps),
    ...createMailRoomActivities(deps),
    ...createTelephonePinActivities(deps),
    ...createAccessActivities(deps),
    ...createConversionActivities(deps),
    ...createLifecycleActivities(deps),
    ...createRecoveryActivities(deps),
    ...createDelegationActivities(deps),
  };
}
