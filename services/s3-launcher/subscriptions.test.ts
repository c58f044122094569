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
});
