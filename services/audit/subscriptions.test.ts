import { describe, expect, it } from "vitest";
import { APPROVALS_BUS, FLOW_EVENTS, producersOf } from "../../events/index.ts";
import { matchesEventPattern } from "../../lib/event-pattern/index.ts";
import type { EventSubscription } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";

const [onFlowEvent] = subscriptions as EventSubscription[];

const matches = (source: string, detailType: string) =>
  matchesEventPattern(onFlowEvent?.pattern ?? {}, { source, "detail-type": detailType, detail: {} });

describe("audit subscriptions", () => {
  it("records every event of the flow from each of its producers, on the approvals bus", () => {
    expect(onFlowEvent?.eventBusName).toBe(APPROVALS_BUS);
    const missed = FLOW_EVENTS.flatMap((contract) =>
      producersOf(contract)
        .filter((source) => !matches(source, contract.detailType))
        .map((source) => `${source} ${contract.detailType}`),
    );
    expect(missed).toEqual([]);
  });

  it("records a ResourceRequested from an outside system, whatever its source", () => {
    expect(matches("ci.pipeline", "ResourceRequested")).toBe(true);
  });

  it.each([
    ["ci.pipeline", "RequestApproved"],
    ["ci.pipeline", "RequestRejected"],
    ["ci.pipeline", "ResourceProvisioned"],
    ["approvals.approval-mail", "RequestApproved"],
    ["approvals.intake", "ResourceProvisioned"],
  ])("ignores %s's %s: nobody but its producers can rewrite a request's status", (source, detailType) => {
    expect(matches(source, detailType)).toBe(false);
  });
});
