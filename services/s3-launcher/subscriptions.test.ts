import { describe, expect, it } from "vitest";
import { APPROVALS_BUS } from "../../events/contract.ts";
import { matchesEventPattern } from "../../lib/event-pattern/index.ts";
import type { EventSubscription } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";

const onApproved = subscriptions.find(
  (candidate): candidate is EventSubscription => candidate.name === "s3-launcher-on-request-approved",
) as EventSubscription;

const approvalOf = (resourceType: string, source = "approvals.decision") => ({
  source,
  "detail-type": "RequestApproved",
  detail: { requestId: "r-1", request: { resource: { type: resourceType } } },
});

describe("s3-launcher subscriptions", () => {
  it("takes approvals of S3 requests from the approvals bus, leaving other resource types to their launchers", () => {
    expect(onApproved.eventBusName).toBe(APPROVALS_BUS);
    expect(matchesEventPattern(onApproved.pattern, approvalOf("s3"))).toBe(true);
    expect(matchesEventPattern(onApproved.pattern, approvalOf("ec2"))).toBe(false);
    expect(matchesEventPattern(onApproved.pattern, approvalOf("rds"))).toBe(false);
  });

  it.each(["ci.pipeline", "approvals.approval-mail", "approvals.s3-launcher"])(
    "creates nothing for an approval published under %s: only the decision service approves",
    (source) => {
      expect(matchesEventPattern(onApproved.pattern, approvalOf("s3", source))).toBe(false);
    },
  );
});
