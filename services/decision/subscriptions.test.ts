import { describe, expect, it } from "vitest";
import { APPROVALS_BUS } from "../../events/contract.ts";
import { matchesEventPattern } from "../../lib/event-pattern/index.ts";
import type { EventSubscription } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";

const onRequested = subscriptions.find(
  (subscription): subscription is EventSubscription => subscription.kind === "event",
);

const requested = (source: string) => ({ source, "detail-type": "ApprovalRequested", detail: {} });

describe("decision subscriptions", () => {
  it("records the approvals approval-mail asks for, from the approvals bus", () => {
    expect(onRequested?.eventBusName).toBe(APPROVALS_BUS);
    expect(matchesEventPattern(onRequested?.pattern ?? {}, requested("approvals.approval-mail"))).toBe(true);
  });

  it.each(["ci.pipeline", "approvals.intake", "approvals.decision"])(
    "grants no link from an ApprovalRequested published under %s",
    (source) => {
      expect(matchesEventPattern(onRequested?.pattern ?? {}, requested(source))).toBe(false);
    },
  );
});
