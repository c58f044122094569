import { APPROVALS_BUS, DEFAULT_BUS } from "../../events/contract.ts";
import { Ec2InstanceStateChange } from "../../events/ec2-state-change.ts";
import { LAUNCHER_SOURCES } from "../../events/launched-resource.ts";
import { LeaseExtended, LeaseStarted, ReleaseCheckDue, ReleaseRequested } from "../../events/lease-events.ts";
import { producedBy } from "../../events/patterns.ts";
import { ec2ResourceSchema } from "../../events/request.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import type { Subscription } from "../shared/manifest.ts";
import { LAUNCH_SETTLING_STATES } from "./domain.ts";

const EC2 = ec2ResourceSchema.shape.type.value;

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
      detail: { request: { resource: { type: [EC2] } } },
    },
    handler: { entry: "services/ec2-launcher/handlers/on-request-approved.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "ec2-launcher-on-instance-state-change",
    service: "ec2-launcher",
    description:
      "Settles a launch when its instance runs, or ends before it ran; stops again a stopped-at-its-end instance someone started.",
    eventBusName: DEFAULT_BUS,
    pattern: { ...producedBy(Ec2InstanceStateChange), detail: { state: [...LAUNCH_SETTLING_STATES] } },
    handler: { entry: "services/ec2-launcher/handlers/on-instance-state-change.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "ec2-launcher-on-lease-changed",
    service: "ec2-launcher",
    description: "Tags an instance ExpiresAt with its lease's end when the lease starts or is extended.",
    eventBusName: APPROVALS_BUS,
    pattern: { ...producedBy(LeaseStarted, LeaseExtended), detail: { resource: { type: [EC2] } } },
    handler: { entry: "services/ec2-launcher/handlers/on-lease-changed.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "ec2-launcher-on-release-requested",
    service: "ec2-launcher",
    description:
      "Stops or terminates an instance whose lease ended or was released early, and has it checked.",
    eventBusName: APPROVALS_BUS,
    pattern: { ...producedBy(ReleaseRequested), detail: { resource: { type: [EC2] } } },
    handler: { entry: "services/ec2-launcher/handlers/on-release-requested.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "ec2-launcher-on-release-check-due",
    service: "ec2-launcher",
    description:
      "The reaper's check of an instance's release: reports it released, or releases it again, or gives up.",
    eventBusName: APPROVALS_BUS,
    // Its own checks only: the other launchers' schedules put theirs under their own sources.
    pattern: {
      source: [LAUNCHER_SOURCES.ec2],
      "detail-type": [ReleaseCheckDue.detailType],
      detail: { resourceType: [EC2] },
    },
    handler: { entry: "services/ec2-launcher/handlers/on-release-check-due.ts", exportName: "handler" },
  },
];
