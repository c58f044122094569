import { describe, expect, it } from "vitest";
import { APPROVALS_BUS } from "../../events/contract.ts";
import { matchesEventPattern } from "../../lib/event-pattern/index.ts";
import type { EventSubscription } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";

const [onStageStarted, onClosed, onReminded, onEscalated] = subscriptions as EventSubscription[];

const event = (source: string, detailType: string) => ({ source, "detail-type": detailType, detail: {} });

describe("approval-mail subscriptions", () => {
  it("mails the approvers of stages decision starts, from the approvals bus", () => {
    expect(onStageStarted?.eventBusName).toBe(APPROVALS_BUS);
    expect(
      matchesEventPattern(onStageStarted?.pattern ?? {}, event("approvals.decision", "ApprovalStageStarted")),
    ).toBe(true);
  });

  it.each(["ci.pipeline", "approvals.intake", "approvals.approval-mail"])(
    "asks no approver for an ApprovalStageStarted published under %s",
    (source) => {
      expect(matchesEventPattern(onStageStarted?.pattern ?? {}, event(source, "ApprovalStageStarted"))).toBe(
        false,
      );
    },
  );

  it("no longer mails on RequestAccepted: decision starts the stages", () => {
    expect(
      matchesEventPattern(onStageStarted?.pattern ?? {}, event("approvals.intake", "RequestAccepted")),
    ).toBe(false);
  });

  it.each(["RequestApproved", "RequestRejected", "RequestExpired", "RequestCancelled", "ExtensionDecided"])(
    "tells the approvers still asked of a %s from decision",
    (detailType) => {
      expect(onClosed?.eventBusName).toBe(APPROVALS_BUS);
      expect(matchesEventPattern(onClosed?.pattern ?? {}, event("approvals.decision", detailType))).toBe(
        true,
      );
    },
  );

  it.each(["ci.pipeline", "approvals.audit"])("ignores an outcome published under %s", (source) => {
    expect(matchesEventPattern(onClosed?.pattern ?? {}, event(source, "RequestApproved"))).toBe(false);
  });

  it.each([
    ["reminds", () => onReminded, "ApproversReminded"],
    ["asks the escalation approvers", () => onEscalated, "ApprovalEscalated"],
  ] as const)("%s only on decision's word", (_, subscription, detailType) => {
    const pattern = subscription()?.pattern ?? {};
    expect(matchesEventPattern(pattern, event("approvals.decision", detailType))).toBe(true);
    expect(matchesEventPattern(pattern, event("approvals.approval-mail", detailType))).toBe(false);
  });
});
