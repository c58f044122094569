import { describe, expect, it } from "vitest";
import { matchesEventPattern, validateEventPattern } from "../lib/event-pattern/index.ts";
import { ApprovalRequested } from "./approval-requested.ts";
import { producedBy } from "./patterns.ts";
import { RequestAccepted } from "./request-accepted.ts";
import { RequestApproved } from "./request-approved.ts";
import { RequestExpired } from "./request-expired.ts";
import { RequestRejected } from "./request-rejected.ts";
import { ResourceProvisioned } from "./resource-provisioned.ts";
import { ResourceRequested } from "./resource-requested.ts";

const eventOf = (source: string, detailType: string) => ({ source, "detail-type": detailType, detail: {} });

describe("producedBy", () => {
  it("writes contracts of one producer as a plain source and detail-type pattern", () => {
    expect(producedBy(RequestApproved, RequestExpired)).toEqual({
      source: ["approvals.decision"],
      "detail-type": ["RequestApproved", "RequestExpired"],
    });
  });

  it("gives each producer its own alternative: RequestRejected under decision's and approval-mail's sources, ResourceProvisioned under each launcher's", () => {
    const pattern = producedBy(RequestRejected, ResourceProvisioned);

    expect(pattern).toEqual({
      $or: [
        { source: ["approvals.decision"], "detail-type": ["RequestRejected"] },
        { source: ["approvals.approval-mail"], "detail-type": ["RequestRejected"] },
        { source: ["approvals.ec2-launcher"], "detail-type": ["ResourceProvisioned"] },
        { source: ["approvals.rds-launcher"], "detail-type": ["ResourceProvisioned"] },
        { source: ["approvals.s3-launcher"], "detail-type": ["ResourceProvisioned"] },
      ],
    });
    expect(validateEventPattern(pattern)).toEqual(pattern);
  });

  it("matches each event only from its producers", () => {
    const pattern = producedBy(RequestRejected, ResourceProvisioned);

    expect(matchesEventPattern(pattern, eventOf(RequestRejected.source, "RequestRejected"))).toBe(true);
    expect(matchesEventPattern(pattern, eventOf(ApprovalRequested.source, "RequestRejected"))).toBe(true);
    expect(matchesEventPattern(pattern, eventOf(ResourceProvisioned.source, "ResourceProvisioned"))).toBe(
      true,
    );
    expect(matchesEventPattern(pattern, eventOf("ci.pipeline", "RequestRejected"))).toBe(false);
    expect(matchesEventPattern(pattern, eventOf(RequestRejected.source, "ResourceProvisioned"))).toBe(false);
    expect(matchesEventPattern(pattern, eventOf(ApprovalRequested.source, "ResourceProvisioned"))).toBe(
      false,
    );
  });

  it("matches the public contract, ResourceRequested, by detail-type alone, beside the others' sources", () => {
    const pattern = producedBy(ResourceRequested, RequestAccepted);

    expect(pattern).toEqual({
      $or: [
        { "detail-type": ["ResourceRequested"] },
        { source: ["approvals.intake"], "detail-type": ["RequestAccepted"] },
      ],
    });
    expect(matchesEventPattern(pattern, eventOf("ci.pipeline", "ResourceRequested"))).toBe(true);
    expect(matchesEventPattern(pattern, eventOf("ci.pipeline", "RequestAccepted"))).toBe(false);
    expect(producedBy(ResourceRequested)).toEqual({ "detail-type": ["ResourceRequested"] });
  });
});
