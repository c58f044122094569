import { APPROVALS_BUS } from "../../events/contract.ts";
import { LAUNCHER_SOURCES } from "../../events/launched-resource.ts";
import { LeaseExtended, LeaseStarted, ReleaseCheckDue, ReleaseRequested } from "../../events/lease-events.ts";
import { producedBy } from "../../events/patterns.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { s3ResourceSchema } from "../../events/s3-resource.ts";
import type { Subscription } from "../shared/manifest.ts";

const S3 = s3ResourceSchema.shape.type.value;

export const subscriptions: Subscription[] = [
  {
    kind: "event",
    name: "s3-launcher-on-request-approved",
    service: "s3-launcher",
    description:
      "Creates and sets up the bucket of an approved request; routed by content, so only S3 requests come here.",
    eventBusName: APPROVALS_BUS,
    // Only the decision service approves: an approval from any other source creates nothing.
    pattern: {
      ...producedBy(RequestApproved),
      detail: { request: { resource: { type: [S3] } } },
    },
    handler: { entry: "services/s3-launcher/handlers/on-request-approved.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "s3-launcher-on-lease-changed",
    service: "s3-launcher",
    description:
      "Tags a bucket ExpiresAt with its lease's end when the lease starts and when it is extended.",
    eventBusName: APPROVALS_BUS,
    // Only the lease service keeps leases: an event of one from any other source tags nothing.
    pattern: { ...producedBy(LeaseStarted, LeaseExtended), detail: { resource: { type: [S3] } } },
    handler: { entry: "services/s3-launcher/handlers/on-lease-changed.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "s3-launcher-on-release-requested",
    service: "s3-launcher",
    description:
      "Deletes a bucket whose lease ended or that was released early, only if it is empty; one that holds objects is kept.",
    eventBusName: APPROVALS_BUS,
    pattern: { ...producedBy(ReleaseRequested), detail: { resource: { type: [S3] } } },
    handler: { entry: "services/s3-launcher/handlers/on-release-requested.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "s3-launcher-on-release-check",
    service: "s3-launcher",
    description:
      "The reaper: looks again at a released bucket, deletes it again if it is still there and empty, and reports it released or failed.",
    eventBusName: APPROVALS_BUS,
    // Its own checks only, which Scheduler puts on the bus under the launcher's source.
    pattern: {
      source: [LAUNCHER_SOURCES.s3],
      "detail-type": [ReleaseCheckDue.detailType],
      detail: { resourceType: [S3] },
    },
    handler: { entry: "services/s3-launcher/handlers/on-release-check.ts", exportName: "handler" },
  },
];
