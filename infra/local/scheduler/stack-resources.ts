import { APPROVALS_BUS } from "../../../events/contract.ts";
import type { ServiceManifest } from "../../../services/shared/manifest.ts";
import type { ScheduleSettings } from "../../../services/shared/schedules.ts";
import { LOCAL_ACCOUNT_ID } from "../eventbridge/types.ts";

/** The stack's schedule group, made on the first start as the CDK app makes one for the stack. */
export const LOCAL_SCHEDULE_GROUP = "approvals";

/** The role schedules name, as the CDK app's `Schedules` role: the only one the services may pass. */
export const LOCAL_SCHEDULER_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/approvals-scheduler`;

/**
 * The environment of services declaring `needs.schedules`, with the local stack's values; nothing when
 * none does, as on AWS. The dead-letter queue is only a name locally: an invocation that fails for good
 * is logged with it.
 */
export const localScheduleEnvironment = (
  services: readonly ServiceManifest[],
  region: string,
): Partial<ScheduleSettings> =>
  services.some((service) => service.needs.schedules)
    ? {
        SCHEDULE_GROUP: LOCAL_SCHEDULE_GROUP,
        SCHEDULER_ROLE_ARN: LOCAL_SCHEDULER_ROLE_ARN,
        SCHEDULER_DLQ_ARN: `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:approvals-scheduler-dead-letters`,
        EVENT_BUS_ARN: `arn:aws:events:${region}:${LOCAL_ACCOUNT_ID}:event-bus/${APPROVALS_BUS}`,
      }
    : {};
