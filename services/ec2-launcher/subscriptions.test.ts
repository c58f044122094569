import { describe, expect, it } from "vitest";
import { APPROVALS_BUS, DEFAULT_BUS } from "../../events/contract.ts";
import { matchesEventPattern } from "../../lib/event-pattern/index.ts";
import { approvalEventOf, subscriptionNamed } from "../../test/support/launchers.ts";
import { subscriptions } from "./subscriptions.ts";

const subscription = (name: string) => subscriptionNamed(subscriptions, "event", name);

const stateChange = (state: string) => ({
  source: "aws.ec2",
  "detail-type": "EC2 Instance State-change Notification",
  detail: { "instance-id": "i-0123456789abcdef0", state },
});

describe("ec2-launcher subscriptions", () => {
  it("takes approvals of EC2 requests from the approvals bus, leaving other resource types to their launchers", () => {
    const onApproved = subscription("ec2-launcher-on-request-approved");

    expect(onApproved.eventBusName).toBe(APPROVALS_BUS);
    expect(matchesEventPattern(onApproved.pattern, approvalEventOf("ec2"))).toBe(true);
    expect(matchesEventPattern(onApproved.pattern, approvalEventOf("rds"))).toBe(false);
  });

  it.each(["ci.pipeline", "approvals.approval-mail", "approvals.test"])(
    "launches nothing for an approval published under %s: only the decision service approves",
    (source) => {
      const onApproved = subscription("ec2-launcher-on-request-approved");

      expect(matchesEventPattern(onApproved.pattern, approvalEventOf("ec2", source))).toBe(false);
    },
  );

  it("takes the state changes that settle a launch from the default bus, where AWS publishes them", () => {
    const onStateChange = subscription("ec2-launcher-on-instance-state-change");

    expect(onStateChange.eventBusName).toBe(DEFAULT_BUS);
    expect(
      ["pending", "running", "stopping", "stopped", "shutting-down", "terminated"].filter((state) =>
        matchesEventPattern(onStateChange.pattern, stateChange(state)),
      ),
    ).toEqual(["running", "shutting-down", "terminated"]);
  });

  const leaseEvent = (detailType: string, resourceType: string, source = "approvals.lease") => ({
    source,
    "detail-type": detailType,
    detail: { requestId: "r-1", resource: { type: resourceType } },
  });

  it("tags on LeaseStarted and LeaseExtended of instances, from the lease service only", () => {
    const onLease = subscription("ec2-launcher-on-lease-changed");

    expect(onLease.eventBusName).toBe(APPROVALS_BUS);
    expect(matchesEventPattern(onLease.pattern, leaseEvent("LeaseStarted", "ec2"))).toBe(true);
    expect(matchesEventPattern(onLease.pattern, leaseEvent("LeaseExtended", "ec2"))).toBe(true);
    expect(matchesEventPattern(onLease.pattern, leaseEvent("LeaseStarted", "rds"))).toBe(false);
    expect(matchesEventPattern(onLease.pattern, leaseEvent("LeaseExpiring", "ec2"))).toBe(false);
    expect(matchesEventPattern(onLease.pattern, leaseEvent("LeaseStarted", "ec2", "approvals.test"))).toBe(
      false,
    );
  });

  it("releases on ReleaseRequested of instances, from the lease service only", () => {
    const onRelease = subscription("ec2-launcher-on-release-requested");

    expect(onRelease.eventBusName).toBe(APPROVALS_BUS);
    expect(matchesEventPattern(onRelease.pattern, leaseEvent("ReleaseRequested", "ec2"))).toBe(true);
    expect(matchesEventPattern(onRelease.pattern, leaseEvent("ReleaseRequested", "s3"))).toBe(false);
    expect(matchesEventPattern(onRelease.pattern, leaseEvent("ReleaseRequested", "ec2", "ci.pipeline"))).toBe(
      false,
    );
  });

  it("takes its own release checks only: not those the other launchers schedule", () => {
    const onCheck = subscription("ec2-launcher-on-release-check-due");
    const check = (source: string, resourceType: string) => ({
      source,
      "detail-type": "ReleaseCheckDue",
      detail: { requestId: "r-1", resourceType, attempt: 1 },
    });

    expect(onCheck.eventBusName).toBe(APPROVALS_BUS);
    expect(matchesEventPattern(onCheck.pattern, check("approvals.ec2-launcher", "ec2"))).toBe(true);
    expect(matchesEventPattern(onCheck.pattern, check("approvals.rds-launcher", "rds"))).toBe(false);
    expect(matchesEventPattern(onCheck.pattern, check("approvals.rds-launcher", "ec2"))).toBe(false);
    expect(matchesEventPattern(onCheck.pattern, check("approvals.ec2-launcher", "s3"))).toBe(false);
  });
});
