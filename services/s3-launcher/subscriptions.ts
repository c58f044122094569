import { APPROVALS_BUS } from "../../events/contract.ts";
import { producedBy } from "../../events/patterns.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { s3ResourceSchema } from "../../events/s3-resource.ts";
import type { Subscription } from "../shared/manifest.ts";

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
      detail: { request: { resource: { type: [s3ResourceSchema.shape.type.value] } } },
    },
    handler: { entry: "services/s3-launcher/handlers/on-request-approved.ts", exportName: "handler" },
  },
];
