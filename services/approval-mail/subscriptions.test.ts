import { describe, expect, it } from "vitest";
import { APPROVALS_BUS } from "../../events/contract.ts";
import { matchesEventPattern } from "../../lib/event-pattern/index.ts";
import type { EventSubscription } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";

const [onAccepted] = subscriptions as EventSubscription[];

const accepted = (source: string) => ({ source, "detail-type": "RequestAccepted", detail: {} });

describe("approval-mail subscriptions", () => {
  it("mails the approvers of requests intake accepted, from the approvals bus", () => {
    expect(onAccepted?.eventBusName).toBe(APPROVALS_BUS);
    expect(matchesEventPattern(onAccepted?.pattern ?? {}, accepted("approvals.intake"))).toBe(true);
  });

  it.each(["ci.pipeline", "approvals.decision"])(
    "asks no approver for a RequestAccepted published under %s",
    (source) => {
      expect(matchesEventPattern(onAccepted?.pattern ?? {}, accepted(source))).toBe(false);
    },
  );
});
