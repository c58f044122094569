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
});
