import { APPROVALS_BUS, DEFAULT_BUS } from "../../events/contract.ts";
import { producedBy } from "../../events/patterns.ts";
import { RdsDbInstanceEvent } from "../../events/rds-instance-event.ts";
import { rdsResourceSchema } from "../../events/rds-resource.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import type { Subscription } from "../shared/manifest.ts";
import { SETTLING_EVENT_CATEGORIES } from "./domain.ts";

export const subscriptions: Subscription[] = [
  {
    kind: "event",
    name: "rds-launcher-on-request-approved",
    service: "rds-launcher",
    description:
      "Creates the DB instance of an approved request; routed by content, so only RDS requests come here.",
    eventBusName: APPROVALS_BUS,
    // Only the decision service approves: an approval from any other source creates nothing.
    pattern: {
      ...producedBy(RequestApproved),
      detail: { request: { resource: { type: [rdsResourceSchema.shape.type.value] } } },
    },
    handler: { entry: "services/rds-launcher/handlers/on-request-approved.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "rds-launcher-on-db-instance-event",
    service: "rds-launcher",
    description: "Settles a creation when RDS reports its DB instance created, failed or deleted.",
    eventBusName: DEFAULT_BUS,
    pattern: {
      ...producedBy(RdsDbInstanceEvent),
      detail: { SourceType: ["DB_INSTANCE"], EventCategories: [...SETTLING_EVENT_CATEGORIES] },
    },
    handler: { entry: "services/rds-launcher/handlers/on-db-instance-event.ts", exportName: "handler" },
  },
  {
    kind: "schedule",
    name: "rds-launcher-creation-sweeper",
    service: "rds-launcher",
    description:
      "Every 5 minutes: settles the creations whose aws.rds event was lost, from what RDS describes.",
    schedule: "rate(5 minutes)",
    handler: { entry: "services/rds-launcher/handlers/creation-sweeper.ts", exportName: "handler" },
  },
];
