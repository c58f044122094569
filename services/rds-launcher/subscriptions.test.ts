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
});
