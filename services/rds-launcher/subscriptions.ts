import { APPROVALS_BUS, DEFAULT_BUS } from "../../events/contract.ts";
import { LAUNCHER_SOURCES } from "../../events/launched-resource.ts";
import { LeaseExtended, LeaseStarted, ReleaseCheckDue, ReleaseRequested } from "../../events/lease-events.ts";
import { producedBy } from "../../events/patterns.ts";
import { RdsDbInstanceEvent } from "../../events/rds-instance-event.ts";
import { rdsResourceSchema } from "../../events/rds-resource.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import type { Subscription } from "../shared/manifest.ts";
import { SETTLING_EVENT_CATEGORIES } from "./domain.ts";

const RDS = rdsResourceSchema.shape.type.value;

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
      detail: { request: { resource: { type: [RDS] } } },
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
  {
    kind: "event",
    name: "rds-launcher-on-lease-changed",
    service: "rds-launcher",
    description:
      "Tags a DB instance ExpiresAt with its lease's end when the lease starts and when it is extended.",
    eventBusName: APPROVALS_BUS,
    // Only the lease service keeps leases: an event of one from any other source tags nothing.
    pattern: { ...producedBy(LeaseStarted, LeaseExtended), detail: { resource: { type: [RDS] } } },
    handler: { entry: "services/rds-launcher/handlers/on-lease-changed.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "rds-launcher-on-release-requested",
    service: "rds-launcher",
    description:
      "Deletes a DB instance whose lease ended or that was released early, with a final snapshot unless its policy says otherwise.",
    eventBusName: APPROVALS_BUS,
    pattern: { ...producedBy(ReleaseRequested), detail: { resource: { type: [RDS] } } },
    handler: { entry: "services/rds-launcher/handlers/on-release-requested.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "rds-launcher-on-release-check",
    service: "rds-launcher",
    description:
      "The reaper: looks again at a released DB instance, deletes it again if it is still there, and reports it released or failed.",
    eventBusName: APPROVALS_BUS,
    // Its own checks only, which Scheduler puts on the bus under the launcher's source.
    pattern: {
      source: [LAUNCHER_SOURCES.rds],
      "detail-type": [ReleaseCheckDue.detailType],
      detail: { resourceType: [RDS] },
    },
    handler: { entry: "services/rds-launcher/handlers/on-release-check.ts", exportName: "handler" },
  },
];
