import { describe, expect, it } from "vitest";
import { APPROVALS_BUS } from "../../events/contract.ts";
import { matchesEventPattern } from "../../lib/event-pattern/index.ts";
import type { EventSubscription } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";

const byName = (name: string): EventSubscription => {
  const subscription = (subscriptions as EventSubscription[]).find((candidate) => candidate.name === name);
  if (!subscription) throw new Error(`No subscription ${name}`);
  return subscription;
};

const takes = ({ pattern }: EventSubscription, source: string, detailType: string) =>
  matchesEventPattern(pattern, { source, "detail-type": detailType, detail: {} });

/** An event as a rule sees it: who published it, and what it is. */
type Published = [source: string, detailType: string];

/** The ends of an approval, by whoever ends it: each updates the approvers' messages and makes a card. */
const CLOSINGS: Published[] = [
  ["approvals.decision", "RequestApproved"],
  ["approvals.decision", "RequestRejected"],
  ["approvals.approval-mail", "RequestRejected"],
  ["approvals.decision", "RequestExpired"],
  ["approvals.decision", "RequestCancelled"],
  ["approvals.decision", "ExtensionDecided"],
];

describe("chat's subscriptions", () => {
  const ask = byName("chat-slack-ask-approvers");
  const update = byName("chat-slack-update-approver-messages");
  const news = byName("chat-slack-on-request-news");
  const teams = byName("chat-teams-cards");

  it("listen on the approvals bus", () => {
    expect([ask, update, news, teams].map(({ eventBusName }) => eventBusName)).toEqual(
      Array(4).fill(APPROVALS_BUS),
    );
  });

  it.each(["ApprovalStageStarted", "ApprovalEscalated"])(
    "asks approvers in Slack on decision's %s",
    (detailType) => {
      expect(takes(ask, "approvals.decision", detailType)).toBe(true);
    },
  );

  it("asks nobody on an ApprovalStageStarted from anyone but decision", () => {
    expect(takes(ask, "ci.pipeline", "ApprovalStageStarted")).toBe(false);
  });

  it.each<Published>([
    ["approvals.decision", "ApprovalVoteRecorded"],
    ["approvals.decision", "ApprovalStageCompleted"],
    ...CLOSINGS,
  ])("updates the approvers' messages on %s's %s", (source, detailType) => {
    expect(takes(update, source, detailType)).toBe(true);
  });

  it("leaves the requester's news out of the approvers' messages", () => {
    expect(takes(update, "approvals.ec2-launcher", "ResourceProvisioned")).toBe(false);
  });

  it.each([
    ["approvals.intake", "RequestInvalid"],
    ["approvals.decision", "RequestApproved"],
    ["approvals.ec2-launcher", "ResourceProvisioned"],
    ["approvals.lease", "LeaseExpiring"],
    ["approvals.s3-launcher", "ReleaseFailed"],
  ])("tells the requester on Slack of %s's %s, as the notifier emails it", (source, detailType) => {
    expect(takes(news, source, detailType)).toBe(true);
  });

  it.each<Published>([
    ["approvals.decision", "ApprovalStageStarted"],
    ...CLOSINGS,
    ["approvals.ec2-launcher", "ResourceProvisioned"],
    ["approvals.rds-launcher", "ProvisioningFailed"],
  ])("posts a Teams card of %s's %s", (source, detailType) => {
    expect(takes(teams, source, detailType)).toBe(true);
  });

  it.each([
    ["approvals.decision", "ApprovalVoteRecorded"],
    ["approvals.intake", "RequestInvalid"],
    ["approvals.lease", "LeaseExpiring"],
    ["ci.pipeline", "RequestApproved"],
    ["approvals.lease", "ResourceProvisioned"],
  ])("posts no Teams card of %s's %s", (source, detailType) => {
    expect(takes(teams, source, detailType)).toBe(false);
  });
});
