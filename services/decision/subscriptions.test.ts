import { describe, expect, it } from "vitest";
import { APPROVALS_BUS } from "../../events/contract.ts";
import { matchesEventPattern } from "../../lib/event-pattern/index.ts";
import type { EventSubscription } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";

const onEvent = (name: string) =>
  subscriptions.find(
    (subscription): subscription is EventSubscription =>
      subscription.kind === "event" && subscription.name === name,
  );

const onRequested = onEvent("decision-on-approval-requested");
const onAccepted = onEvent("decision-on-request-accepted");
const onRelease = onEvent("decision-on-release-requested");

const event = (detailType: string, source: string) => ({ source, "detail-type": detailType, detail: {} });

describe("decision subscriptions", () => {
  it("applies the approval policies to the requests intake accepted, from the approvals bus", () => {
    expect(onAccepted?.eventBusName).toBe(APPROVALS_BUS);
    expect(matchesEventPattern(onAccepted?.pattern ?? {}, event("RequestAccepted", "approvals.intake"))).toBe(
      true,
    );
    expect(matchesEventPattern(onAccepted?.pattern ?? {}, event("RequestAccepted", "ci.pipeline"))).toBe(
      false,
    );
  });

  it("records the links approval-mail sends, from the approvals bus", () => {
    expect(onRequested?.eventBusName).toBe(APPROVALS_BUS);
    expect(
      matchesEventPattern(onRequested?.pattern ?? {}, event("ApprovalRequested", "approvals.approval-mail")),
    ).toBe(true);
  });

  it.each(["ci.pipeline", "approvals.intake", "approvals.decision"])(
    "grants no link from an ApprovalRequested published under %s",
    (source) => {
      expect(matchesEventPattern(onRequested?.pattern ?? {}, event("ApprovalRequested", source))).toBe(false);
    },
  );

  it("closes pending extension rounds on the releases the lease service asks for, and on no one else's", () => {
    expect(onRelease?.eventBusName).toBe(APPROVALS_BUS);
    expect(matchesEventPattern(onRelease?.pattern ?? {}, event("ReleaseRequested", "approvals.lease"))).toBe(
      true,
    );
    expect(matchesEventPattern(onRelease?.pattern ?? {}, event("ReleaseRequested", "ci.pipeline"))).toBe(
      false,
    );
  });
});
