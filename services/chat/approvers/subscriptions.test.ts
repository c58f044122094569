import { describe, expect, it } from "vitest";
import { APPROVALS_BUS } from "../../../events/contract.ts";
import { matchesEventPattern } from "../../../lib/event-pattern/index.ts";
import type { EventSubscription } from "../../shared/manifest.ts";
import { approverSubscriptions } from "./subscriptions.ts";

const [onAsked, onUpdated] = approverSubscriptions as EventSubscription[];

const event = (source: string, detailType: string) => ({ source, "detail-type": detailType, detail: {} });

describe("chat's approver subscriptions", () => {
  it.each(["ApprovalStageStarted", "ApprovalEscalated"])(
    "asks approvers in Slack on decision's %s",
    (detailType) => {
      expect(onAsked?.eventBusName).toBe(APPROVALS_BUS);
      expect(matchesEventPattern(onAsked?.pattern ?? {}, event("approvals.decision", detailType))).toBe(true);
    },
  );

  it("asks nobody on an ApprovalStageStarted from anyone but decision", () => {
    expect(matchesEventPattern(onAsked?.pattern ?? {}, event("ci.pipeline", "ApprovalStageStarted"))).toBe(
      false,
    );
  });

  it.each([
    ["approvals.decision", "ApprovalVoteRecorded"],
    ["approvals.decision", "ApprovalStageCompleted"],
    ["approvals.decision", "RequestApproved"],
    ["approvals.decision", "RequestRejected"],
    ["approvals.approval-mail", "RequestRejected"],
    ["approvals.decision", "RequestExpired"],
    ["approvals.decision", "RequestCancelled"],
    ["approvals.decision", "ExtensionDecided"],
  ])("updates the messages on %s's %s", (source, detailType) => {
    expect(onUpdated?.eventBusName).toBe(APPROVALS_BUS);
    expect(matchesEventPattern(onUpdated?.pattern ?? {}, event(source, detailType))).toBe(true);
  });

  it("leaves the requester's news alone", () => {
    expect(
      matchesEventPattern(onUpdated?.pattern ?? {}, event("approvals.ec2-launcher", "ResourceProvisioned")),
    ).toBe(false);
  });
});
