import { ApprovalEscalated } from "./approval-escalated.ts";
import { ApprovalPolicyApplied } from "./approval-policy-applied.ts";
import { ApprovalRequested } from "./approval-requested.ts";
import { ApprovalStageCompleted } from "./approval-stage-completed.ts";
import { ApprovalStageStarted } from "./approval-stage-started.ts";
import { ApprovalTimerDue } from "./approval-timer-due.ts";
import { ApprovalVoteRecorded } from "./approval-vote-recorded.ts";
import { ApproversReminded } from "./approvers-reminded.ts";
import type { EventContract } from "./contract.ts";
import { DelegationChanged } from "./delegation-changed.ts";
import { Ec2InstanceStateChange } from "./ec2-state-change.ts";
import { EmailSuppressed } from "./email-suppressed.ts";
import {
  ExtensionDecided,
  ExtensionRequested,
  LeaseExpiring,
  LeaseExtended,
  LeaseStarted,
  LeaseTimerDue,
  ReleaseCheckDue,
  ReleaseFailed,
  ReleaseRequested,
  ResourceReleased,
} from "./lease-events.ts";
import { ProvisioningFailed } from "./provisioning-failed.ts";
import { ProvisioningStarted } from "./provisioning-started.ts";
import { RdsDbInstanceEvent } from "./rds-instance-event.ts";
import { RequestAccepted } from "./request-accepted.ts";
import { RequestApproved } from "./request-approved.ts";
import { RequestCancelled } from "./request-cancelled.ts";
import { RequestExpired } from "./request-expired.ts";
import { RequestInvalid } from "./request-invalid.ts";
import { RequestRejected } from "./request-rejected.ts";
import { RequesterNotified } from "./requester-notified.ts";
import { ResourceProvisioned } from "./resource-provisioned.ts";
import { ResourceRequested } from "./resource-requested.ts";
import { SesEmailBounced, SesEmailComplaintReceived } from "./ses-feedback.ts";

export * from "./approval-escalated.ts";
export * from "./approval-policy.ts";
export * from "./approval-policy-applied.ts";
export * from "./approval-requested.ts";
export * from "./approval-stage-completed.ts";
export * from "./approval-stage-started.ts";
export * from "./approval-timer-due.ts";
export * from "./approval-vote-recorded.ts";
export * from "./approvers-reminded.ts";
export * from "./contract.ts";
export * from "./cost-estimate.ts";
export * from "./delegation-changed.ts";
export * from "./duration.ts";
export * from "./ec2-state-change.ts";
export * from "./email-suppressed.ts";
export * from "./envelope.ts";
export * from "./fields.ts";
export * from "./launched-resource.ts";
export * from "./lease.ts";
export * from "./lease-duration.ts";
export * from "./lease-events.ts";
export * from "./patterns.ts";
export * from "./provisioning-failed.ts";
export * from "./provisioning-started.ts";
export * from "./publish.ts";
export * from "./rds-instance-event.ts";
export * from "./rds-resource.ts";
export * from "./region.ts";
export * from "./request.ts";
export * from "./request-accepted.ts";
export * from "./request-approved.ts";
export * from "./request-cancelled.ts";
export * from "./request-expired.ts";
export * from "./request-id.ts";
export * from "./request-invalid.ts";
export * from "./request-rejected.ts";
export * from "./request-status.ts";
export * from "./requester-notified.ts";
export * from "./resource-provisioned.ts";
export * from "./resource-requested.ts";
export * from "./s3-resource.ts";
export * from "./ses-feedback.ts";
export * from "./validation.ts";

/** Every event of the approval flow, in flow order; all of them travel on the approvals bus. */
export const FLOW_EVENTS = [
  ResourceRequested,
  RequestAccepted,
  RequestInvalid,
  ApprovalPolicyApplied,
  ApprovalStageStarted,
  ApprovalRequested,
  ApprovalTimerDue,
  ApproversReminded,
  ApprovalEscalated,
  ApprovalVoteRecorded,
  ApprovalStageCompleted,
  RequestApproved,
  RequestRejected,
  RequestExpired,
  RequestCancelled,
  ProvisioningStarted,
  ResourceProvisioned,
  ProvisioningFailed,
  RequesterNotified,
  EmailSuppressed,
  LeaseStarted,
  LeaseTimerDue,
  LeaseExpiring,
  ExtensionRequested,
  ExtensionDecided,
  LeaseExtended,
  ReleaseRequested,
  ReleaseCheckDue,
  ResourceReleased,
  ReleaseFailed,
] as const satisfies readonly EventContract[];

/**
 * The whole catalog: the flow, the events about approvers rather than one request (DelegationChanged,
 * which audit's per-request timelines do not take), and the AWS events we consume (EC2's, RDS's, SES's feedback).
 */
export const CATALOG = [
  ...FLOW_EVENTS,
  DelegationChanged,
  Ec2InstanceStateChange,
  RdsDbInstanceEvent,
  SesEmailBounced,
  SesEmailComplaintReceived,
] as const satisfies readonly EventContract[];

export type FlowDetailType = (typeof FLOW_EVENTS)[number]["detailType"];

export const contractFor = (detailType: string): EventContract | undefined =>
  CATALOG.find((contract) => contract.detailType === detailType);
