import { describe, expect, it } from "vitest";
import { APPROVALS_BUS } from "../../events/contract.ts";
import { matchesEventPattern } from "../../infra/local/eventbridge/pattern.ts";
import type { EventSubscription } from "../subscription.ts";
import { subscriptions } from "./subscriptions.ts";

const [onNews] = subscriptions as EventSubscription[];

describe("notifier subscriptions", () => {
  it.each([
    ["approvals.intake", "RequestInvalid"],
    ["approvals.decision", "RequestRejected"],
    ["approvals.approval-mail", "RequestRejected"],
    ["approvals.decision", "RequestExpired"],
    ["approvals.ec2-launcher", "ResourceProvisioned"],
    ["approvals.ec2-launcher", "ProvisioningFailed"],
  ])("takes %s's %s from the approvals bus", (source, detailType) => {
    expect(onNews?.eventBusName).toBe(APPROVALS_BUS);
    expect(
      matchesEventPattern(onNews?.pattern ?? {}, { source, "detail-type": detailType, detail: {} }),
    ).toBe(true);
  });

  it.each(["RequestAccepted", "RequestApproved", "ProvisioningStarted", "RequesterNotified"])(
    "leaves %s alone: the requester is not emailed about it",
    (detailType) => {
      expect(
        matchesEventPattern(onNews?.pattern ?? {}, { source: "approvals.x", "detail-type": detailType }),
      ).toBe(false);
    },
  );
});
