import { describe, expect, it } from "vitest";
import { APPROVALS_BUS } from "../../events/contract.ts";
import { matchesEventPattern } from "../../lib/event-pattern/index.ts";
import type { EventSubscription } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";

const [onRequested] = subscriptions as EventSubscription[];

describe("intake subscriptions", () => {
  it.each(["approvals.intake", "ci.pipeline", "ticketing.example"])(
    "validates a ResourceRequested published under %s: outside systems ask under their own source",
    (source) => {
      expect(onRequested?.eventBusName).toBe(APPROVALS_BUS);
      expect(
        matchesEventPattern(onRequested?.pattern ?? {}, { source, "detail-type": "ResourceRequested" }),
      ).toBe(true);
    },
  );

  it("takes no other event, whoever publishes it", () => {
    expect(
      matchesEventPattern(onRequested?.pattern ?? {}, {
        source: "approvals.intake",
        "detail-type": "RequestAccepted",
      }),
    ).toBe(false);
  });
});
