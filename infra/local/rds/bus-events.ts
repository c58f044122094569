import { DEFAULT_BUS } from "../../../events/contract.ts";
import { RdsDbInstanceEvent } from "../../../events/rds-instance-event.ts";
import { newBusEvent } from "../eventbridge/envelope.ts";
import type { EventBusEngine } from "../eventbridge/types.ts";
import type { RdsEventListener } from "./local-rds.ts";

/**
 * Publishes the local RDS's events as RDS does: `aws.rds` "RDS DB Instance Event"s on the default bus,
 * in the instance's own region, naming the instance's ARN as the event's resource.
 */
export const publishOnDefaultBus =
  (bus: EventBusEngine): RdsEventListener =>
  ({ region, detail }) =>
    bus.accept([
      {
        eventBusName: DEFAULT_BUS,
        event: newBusEvent({
          source: RdsDbInstanceEvent.source,
          detailType: RdsDbInstanceEvent.detailType,
          detail,
          region,
          resources: [detail.SourceArn],
        }),
      },
    ]);
