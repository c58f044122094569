import type { KnownBlock, SectionBlock } from "@slack/web-api";
import type { SummaryRow } from "../../shared/layout.ts";
import type { NewsMessage, Tone } from "../../shared/request-news.ts";
import { escapeMrkdwn, type SlackMessage } from "../approvers/blocks.ts";

/**
 * The requester's news as a Slack message (Block Kit): `services/shared/request-news.ts` says what, this
 * renders it, as services/notifier/domain.ts renders it as an email.
 */

const REQUESTER_FOOTER = "You get this message because you asked for this resource.";

const OPERATOR_FOOTER = "You get this message because you are an operator of the resource approvals.";

const TONE_EMOJI: Record<Tone, string> = { ok: ":white_check_mark:", bad: ":x:", warn: ":warning:" };

/** Slack refuses a message whose blocks break these (https://api.slack.com/reference/block-kit/blocks). */
const LIMITS = {
  header: 150,
  text: 3000,
  field: 2000,
  label: 100,
  fieldsPerSection: 10,
  button: 75,
} as const;

const clip = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/**
 * Text for mrkdwn, escaped (a requester's "Ana <ana@example.com>" shows as written, not as a link) and at
 * most `max` characters once escaped; a cut never leaves half an entity.
 */
const mrkdwn = (text: string, max: number): string => {
  const escaped = escapeMrkdwn(text);
  return escaped.length <= max ? escaped : `${escaped.slice(0, max - 1).replace(/&[a-z]*$/, "")}…`;
};

/** The facts as two-column fields, as many sections as Slack's ten fields a section need. */
const factSections = (facts: readonly SummaryRow[]): SectionBlock[] => {
  const sections: SectionBlock[] = [];
  for (let start = 0; start < facts.length; start += LIMITS.fieldsPerSection) {
    sections.push({
      type: "section",
      fields: facts.slice(start, start + LIMITS.fieldsPerSection).map(({ label, value }) => ({
        type: "mrkdwn",
        // Labels are ours and short; the value gets the rest of the field.
        text: `*${mrkdwn(label, LIMITS.label)}*\n${mrkdwn(value, LIMITS.field - LIMITS.label - 3)}`,
      })),
    });
  }
  return sections;
};

const slackMessageOf = (
  { requestId, subject, status, heading, lead, facts, actions }: NewsMessage,
  footer: string,
): SlackMessage => ({
  text: mrkdwn(subject, LIMITS.text),
  blocks: [
    { type: "header", text: { type: "plain_text", text: clip(heading, LIMITS.header), emoji: true } },
    {
      type: "context",
      elements: [
        { type: "mrkdwn", text: `${TONE_EMOJI[status.tone]} *${mrkdwn(status.label, LIMITS.label)}*` },
      ],
    },
    { type: "section", text: { type: "mrkdwn", text: mrkdwn(lead, LIMITS.text) } },
    ...factSections(facts),
    ...(actions
      ? ([
          {
            type: "actions",
            // Link buttons: Slack opens the URL (and tells the app of the click, which it ignores).
            elements: actions.links.map(({ label, href }, index) => ({
              type: "button",
              action_id: `news.link.${index}`,
              text: { type: "plain_text", text: clip(label, LIMITS.button) },
              url: href,
            })),
          },
          { type: "context", elements: [{ type: "mrkdwn", text: mrkdwn(actions.note, LIMITS.text) }] },
        ] satisfies KnownBlock[])
      : []),
    { type: "divider" },
    { type: "context", elements: [{ type: "mrkdwn", text: `Request ${requestId}. ${footer}` }] },
  ],
});

/** The requester's direct message of their request's news. */
export const requesterSlackMessage = (news: NewsMessage): SlackMessage =>
  slackMessageOf(news, REQUESTER_FOOTER);

/** An operator's direct message of a failed release. */
export const operatorSlackMessage = (news: NewsMessage): SlackMessage =>
  slackMessageOf(news, OPERATOR_FOOTER);
