import type { SectionBlock } from "@slack/web-api";
import type { SummaryRow } from "../shared/layout.ts";

/**
 * What both of chat's Slack messages (an approver's ask, the requester's news) lay out alike: text
 * escaped for mrkdwn and cut to Slack's limits, and a request's facts as fields.
 */

/** Slack refuses a message whose blocks break these (https://api.slack.com/reference/block-kit/blocks). */
export const SLACK_LIMITS = {
  header: 150,
  text: 3000,
  field: 2000,
  label: 100,
  fieldsPerSection: 10,
  button: 75,
} as const;

/** Text shown as typed: Slack's mrkdwn reads `&`, `<` and `>` as markup (links, mentions). */
export const escapeMrkdwn = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/** Plain text of at most `max` characters. */
export const clip = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/**
 * Text for mrkdwn, escaped (a requester's "Ana <ana@example.com>" shows as written, not as a link) and at
 * most `max` characters once escaped; a cut never leaves half an entity.
 */
export const mrkdwnOf = (text: string, max: number): string => {
  const escaped = escapeMrkdwn(text);
  return escaped.length <= max ? escaped : `${escaped.slice(0, max - 1).replace(/&[a-z]*$/, "")}…`;
};

/** The facts as two-column fields, as many sections as Slack's ten fields a section need. */
export const factSections = (facts: readonly SummaryRow[]): SectionBlock[] => {
  const sections: SectionBlock[] = [];
  for (let start = 0; start < facts.length; start += SLACK_LIMITS.fieldsPerSection) {
    sections.push({
      type: "section",
      fields: facts.slice(start, start + SLACK_LIMITS.fieldsPerSection).map(({ label, value }) => ({
        type: "mrkdwn",
        // Labels are ours and short; the value gets the rest of the field.
        text: `*${mrkdwnOf(label, SLACK_LIMITS.label)}*\n${mrkdwnOf(value, SLACK_LIMITS.field - SLACK_LIMITS.label - 3)}`,
      })),
    });
  }
  return sections;
};
