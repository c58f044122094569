import { ApprovalRequested } from "./approval-requested.ts";
import type { EventContract } from "./contract.ts";
import { RequestApproved, RequestExpired, RequestRejected } from "./decisions.ts";
import { Ec2InstanceStateChange } from "./ec2-state-change.ts";
import { ProvisioningFailed, ProvisioningStarted, ResourceProvisioned } from "./provisioning.ts";
import { RequestAccepted } from "./request-accepted.ts";
import { RequestInvalid } from "./request-invalid.ts";
import { RequesterNotified } from "./requester-notified.ts";
import { ResourceRequested } from "./resource-requested.ts";

export * from "./approval-requested.ts";
export * from "./contract.ts";
export * from "./decisions.ts";
export * from "./ec2-state-change.ts";
export * from "./envelope.ts";
export * from "./provisioning.ts";
export * from "./request.ts";
export * from "./request-accepted.ts";
export * from "./request-invalid.ts";
export * from "./request-status.ts";
export * from "./requester-notified.ts";
export * from "./resource-requested.ts";
export * from "./validation.ts";

/** Every event of the approval flow, in flow order; all of them travel on the approvals bus. */
export const FLOW_EVENTS = [
  ResourceRequested,
  RequestAccepted,
  RequestInvalid,
  ApprovalRequested,
  RequestApproved,
  RequestRejected,
  RequestExpired,
  ProvisioningStarted,
  ResourceProvisioned,
  ProvisioningFailed,
  RequesterNotified,
] as const satisfies readonly EventContract[];

/** The whole catalog: the flow plus the AWS events we consume. */
export const CATALOG = [...FLOW_EVENTS, Ec2InstanceStateChange] as const satisfies readonly EventContract[];

export type FlowDetailType = (typeof FLOW_EVENTS)[number]["detailType"];

export const contractFor = (detailType: string): EventContract | undefined =>
  CATALOG.find((contract) => contract.detailType === detailType);
export * from "./patterns.ts";
export * from "./publish.ts";
