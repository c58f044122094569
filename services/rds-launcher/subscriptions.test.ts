import { describe, expect, it } from "vitest";
import { APPROVALS_BUS, DEFAULT_BUS } from "../../events/contract.ts";
import { matchesEventPattern } from "../../lib/event-pattern/index.ts";
import { approvalEventOf, subscriptionNamed } from "../../test/support/launchers.ts";
import { subscriptions } from "./subscriptions.ts";

const subscription = (name: string) => subscriptionNamed(subscriptions, "event", name);

const rdsEvent = (categories: string[], sourceType = "DB_INSTANCE") => ({
  source: "aws.rds",
  "detail-type": "RDS DB Instance Event",
  detail: { EventCategories: categories, SourceType: sourceType, SourceIdentifier: "orders-0a1b2c3d" },
});

describe("rds-launcher subscriptions", () => {
  it("takes approvals of RDS requests from the approvals bus, leaving other resource types to their launchers", () => {
    const onApproved = subscription("rds-launcher-on-request-approved");

    expect(onApproved.eventBusName).toBe(APPROVALS_BUS);
    expect(matchesEventPattern(onApproved.pattern, approvalEventOf("rds"))).toBe(true);
    expect(matchesEventPattern(onApproved.pattern, approvalEventOf("ec2"))).toBe(false);
    expect(matchesEventPattern(onApproved.pattern, approvalEventOf("s3"))).toBe(false);
  });

  it.each(["ci.pipeline", "approvals.approval-mail", "approvals.ec2-launcher"])(
    "creates nothing for an approval published under %s: only the decision service approves",
    (source) => {
      expect(
        matchesEventPattern(
          subscription("rds-launcher-on-request-approved").pattern,
          approvalEventOf("rds", source),
        ),
      ).toBe(false);
    },
  );

  it("takes the DB instance events that can settle a creation from the default bus, where RDS publishes them", () => {
    const onEvent = subscription("rds-launcher-on-db-instance-event");

    expect(onEvent.eventBusName).toBe(DEFAULT_BUS);
    expect(
      [
        "creation",
        "failure",
        "deletion",
        "availability",
        "backup",
        "configuration change",
        "notification",
      ].filter((category) => matchesEventPattern(onEvent.pattern, rdsEvent([category]))),
    ).toEqual(["creation", "failure", "deletion"]);
    expect(matchesEventPattern(onEvent.pattern, rdsEvent(["creation"], "SNAPSHOT"))).toBe(false);
  });

  it("checks on unsettled creations on a schedule, so a lost event cannot leave a request provisioning", () => {
    const sweeper = subscriptionNamed(subscriptions, "schedule", "rds-launcher-creation-sweeper");

    expect(sweeper.schedule).toBe("rate(5 minutes)");
  });

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
    "tags on %s of a rds lease from the lease service only",
    (detailType) => {
      const onLease = subscriptionNamed(subscriptions, "event", "rds-launcher-on-lease-changed");

      expect(onLease.eventBusName).toBe(APPROVALS_BUS);
      expect(matchesEventPattern(onLease.pattern, leaseEventOf(detailType, "rds"))).toBe(true);
      expect(matchesEventPattern(onLease.pattern, leaseEventOf(detailType, "s3"))).toBe(false);
      expect(matchesEventPattern(onLease.pattern, leaseEventOf(detailType, "rds", "ci.pipeline"))).toBe(
        false,
      );
    },
  );

  it("releases on ReleaseRequested of a rds resource from the lease service only", () => {
    const onRelease = subscriptionNamed(subscriptions, "event", "rds-launcher-on-release-requested");

    expect(matchesEventPattern(onRelease.pattern, leaseEventOf("ReleaseRequested", "rds"))).toBe(true);
    expect(matchesEventPattern(onRelease.pattern, leaseEventOf("ReleaseRequested", "ec2"))).toBe(false);
    expect(
      matchesEventPattern(onRelease.pattern, leaseEventOf("ReleaseRequested", "rds", "approvals.decision")),
    ).toBe(false);
  });

  it("checks its own releases only: its own source, its own resource type", () => {
    const onCheck = subscriptionNamed(subscriptions, "event", "rds-launcher-on-release-check");

    expect(matchesEventPattern(onCheck.pattern, checkEventOf("rds", "approvals.rds-launcher"))).toBe(true);
    expect(matchesEventPattern(onCheck.pattern, checkEventOf("rds", "approvals.ec2-launcher"))).toBe(false);
    expect(matchesEventPattern(onCheck.pattern, checkEventOf("ec2", "approvals.rds-launcher"))).toBe(false);
  });
});
