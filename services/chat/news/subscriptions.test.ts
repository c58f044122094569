import { describe, expect, it } from "vitest";
import { APPROVALS_BUS } from "../../../events/contract.ts";
import { matchesEventPattern } from "../../../lib/event-pattern/index.ts";
import type { EventSubscription } from "../../shared/manifest.ts";
import { newsSubscriptions } from "./subscriptions.ts";

const byName = (name: string): EventSubscription => {
  const subscription = (newsSubscriptions as EventSubscription[]).find(
    (candidate) => candidate.name === name,
  );
  if (!subscription) throw new Error(`No subscription ${name}`);
  return subscription;
};

const takes = ({ pattern }: EventSubscription, source: string, detailType: string) =>
  matchesEventPattern(pattern, { source, "detail-type": detailType, detail: {} });

describe("chat's news subscriptions", () => {
  const slack = byName("chat-slack-on-request-news");
  const teams = byName("chat-teams-cards");

  it("listen on the approvals bus", () => {
    expect([slack.eventBusName, teams.eventBusName]).toEqual([APPROVALS_BUS, APPROVALS_BUS]);
  });

  it.each([
    ["approvals.intake", "RequestInvalid"],
    ["approvals.decision", "RequestApproved"],
    ["approvals.ec2-launcher", "ResourceProvisioned"],
    ["approvals.lease", "LeaseExpiring"],
    ["approvals.s3-launcher", "ReleaseFailed"],
  ])("tells the requester on Slack of %s's %s, as the notifier emails it", (source, detailType) => {
    expect(takes(slack, source, detailType)).toBe(true);
  });

  it.each([
    ["approvals.decision", "ApprovalStageStarted"],
    ["approvals.decision", "RequestApproved"],
    ["approvals.decision", "RequestRejected"],
    ["approvals.approval-mail", "RequestRejected"],
    ["approvals.decision", "RequestExpired"],
    ["approvals.decision", "RequestCancelled"],
    ["approvals.decision", "ExtensionDecided"],
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
