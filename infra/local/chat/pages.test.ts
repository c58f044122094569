import { describe, expect, it } from "vitest";
import { DEFAULT_LOCAL_USERS } from "../identity/users.ts";
import { renderBlock, slackPage, teamsPage, withTabs } from "./pages.ts";
import { memberOf, Workspace } from "./workspace.ts";

const workspace = new Workspace(DEFAULT_LOCAL_USERS);
const approver = workspace.members.find((member) => member.email === "approver@example.com");
if (!approver) throw new Error("approver@example.com is a default local user");

const message = (blocks: unknown[], text = "") => ({
  channel: approver.dmChannel,
  ts: "1700000000.000001",
  postedAt: "2026-01-01T00:00:00.000Z",
  history: [],
  text,
  blocks,
});

describe("the Slack page", () => {
  it("shows a conversation per member and the channel, the channel's with a choice of who presses", () => {
    const page = slackPage(workspace, { messages: [], ephemerals: [], views: [] });

    for (const member of DEFAULT_LOCAL_USERS.map(memberOf))
      expect(page).toContain(`data-channel="${member.dmChannel}"`);
    expect(page).toContain('data-channel="C0APPROVALS"');
    expect(page).toContain('<select name="as">');
  });

  it("renders buttons that press through the stand-in, and url buttons as links", () => {
    const page = slackPage(workspace, {
      messages: [
        message([
          {
            type: "actions",
            elements: [
              {
                type: "button",
                action_id: "approval.approve",
                style: "primary",
                text: { type: "plain_text", text: "Approve" },
              },
              {
                type: "button",
                action_id: "open",
                url: "http://localhost:3000/requests/r-1",
                text: { type: "plain_text", text: "Open" },
              },
            ],
          },
        ]),
      ],
      ephemerals: [],
      views: [],
    });

    expect(page).toContain(
      '<button type="button" class="primary" data-action-id="approval.approve">Approve</button>',
    );
    expect(page).toContain(
      '<a href="http://localhost:3000/requests/r-1" target="_blank" rel="noopener">Open</a>',
    );
    expect(page).toContain('data-ts="1700000000.000001"');
  });

  it("escapes what messages say, and follows no link but a web address", () => {
    const section = renderBlock({
      type: "section",
      text: {
        type: "mrkdwn",
        text: '<script>alert(1)</script> *bold* <javascript:alert(1)|click> <https://x.test/?a=1&b="2"|site>',
      },
      accessory: {
        type: "button",
        url: "javascript:alert(1)",
        text: { type: "plain_text", text: "<b>no</b>" },
      },
    }).value;

    expect(section).not.toContain("<script>");
    expect(section).toContain("&lt;script&gt;");
    expect(section).toContain("<b>bold</b>");
    expect(section).not.toContain('href="javascript');
    expect(section).toContain(
      '<a href="https://x.test/?a=1&amp;b=&quot;2&quot;" target="_blank" rel="noopener">site</a>',
    );
    expect(section).toContain("&lt;b&gt;no&lt;/b&gt;");
  });

  it("shows text the services escaped for Slack as Slack shows it, once escaped for the page", () => {
    const section = renderBlock({
      type: "section",
      text: {
        type: "mrkdwn",
        text: "Riley Requester &lt;requester@example.com&gt; &amp;lt;script&amp;gt; &lt;script&gt; <https://x.test/?a=1&amp;b=2|Ana &amp; Bo>",
      },
    }).value;

    expect(section).toContain("Riley Requester &lt;requester@example.com&gt;");
    expect(section).not.toContain("&amp;lt;requester");
    // `&amp;lt;` is the text `&lt;`, and an escaped tag stays text.
    expect(section).toContain("&amp;lt;script&amp;gt; &lt;script&gt;");
    expect(section).not.toContain("<script>");
    expect(section).toContain(
      '<a href="https://x.test/?a=1&amp;b=2" target="_blank" rel="noopener">Ana &amp; Bo</a>',
    );
  });

  it("shows fields, headers, context and dividers", () => {
    const html = [
      { type: "header", text: { type: "plain_text", text: "Approval needed" } },
      { type: "section", fields: [{ type: "mrkdwn", text: "*Cost*\n$7.49/month" }] },
      { type: "context", elements: [{ type: "mrkdwn", text: "Stage 1 of 2" }] },
      { type: "divider" },
    ]
      .map((block) => renderBlock(block).value)
      .join("");

    expect(html).toContain("<h3>Approval needed</h3>");
    expect(html).toContain('<div class="fields"><div><b>Cost</b><br>$7.49/month</div></div>');
    expect(html).toContain('<div class="context">Stage 1 of 2</div>');
    expect(html).toContain("<hr>");
  });

  it("shows an open view as a form with its inputs, for the member it was opened for", () => {
    const page = slackPage(workspace, {
      messages: [],
      ephemerals: [
        {
          channel: approver.dmChannel,
          user: approver.id,
          ts: "1.000002",
          at: "now",
          text: "You already voted",
        },
      ],
      views: [
        {
          id: "V1",
          user: approver.id,
          channel: approver.dmChannel,
          openedAt: "now",
          view: {
            title: { type: "plain_text", text: "Reject request" },
            submit: { type: "plain_text", text: "Reject" },
            blocks: [
              {
                type: "input",
                block_id: "reason",
                label: { type: "plain_text", text: "Why?" },
                element: { type: "plain_text_input", action_id: "reason", multiline: true },
              },
            ],
          },
        },
      ],
    });

    expect(page).toContain('<form class="view" data-view-id="V1">');
    expect(page).toContain('<textarea name="reason/reason"');
    expect(page).toContain("Opened for Avery Approver");
    expect(page).toContain("Only visible to Avery Approver");
  });
});

describe("the Teams page", () => {
  it("renders text, facts, columns and Open links of each card", () => {
    const page = teamsPage([
      {
        id: "c1",
        at: "now",
        body: {
          type: "message",
          attachments: [
            {
              contentType: "application/vnd.microsoft.card.adaptive",
              content: {
                type: "AdaptiveCard",
                body: [
                  { type: "TextBlock", text: "Approval <needed>", weight: "Bolder" },
                  { type: "FactSet", facts: [{ title: "Cost", value: "$7.49" }] },
                  { type: "ColumnSet", columns: [{ items: [{ type: "TextBlock", text: "left" }] }] },
                ],
                actions: [{ type: "Action.OpenUrl", title: "Open", url: "http://localhost:3000/approvals" }],
              },
            },
          ],
        },
      },
    ]);

    expect(page).toContain("<strong>Approval &lt;needed&gt;</strong>");
    expect(page).toContain("<span>Cost</span><span>$7.49</span>");
    expect(page).toContain('<div class="columns"><div><p>left</p></div></div>');
    expect(page).toContain(
      '<a href="http://localhost:3000/approvals" target="_blank" rel="noopener">Open</a>',
    );
  });
});

describe("withTabs", () => {
  it("puts the tabs first in the mailbox page's body", () => {
    expect(withTabs('<html><body class="x"><h1>Mailbox</h1></body></html>')).toMatch(
      /^<html><body class="x"><nav class="local-chat-tabs"[^>]*><strong aria-current="page">Email<\/strong> \| <a href="\/slack">Slack<\/a> \| <a href="\/teams">Teams<\/a><\/nav><h1>/,
    );
  });
});
