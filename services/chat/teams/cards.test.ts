import { describe, expect, it } from "vitest";
import { ExtensionDecided, RELEASED_BEFORE_DECIDED } from "../../../events/lease-events.ts";
import { ProvisioningFailed } from "../../../events/provisioning-failed.ts";
import { RequestApproved } from "../../../events/request-approved.ts";
import { RequestCancelled } from "../../../events/request-cancelled.ts";
import { RequestExpired } from "../../../events/request-expired.ts";
import { RequestRejected } from "../../../events/request-rejected.ts";
import { ResourceProvisioned } from "../../../events/resource-provisioned.ts";
import { sampleRequest } from "../../../test/support/fixtures.ts";
import { DATABASE_SECRET_ARN, databaseProvisioned } from "../../shared/testing/provisioned.ts";
import { type AdaptiveCard, type TeamsEvent, teamsCardOf } from "./cards.ts";
import { deliveredToTeams, EXTENSION, stageStarted } from "./testing/events.ts";

const SETTINGS = { publicUrl: "https://approvals.example.com" };

const request = sampleRequest({ requestId: "teams-1" });

const cardOf = (event: TeamsEvent): AdaptiveCard => {
  const message = teamsCardOf(event, SETTINGS);
  if (!message) throw new Error("expected a card");
  return message.attachments[0].content;
};

/** Markdown text as Teams shows it, its backslash escapes undone. */
const shown = (markdown: string): string => markdown.replace(/\\(.)/g, "$1");

/** The card's text blocks as shown, in order: its status, its title, its lead. */
const textsOf = (card: AdaptiveCard): string[] =>
  card.body.flatMap((element) => (element.type === "TextBlock" ? [shown(element.text)] : []));

const factsOf = (card: AdaptiveCard): Record<string, string> =>
  Object.fromEntries(
    card.body.flatMap((element) =>
      element.type === "FactSet" ? element.facts.map(({ title, value }) => [shown(title), shown(value)]) : [],
    ),
  );

const linksOf = (card: AdaptiveCard) => card.actions.map(({ title, url }) => ({ title, url }));

describe("the Teams channel's cards", () => {
  it("is an Adaptive Card 1.5 attached to a message, as a Teams workflow's webhook takes it", () => {
    const message = teamsCardOf(stageStarted(request), SETTINGS);

    expect(message).toMatchObject({
      type: "message",
      attachments: [
        {
          contentType: "application/vnd.microsoft.card.adaptive",
          contentUrl: null,
          content: {
            $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
            type: "AdaptiveCard",
            version: "1.5",
          },
        },
      ],
    });
  });

  it("announces a request waiting for approval: what, for whom, the stage, who is asked and by when", () => {
    const card = cardOf(stageStarted(request));

    expect(textsOf(card)).toEqual([
      "Awaiting approval",
      "Approval needed: request teams-1",
      expect.stringMatching(/^Ana <ana@example.com> asks for .*t3\.micro.* for 7 days after it is ready/),
    ]);
    expect(factsOf(card)).toMatchObject({
      Stage: "Stage 1 of 2: team leads — 2 approvals needed",
      Asked: "bob@example.com, cy@example.com (on behalf of dee@example.com)",
      "Decide before": "Tue, 1 Jan 2030, 11:00 UTC",
      "Request id": "teams-1",
      Justification: "Nightly builds",
    });
  });

  it("links the waiting request to its page and to the Approvals page of the portal, never to a decision", () => {
    const card = cardOf(stageStarted(request));

    expect(linksOf(card)).toEqual([
      { title: "Open request", url: "https://approvals.example.com/requests/teams-1" },
      { title: "Open Approvals", url: "https://approvals.example.com/approvals" },
    ]);
    expect(JSON.stringify(card)).not.toMatch(/token=|\/decide/);
  });

  it("says what an extension round asks: the lease's end now, the end asked for, and why", () => {
    const card = cardOf(stageStarted(request, { extension: EXTENSION }));

    expect(textsOf(card).slice(1)).toEqual([
      "Extension approval needed: request teams-1",
      expect.stringContaining("asks to extend the lease of"),
    ]);
    expect(factsOf(card)).toMatchObject({
      "Lease ends now": "Tue, 8 Jan 2030, 10:00 UTC",
      "Extend until": "Tue, 15 Jan 2030, 10:00 UTC",
      "Why extend": "The migration runs another week",
    });
  });

  it.each([
    [
      "approved by people",
      deliveredToTeams(RequestApproved, {
        requestId: "teams-1",
        request,
        approver: "cy@example.com",
        approvals: [
          { stage: 0, approver: "bob@example.com", decidedAt: "2030-01-01T10:10:00.000Z" },
          { stage: 1, approver: "cy@example.com", decidedAt: "2030-01-01T10:20:00.000Z" },
        ],
        decidedAt: "2030-01-01T10:20:00.000Z",
      }),
      {
        status: "Approved",
        title: "Request teams-1 was approved",
        lead: /was approved by bob@example.com and cy@example.com\.$/,
        facts: { Decided: "Tue, 1 Jan 2030, 10:20 UTC" },
      },
    ],
    [
      "auto-approved by a policy",
      deliveredToTeams(RequestApproved, {
        requestId: "teams-1",
        request,
        approver: "policy:small-dev-boxes",
        reason: "small burstable instance",
        decidedAt: "2030-01-01T10:00:01.000Z",
      }),
      {
        status: "Approved",
        title: "Request teams-1 was approved",
        lead: /was auto-approved by policy small-dev-boxes: small burstable instance\.$/,
        facts: {},
      },
    ],
    [
      "rejected with a reason",
      deliveredToTeams(RequestRejected, {
        requestId: "teams-1",
        request,
        approver: "bob@example.com",
        reason: "Use the shared build farm",
        decidedAt: "2030-01-01T10:10:00.000Z",
      }),
      {
        status: "Rejected",
        title: "Request teams-1 was rejected",
        lead: /was rejected by bob@example.com\.$/,
        facts: { Reason: "Use the shared build farm" },
      },
    ],
    [
      "expired",
      deliveredToTeams(RequestExpired, {
        requestId: "teams-1",
        request,
        expiresAt: "2030-01-01T11:00:00.000Z",
        expiredAt: "2030-01-01T11:00:05.000Z",
      }),
      {
        status: "Expired",
        title: "Request teams-1 expired",
        lead: /expired before enough approvers decided\.$/,
        facts: {},
      },
    ],
    [
      "withdrawn",
      deliveredToTeams(RequestCancelled, {
        requestId: "teams-1",
        request,
        cancelledBy: "ana@example.com",
        reason: "Not needed after all",
        cancelledAt: "2030-01-01T10:30:00.000Z",
      }),
      {
        status: "Withdrawn",
        title: "Request teams-1 was withdrawn",
        lead: /was withdrawn by its requester, ana@example.com \(Not needed after all\)\.$/,
        facts: { Withdrawn: "Tue, 1 Jan 2030, 10:30 UTC" },
      },
    ],
    [
      "an extension refused",
      deliveredToTeams(ExtensionDecided, {
        requestId: "teams-1",
        request,
        extension: EXTENSION,
        approved: false,
        decider: "bob@example.com",
        reason: "A week is too long",
        decidedAt: "2030-01-06T09:00:00.000Z",
      }),
      {
        status: "Extension refused",
        title: "The extension of request teams-1 was rejected",
        lead: /^The extension of the lease of request teams-1 .* to Tue, 15 Jan 2030, 10:00 UTC was rejected by bob@example.com\.$/,
        facts: { Reason: "A week is too long", "Extend until": "Tue, 15 Jan 2030, 10:00 UTC" },
      },
    ],
    [
      "an extension closed by the release",
      deliveredToTeams(ExtensionDecided, {
        requestId: "teams-1",
        request,
        extension: EXTENSION,
        approved: false,
        reason: RELEASED_BEFORE_DECIDED,
        decidedAt: "2030-01-06T09:00:00.000Z",
      }),
      {
        status: "Extension closed",
        title: "The extension of request teams-1 is no longer needed",
        lead: /was closed: the resource was released before the extension was decided\.$/,
        facts: {},
      },
    ],
  ])("tells the channel how the approval ended: %s", (_, event, { status, title, lead, facts }) => {
    const card = cardOf(event);

    const [statusText, titleText, leadText] = textsOf(card);
    expect({ statusText, titleText }).toEqual({ statusText: status, titleText: title });
    expect(leadText).toMatch(lead);
    expect(factsOf(card)).toMatchObject({ ...facts, "Request id": "teams-1" });
    expect(linksOf(card)).toEqual([
      { title: "Open request", url: "https://approvals.example.com/requests/teams-1" },
    ]);
  });

  it("tells the channel what the provisioning made, and none of what only its requester may read", () => {
    const card = cardOf(deliveredToTeams(ResourceProvisioned, databaseProvisioned("db-1")));

    expect(textsOf(card).slice(0, 2)).toEqual([
      "Available",
      "Request db-1: database orders-db-1 is available",
    ]);
    expect(factsOf(card)).toMatchObject({
      "DB instance": "orders-db-1",
      Provisioned: "Tue, 1 Jan 2030, 10:05 UTC",
      "Request id": "db-1",
    });
    const text = JSON.stringify(card);
    for (const secret of [DATABASE_SECRET_ARN, "rds.amazonaws.com", "psql", "get-secret-value"]) {
      expect(text).not.toContain(secret);
    }
    expect(linksOf(card)).toEqual([
      { title: "Open request", url: "https://approvals.example.com/requests/db-1" },
    ]);
  });

  it("tells why the provisioning failed", () => {
    const card = cardOf(
      deliveredToTeams(ProvisioningFailed, {
        requestId: "teams-1",
        request,
        errorCode: "InsufficientInstanceCapacity",
        reason: "No t3.micro capacity in the subnet's zone",
        failedAt: "2030-01-01T10:06:00.000Z",
      }),
    );

    expect(textsOf(card)[1]).toBe("Request teams-1: the instance could not be launched");
    expect(factsOf(card)).toMatchObject({
      Reason: "No t3.micro capacity in the subnet's zone",
      "Error code": "InsufficientInstanceCapacity",
    });
  });

  it("tells the channel an instance is running without its private IP", () => {
    const card = cardOf(
      deliveredToTeams(ResourceProvisioned, {
        requestId: "teams-1",
        request,
        instanceId: "i-0123456789abcdef0",
        privateIp: "10.0.3.17",
        provisionedAt: "2030-01-01T10:05:00.000Z",
      }),
    );

    expect(factsOf(card)).toMatchObject({ "Instance ID": "i-0123456789abcdef0" });
    expect(JSON.stringify(card)).not.toContain("10.0.3.17");
  });

  it("shows what people typed as typed: no link, no bold, no list from Markdown in it", () => {
    const typed = "[Approve](https://evil.example) **now**\n- _all_ of it\n1. then #more > ~that~ `x`";
    const card = cardOf(stageStarted(sampleRequest({ requestId: "req_3f9a", justification: typed })));

    const justification = card.body
      .flatMap((element) => (element.type === "FactSet" ? element.facts : []))
      .find(({ title }) => title === "Justification")?.value;
    expect(justification).toBe(
      "\\[Approve\\]\\(https://evil.example\\) \\*\\*now\\*\\*\n\\- \\_all\\_ of it\n1\\. then \\#more \\> \\~that\\~ \\`x\\`",
    );
    expect(shown(justification ?? "")).toBe(typed);
    expect(textsOf(card)[1]).toBe("Approval needed: request req_3f9a");
    expect(card.body[1]).toMatchObject({ text: "Approval needed: request req_3f9a" });
  });
});
