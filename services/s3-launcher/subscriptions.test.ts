import { describe, expect, it } from "vitest";
import { APPROVALS_BUS } from "../../events/contract.ts";
import { matchesEventPattern } from "../../lib/event-pattern/index.ts";
import { approvalEventOf, subscriptionNamed } from "../../test/support/launchers.ts";
import { subscriptions } from "./subscriptions.ts";

const onApproved = subscriptionNamed(subscriptions, "event", "s3-launcher-on-request-approved");

describe("s3-launcher subscriptions", () => {
  it("takes approvals of S3 requests from the approvals bus, leaving other resource types to their launchers", () => {
    expect(onApproved.eventBusName).toBe(APPROVALS_BUS);
    expect(matchesEventPattern(onApproved.pattern, approvalEventOf("s3"))).toBe(true);
    expect(matchesEventPattern(onApproved.pattern, approvalEventOf("ec2"))).toBe(false);
    expect(matchesEventPattern(onApproved.pattern, approvalEventOf("rds"))).toBe(false);
  });

  it.each(["ci.pipeline", "approvals.approval-mail", "approvals.s3-launcher"])(
    "creates nothing for an approval published under %s: only the decision service approves",
    (source) => {
      expect(matchesEventPattern(onApproved.pattern, approvalEventOf("s3", source))).toBe(false);
    },
  );

  /** An event of a lease as the approvals bus carries it, about a resource of this type. */
  const leaseEventOf = (detailType: string, resourceType: string, source = "approvals.lease") => ({
    source,
    "detail-type": detailType,
    detail: { requestId: "r-1", resource: { type: resourceType } },
  });
  /** A check of the reaper as Scheduler puts it on the bus. */
  const checkEventOf = (resourceType: string, source: string) => ({
    source,
    "detail-type": "ReleaseCheckDue",
    detail: { requestId: "r-1", resourceType, attempt: 1 },
  });

  it.each(["LeaseStarted", "LeaseExtended"])(
    "tags on %s of a s3 lease from the lease service only",
    (detailType) => {
      const onLease = subscriptionNamed(subscriptions, "event", "s3-launcher-on-lease-changed");

      expect(onLease.eventBusName).toBe(APPROVALS_BUS);
      expect(matchesEventPattern(onLease.pattern, leaseEventOf(detailType, "s3"))).toBe(true);
      expect(matchesEventPattern(onLease.pattern, leaseEventOf(detailType, "rds"))).toBe(false);
      expect(matchesEventPattern(onLease.pattern, leaseEventOf(detailType, "s3", "ci.pipeline"))).toBe(false);
    },
  );

  it("releases on ReleaseRequested of a s3 resource from the lease service only", () => {
    const onRelease = subscriptionNamed(subscriptions, "event", "s3-launcher-on-release-requested");

    expect(matchesEventPattern(onRelease.pattern, leaseEventOf("ReleaseRequested", "s3"))).toBe(true);
    expect(matchesEventPattern(onRelease.pattern, leaseEventOf("ReleaseRequested", "ec2"))).toBe(false);
    expect(
      matchesEventPattern(onRelease.pattern, leaseEventOf("ReleaseRequested", "s3", "approvals.decision")),
    ).toBe(false);
  });

  it("checks its own releases only: its own source, its own resource type", () => {
    const onCheck = subscriptionNamed(subscriptions, "event", "s3-launcher-on-release-check");

    expect(matchesEventPattern(onCheck.pattern, checkEventOf("s3", "approvals.s3-launcher"))).toBe(true);
    expect(matchesEventPattern(onCheck.pattern, checkEventOf("s3", "approvals.ec2-launcher"))).toBe(false);
    expect(matchesEventPattern(onCheck.pattern, checkEventOf("ec2", "approvals.s3-launcher"))).toBe(false);
  });
});
