import { ApprovalPolicyApplied } from "./approval-policy-applied.ts";
import { ApprovalRequested } from "./approval-requested.ts";
import { ApprovalStageCompleted } from "./approval-stage-completed.ts";
import { ApprovalStageStarted } from "./approval-stage-started.ts";
import { ApprovalVoteRecorded } from "./approval-vote-recorded.ts";
import type { EventContract } from "./contract.ts";
import { Ec2InstanceStateChange } from "./ec2-state-change.ts";
import { ProvisioningFailed } from "./provisioning-failed.ts";
import { ProvisioningStarted } from "./provisioning-started.ts";
import { RequestAccepted } from "./request-accepted.ts";
import { RequestApproved } from "./request-approved.ts";
import { RequestExpired } from "./request-expired.ts";
import { RequestInvalid } from "./request-invalid.ts";
import { RequestRejected } from "./request-rejected.ts";
import { RequesterNotified } from "./requester-notified.ts";
import { ResourceProvisioned } from "./resource-provisioned.ts";
import { ResourceRequested } from "./resource-requested.ts";

export * from "./approval-policy.ts";
export * from "./approval-policy-applied.ts";
export * from "./approval-requested.ts";
export * from "./approval-stage-completed.ts";
export * from "./approval-stage-started.ts";
export * from "./approval-vote-recorded.ts";
export * from "./contract.ts";
export * from "./ec2-state-change.ts";
export * from "./envelope.ts";
export * from "./patterns.ts";
export * from "./provisioning-failed.ts";
export * from "./provisioning-started.ts";
export * from "./publish.ts";
export * from "./request.ts";
export * from "./request-accepted.ts";
export * from "./request-approved.ts";
export * from "./request-expired.ts";
export * from "./request-id.ts";
export * from "./request-invalid.ts";
export * from "./request-rejected.ts";
export * from "./request-status.ts";
export * from "./requester-notified.ts";
export * from "./resource-provisioned.ts";
export * from "./resource-requested.ts";
export * from "./validation.ts";

/** Every event of the approval flow, in flow order; all of them travel on the approvals bus. */
export const FLOW_EVENTS = [
  ResourceRequested,
  RequestAccepted,
  RequestInvalid,
  ApprovalPolicyApplied,
  ApprovalStageStarted,
  ApprovalRequested,
  ApprovalVoteRecorded,
  ApprovalStageCompleted,
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
