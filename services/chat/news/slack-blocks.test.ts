import type { KnownBlock } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import { ResourceProvisioned } from "../../../events/resource-provisioned.ts";
import { delivered } from "../../notifier/testing/delivered.ts";
import { leaseExpiring, releaseFailed } from "../../notifier/testing/lease-news.ts";
import {
  type NewsMessage,
  operatorNewsOf,
  requesterNewsOf,
  tellsOperators,
} from "../../shared/request-news.ts";
import {
  DATABASE_SECRET_ARN,
  databaseProvisioned,
  instanceProvisioned,
} from "../../shared/testing/provisioned.ts";
import { operatorSlackMessage, requesterSlackMessage } from "./slack-blocks.ts";

const SETTINGS = { publicUrl: "https://approvals.example.com" };

const newsOf = (event: Parameters<typeof requesterNewsOf>[0]): NewsMessage => {
  const news = requesterNewsOf(event, SETTINGS);
  if (!news) throw new Error("expected news of the event");
  return news;
};

const instanceRunning = () => newsOf(delivered(ResourceProvisioned, instanceProvisioned("slack-1")));

/** Every text a reader sees in the blocks, in order. */
const textsOf = (blocks: KnownBlock[]): string[] =>
  blocks.flatMap((block) => {
    switch (block.type) {
      case "header":
        return [block.text.text];
      case "section":
        return [...(block.text ? [block.text.text] : []), ...(block.fields ?? []).map(({ text }) => text)];
      case "context":
        return block.elements.flatMap((element) => ("text" in element ? [element.text] : []));
      default:
        return [];
    }
  });

/** The fact fields, each label (bold mrkdwn) to the value beside it (plain text). */
const factsOf = (blocks: KnownBlock[]): Record<string, { type: string; text: string }> => {
  const fields = blocks.flatMap((block) => (block.type === "section" ? (block.fields ?? []) : []));
  return Object.fromEntries(
    fields.flatMap((label, index) =>
      index % 2 === 0
        ? [[label.text.replace(/^\*(.*)\*$/, "$1"), fields[index + 1] as { type: string; text: string }]]
        : [],
    ),
  );
};

const buttonsOf = (blocks: KnownBlock[]) =>
  blocks.flatMap((block) => (block.type === "actions" ? block.elements : []));

describe("the requester's news as a Slack message", () => {
  it("heads the message with the news, its status and lead, and lists the facts as fields", () => {
    const { text, blocks } = requesterSlackMessage(instanceRunning());

    expect(text).toBe("Request slack-1: instance i-0123456789abcdef0 is running");
    expect(blocks[0]).toEqual({
      type: "header",
      text: { type: "plain_text", text: "Your instance is running", emoji: true },
    });
    const texts = textsOf(blocks);
    expect(texts).toContain(":white_check_mark: *Running*");
    expect(texts).toContain("The instance you asked for in request slack-1 is up and running.");
    expect(factsOf(blocks)).toMatchObject({
      "Instance ID": { type: "plain_text", text: "i-0123456789abcdef0" },
      "Private IP": { type: "plain_text", text: "10.0.1.25" },
    });
    expect(texts.at(-1)).toBe("Request slack-1. You get this message because you asked for this resource.");
    expect(buttonsOf(blocks)).toEqual([]);
  });

  it("shows what people typed as plain text, which Slack formats and links nothing in", () => {
    const typed = "*urgent* _now_ ~not~ `x` <https://evil.example|Approve> https://evil.example #general";
    const news = {
      ...instanceRunning(),
      lead: `Rejected: ${typed}`,
      facts: [{ label: "Requester", value: `Ana <ana@example.com> ${typed}` }],
    };

    const { blocks } = requesterSlackMessage(news);

    expect(blocks).toContainEqual({
      type: "section",
      text: { type: "plain_text", text: `Rejected: ${typed}`, emoji: false },
    });
    expect(factsOf(blocks).Requester).toEqual({
      type: "plain_text",
      text: `Ana <ana@example.com> ${typed}`,
      emoji: false,
    });
    const mrkdwn = blocks.flatMap((block) => {
      const texts =
        block.type === "context"
          ? block.elements
          : block.type === "section"
            ? [block.text, ...(block.fields ?? [])]
            : [];
      return texts.filter((text) => text?.type === "mrkdwn");
    });
    expect(mrkdwn.length).toBeGreaterThan(0);
    for (const text of mrkdwn) expect(text).toMatchObject({ verbatim: true });
    expect(mrkdwn.map((text) => text?.text).join("\n")).not.toMatch(/evil|urgent/);
  });

  it("keeps within Slack's ten fields a section however many facts there are", () => {
    const news = {
      ...instanceRunning(),
      facts: Array.from({ length: 23 }, (_, i) => ({ label: `Fact ${i}`, value: `${i}` })),
    };

    const { blocks } = requesterSlackMessage(news);

    const fieldCounts = blocks.flatMap((block) =>
      block.type === "section" && block.fields ? [block.fields.length] : [],
    );
    // Each fact is two fields: its label and its value.
    expect(fieldCounts).toEqual([10, 10, 10, 10, 6]);
  });

  it("cuts a value too long for a field", () => {
    const news = {
      ...instanceRunning(),
      facts: [{ label: "Justification", value: "x".repeat(2100) }],
    };

    const { blocks } = requesterSlackMessage(news);

    const field = factsOf(blocks).Justification?.text ?? "";
    expect(field).toHaveLength(2000);
    expect(field).toMatch(/x…$/);
  });

  it("offers the lease's actions as link buttons to the portal, with their note", () => {
    const { blocks } = requesterSlackMessage(newsOf(leaseExpiring("expiring-1")));

    expect(buttonsOf(blocks)).toEqual([
      expect.objectContaining({
        type: "button",
        text: { type: "plain_text", text: expect.stringMatching(/extend/i) },
        url: "https://approvals.example.com/requests/expiring-1?action=extend",
      }),
      expect.objectContaining({
        type: "button",
        url: "https://approvals.example.com/requests/expiring-1?action=release",
      }),
    ]);
    const actionIds = buttonsOf(blocks).map((button) =>
      "action_id" in button ? button.action_id : undefined,
    );
    expect(new Set(actionIds).size).toBe(actionIds.length);
  });

  it("tells where a database's credentials are without ever holding a password", () => {
    const { text, blocks } = requesterSlackMessage(
      newsOf(delivered(ResourceProvisioned, databaseProvisioned("db-1"))),
    );

    const all = [text, ...textsOf(blocks)].join("\n");
    expect(all).toContain(DATABASE_SECRET_ARN);
    expect(all).not.toMatch(/password\s*[:=]/i);
  });
});

describe("an operator's Slack message of a failed release", () => {
  it("says what was not released and why the operator gets it", () => {
    const event = releaseFailed("release-1");
    if (!tellsOperators(event)) throw new Error("expected an event the operators are told of");

    const { text, blocks } = operatorSlackMessage(operatorNewsOf(event));

    expect(text).toBe("Release failed: instance i-0123456789abcdef0 of request release-1");
    expect(textsOf(blocks).at(-1)).toBe(
      "Request release-1. You get this message because you are an operator of the resource approvals.",
    );
    expect(textsOf(blocks)).toContain(":x: *Release failed*");
  });
});
