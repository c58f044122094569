import { describe, expect, it } from "vitest";
import { APPROVALS_BUS, DEFAULT_BUS } from "../../events/contract.ts";
import { matchesEventPattern } from "../../lib/event-pattern/index.ts";
import type { EventSubscription } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";

const [onNews, onSesFeedback] = subscriptions as EventSubscription[];

describe("notifier subscriptions", () => {
  it.each([
    ["approvals.intake", "RequestInvalid"],
    ["approvals.decision", "RequestApproved"],
    ["approvals.decision", "RequestRejected"],
    ["approvals.decision", "RequestExpired"],
    ["approvals.decision", "RequestCancelled"],
    ["approvals.ec2-launcher", "ResourceProvisioned"],
    ["approvals.ec2-launcher", "ProvisioningFailed"],
    ["approvals.lease", "LeaseExpiring"],
    ["approvals.lease", "LeaseExtended"],
    ["approvals.decision", "ExtensionDecided"],
    ["approvals.ec2-launcher", "ResourceReleased"],
    ["approvals.rds-launcher", "ResourceReleased"],
    ["approvals.s3-launcher", "ReleaseFailed"],
  ])("takes %s's %s from the approvals bus", (source, detailType) => {
    expect(onNews?.eventBusName).toBe(APPROVALS_BUS);
    expect(
      matchesEventPattern(onNews?.pattern ?? {}, { source, "detail-type": detailType, detail: {} }),
    ).toBe(true);
  });

  it.each([
    ["approvals.intake", "RequestAccepted"],
    ["approvals.ec2-launcher", "ProvisioningStarted"],
    ["approvals.notifier", "RequesterNotified"],
    ["approvals.lease", "LeaseStarted"],
    ["approvals.lease", "ReleaseRequested"],
    ["approvals.lease", "ExtensionRequested"],
  ])("leaves %s's %s alone: the requester is not emailed about it", (source, detailType) => {
    expect(matchesEventPattern(onNews?.pattern ?? {}, { source, "detail-type": detailType })).toBe(false);
  });

  it.each([
    ["ci.pipeline", "RequestRejected"],
    ["ci.pipeline", "RequestApproved"],
    ["ci.pipeline", "ResourceProvisioned"],
    ["ci.pipeline", "RequestInvalid"],
    ["approvals.approval-mail", "RequestExpired"],
    ["approvals.decision", "ProvisioningFailed"],
    ["approvals.decision", "LeaseExpiring"],
    ["approvals.lease", "ResourceReleased"],
    ["ci.pipeline", "ReleaseFailed"],
  ])("ignores %s's %s: nobody but its producers can tell the requester", (source, detailType) => {
    expect(
      matchesEventPattern(onNews?.pattern ?? {}, { source, "detail-type": detailType, detail: {} }),
    ).toBe(false);
  });

  it.each([
    ["aws.ses", "Email Bounced", true],
    ["aws.ses", "Email Complaint Received", true],
    ["aws.ses", "Email Delivered", false],
    ["ci.pipeline", "Email Bounced", false],
  ])("takes %s's %s from the default bus: %s", (source, detailType, taken) => {
    expect(onSesFeedback?.eventBusName).toBe(DEFAULT_BUS);
    expect(
      matchesEventPattern(onSesFeedback?.pattern ?? {}, { source, "detail-type": detailType, detail: {} }),
    ).toBe(taken);
  });
});
