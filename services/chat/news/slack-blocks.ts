import type { KnownBlock } from "@slack/web-api";
import type { NewsMessage, Tone } from "../../shared/request-news.ts";
import { clip, factSections, mrkdwnOf, mrkdwnText, plainText, SLACK_LIMITS } from "../block-kit.ts";
import type { SlackMessage } from "../slack.ts";

/**
 * The requester's news as a Slack message (Block Kit): `services/shared/request-news.ts` says what, this
 * renders it, as services/notifier/domain.ts renders it as an email.
 */

const REQUESTER_FOOTER = "You get this message because you asked for this resource.";

const OPERATOR_FOOTER = "You get this message because you are an operator of the resource approvals.";

const TONE_EMOJI: Record<Tone, string> = { ok: ":white_check_mark:", bad: ":x:", warn: ":warning:" };

const slackMessageOf = (
  { requestId, subject, status, heading, lead, facts, actions }: NewsMessage,
  footer: string,
): SlackMessage => ({
  text: mrkdwnOf(subject, SLACK_LIMITS.text),
  blocks: [
    { type: "header", text: { type: "plain_text", text: clip(heading, SLACK_LIMITS.header), emoji: true } },
    {
      type: "context",
      elements: [mrkdwnText(`${TONE_EMOJI[status.tone]} *${mrkdwnOf(status.label, SLACK_LIMITS.label)}*`)],
    },
    // The lead names the resource and quotes reasons as typed.
    { type: "section", text: plainText(lead, SLACK_LIMITS.text) },
    ...factSections(facts),
    ...(actions
      ? ([
          {
            type: "actions",
            // Link buttons: Slack opens the URL (and tells the app of the click, which it ignores).
            elements: actions.links.map(({ label, href }, index) => ({
              type: "button",
              action_id: `news.link.${index}`,
              text: { type: "plain_text", text: clip(label, SLACK_LIMITS.button) },
              url: href,
            })),
          },
          {
            type: "context",
            elements: [mrkdwnText(mrkdwnOf(actions.note, SLACK_LIMITS.text))],
          },
        ] satisfies KnownBlock[])
      : []),
    { type: "divider" },
    { type: "context", elements: [mrkdwnText(`Request ${requestId}. ${footer}`)] },
  ],
});

/** The requester's direct message of their request's news. */
export const requesterSlackMessage = (news: NewsMessage): SlackMessage =>
  slackMessageOf(news, REQUESTER_FOOTER);

/** An operator's direct message of a failed release. */
export const operatorSlackMessage = (news: NewsMessage): SlackMessage =>
  slackMessageOf(news, OPERATOR_FOOTER);
