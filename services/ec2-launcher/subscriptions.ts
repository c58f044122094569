import { APPROVALS_BUS, DEFAULT_BUS } from "../../events/contract.ts";
import { Ec2InstanceStateChange } from "../../events/ec2-state-change.ts";
import { producedBy } from "../../events/patterns.ts";
import { ec2ResourceSchema } from "../../events/request.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import type { Subscription } from "../shared/manifest.ts";
import { LAUNCH_SETTLING_STATES } from "./domain.ts";

export const subscriptions: Subscription[] = [
  {
    kind: "event",
    name: "ec2-launcher-on-request-approved",
    service: "ec2-launcher",
    description:
      "Launches the instance of an approved request; routed by content, so only EC2 requests come here.",
    eventBusName: APPROVALS_BUS,
    // Only the decision service approves: an approval from any other source launches nothing.
    pattern: {
      ...producedBy(RequestApproved),
      detail: { request: { resource: { type: [ec2ResourceSchema.shape.type.value] } } },
    },
    handler: { entry: "services/ec2-launcher/handlers/on-request-approved.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "ec2-launcher-on-instance-state-change",
    service: "ec2-launcher",
    description: "Settles a launch when its instance runs, or ends before it ran.",
    eventBusName: DEFAULT_BUS,
    pattern: { ...producedBy(Ec2InstanceStateChange), detail: { state: [...LAUNCH_SETTLING_STATES] } },
    handler: { entry: "services/ec2-launcher/handlers/on-instance-state-change.ts", exportName: "handler" },
  },
];
