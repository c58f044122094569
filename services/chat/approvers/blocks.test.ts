import type { KnownBlock } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import { sampleRequest } from "../../../test/support/fixtures.ts";
import { decodeButtonValue, SLACK_ACTION_IDS } from "../../shared/slack-approval-actions.ts";
import { escapeMrkdwn } from "../block-kit.ts";
import { type ApprovalMessageInput, approvalMessageOf, digestOf } from "./blocks.ts";

const PUBLIC_URL = "https://approvals.example.com";

const input = (overrides: Partial<ApprovalMessageInput> = {}): ApprovalMessageInput => ({
  approval: {
    requestId: "req-7",
    request: sampleRequest({ requestId: "req-7", justification: "Builds <fast> & cheap" }),
    lease: { duration: "P7D", onEnd: "terminate", max: "P30D" },
  },
  stage: {
    stage: { index: 0, name: "team leads", count: 2 },
    quorum: 2,
    expiresAt: "2026-03-04T10:00:00.000Z",
  },
  message: { stage: 0, recipient: "bob@example.com" },
  status: { open: true, lines: [] },
  publicUrl: PUBLIC_URL,
  ...overrides,
});

/** Every text of the blocks, as a reader sees them in order. */
const textsOf = (blocks: KnownBlock[]): string =>
  blocks
    .flatMap((block) => {
      if (block.type === "header") return [block.text.text];
      if (block.type === "section")
        return [block.text?.text ?? "", ...(block.fields ?? []).map(({ text }) => text)];
      if (block.type === "context")
        return block.elements.map((element) => ("text" in element ? element.text : ""));
      return [];
    })
    .join("\n");

const buttonsOf = (blocks: KnownBlock[]) =>
  blocks.flatMap((block) => (block.type === "actions" ? block.elements : [])) as {
    action_id: string;
    style?: string;
    value: string;
    text: { text: string };
  }[];

describe("the Slack message that asks an approver", () => {
  it("says what is asked, by whom, for how long, in which stage, and by when", () => {
    const { blocks, text } = approvalMessageOf(input());
    const texts = textsOf(blocks);

    expect(text).toContain("Approval needed: EC2 t3.micro (amazon-linux-2023)");
    expect(text).toContain("(request req-7)");
    expect(texts).toContain("Ana <ana@example.com> asks for");
    expect(texts).toContain("for 7 days after it is ready");
    expect(texts).toContain("You are one of its approvers.");
    expect(texts).toContain("*Stage 1 of 2: team leads — 2 approvals needed*");
    expect(texts).toContain("*Request id*\nreq-7");
    expect(texts).toContain("*Justification*\nBuilds <fast> & cheap");
    expect(texts).toContain("Decide before *Wed, 4 Mar 2026, 10:00 UTC*");
  });

  it("links to the request's page and the Approvals page of the portal", () => {
    const texts = textsOf(approvalMessageOf(input()).blocks);

    expect(texts).toContain(`<${PUBLIC_URL}/requests/req-7|Request req-7>`);
    expect(texts).toContain(`<${PUBLIC_URL}/approvals|Approvals page>`);
  });

  it("has Approve (primary) and Reject (danger), each naming the request and stage", () => {
    const buttons = buttonsOf(approvalMessageOf(input()).blocks);

    expect(buttons.map(({ action_id, style, text }) => [action_id, style, text.text])).toEqual([
      [SLACK_ACTION_IDS.approve, "primary", "Approve"],
      [SLACK_ACTION_IDS.reject, "danger", "Reject"],
    ]);
    for (const { value } of buttons)
      expect(decodeButtonValue(value)).toEqual({ requestId: "req-7", stage: 0 });
  });

  it("asks about an extension round: what is extended, until when, and why; its buttons name the round", () => {
    const extension = {
      n: 2,
      from: "2026-03-08T10:00:00.000Z",
      until: "2026-03-15T10:00:00.000Z",
      justification: "Migration",
    };
    const { blocks, text } = approvalMessageOf(input({ approval: { ...input().approval, extension } }));
    const texts = textsOf(blocks);

    expect(text).toContain("Extension approval needed");
    expect(texts).toContain("asks to extend the lease of EC2 t3.micro");
    expect(texts).toContain("from Sun, 8 Mar 2026, 10:00 UTC to Sun, 15 Mar 2026, 10:00 UTC");
    expect(texts).toContain("*Why extend*\nMigration");
    expect(decodeButtonValue(buttonsOf(blocks)[0]?.value ?? "")).toEqual({
      requestId: "req-7",
      stage: 0,
      extension: 2,
    });
  });

  it("says on whose behalf a delegate is asked, and that an escalation asks", () => {
    const delegate = textsOf(
      approvalMessageOf(
        input({ message: { stage: 0, recipient: "cy@example.com", onBehalfOf: "dee@example.com" } }),
      ).blocks,
    );
    const escalated = textsOf(
      approvalMessageOf(input({ message: { stage: 0, recipient: "op@example.com", escalation: true } }))
        .blocks,
    );

    expect(delegate).toContain("You are asked on behalf of dee@example.com, as their delegate.");
    expect(escalated).toContain("You are asked as escalation");
  });

  it("tells the channel that only the approvers asked may decide", () => {
    const texts = textsOf(approvalMessageOf(input({ message: { stage: 0, recipient: "channel" } })).blocks);

    expect(texts).toContain("only they may decide");
    expect(texts).not.toContain("You are");
  });

  it("shows where things stand, and no buttons nor deadline once the recipient may no longer decide", () => {
    const { blocks, text } = approvalMessageOf(
      input({
        status: { open: false, lines: ["Approved by bob@example.com at Sun, 1 Mar 2026, 14:02 UTC"] },
      }),
    );

    expect(buttonsOf(blocks)).toEqual([]);
    expect(textsOf(blocks)).toContain("Approved by bob@example.com at Sun, 1 Mar 2026, 14:02 UTC");
    expect(textsOf(blocks)).not.toContain("Decide before");
    expect(text).toContain("— Approved by bob@example.com");
  });

  it("keeps within Slack's limits: ten fields a section", () => {
    const { blocks } = approvalMessageOf(input());
    for (const block of blocks) {
      if (block.type === "section") expect(block.fields?.length ?? 0).toBeLessThanOrEqual(10);
    }
  });

  it("changes its digest only when what it shows changes", () => {
    expect(digestOf(approvalMessageOf(input()))).toBe(digestOf(approvalMessageOf(input())));
    expect(digestOf(approvalMessageOf(input()))).not.toBe(
      digestOf(
        approvalMessageOf(input({ status: { open: true, lines: ["bob@example.com approved (1 of 2)"] } })),
      ),
    );
  });

  it("shows what people typed (the ask, the facts, votes' reasons) as plain text, which Slack formats and links nothing in", () => {
    const typed = "*urgent* _now_ <https://evil.example|Approve> https://evil.example #general";
    const { blocks } = approvalMessageOf(
      input({
        approval: {
          ...input().approval,
          request: sampleRequest({ requestId: "req-7", justification: typed }),
        },
        status: { open: true, lines: [`bob@example.com rejected: ${typed}`] },
      }),
    );

    const texts = blocks.flatMap((block) =>
      block.type === "section"
        ? [block.text, ...(block.fields ?? [])]
        : block.type === "context"
          ? block.elements
          : [],
    );
    const withTyped = texts.filter((text) => text && "text" in text && text.text.includes(typed));
    expect(withTyped).toHaveLength(2);
    for (const text of withTyped) expect(text).toMatchObject({ type: "plain_text", emoji: false });
    expect(texts.filter((text) => text?.type === "mrkdwn").length).toBeGreaterThan(0);
    for (const text of texts) if (text?.type === "mrkdwn") expect(text).toMatchObject({ verbatim: true });
  });

  it("escapes what Slack would read as markup", () => {
    expect(escapeMrkdwn("<!channel> & <https://x|y>")).toBe("&lt;!channel&gt; &amp; &lt;https://x|y&gt;");
  });
});
