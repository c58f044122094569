import type { MrkdwnElement, PlainTextElement, SectionBlock } from "@slack/web-api";
import type { SummaryRow } from "../shared/layout.ts";

/**
 * What both of chat's Slack messages (an approver's ask, the requester's news) lay out alike: text
 * cut to Slack's limits, and a request's facts as fields. What people typed (names, justifications,
 * reasons) goes in plain_text, which Slack shows as it is: mrkdwn has no escape for `*`, `_`, `~` or
 * `` ` ``, so there a justification's `*urgent*` would be bold. Our own words go in mrkdwn, escaped and
 * `verbatim` (no bare URL, #channel or @mention made a link).
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

/** Our words in mrkdwn (escaped by the caller), with nothing linked that the text does not link itself. */
export const mrkdwnText = (text: string): MrkdwnElement => ({ type: "mrkdwn", text, verbatim: true });

/** Text shown as it is, at most `max` characters: no markup, no emoji from `:name:`. */
export const plainText = (text: string, max: number): PlainTextElement => ({
  type: "plain_text",
  text: clip(text, max),
  emoji: false,
});

/**
 * The facts as fields, each a bold label (ours) beside its value (as typed), so two columns read as a
 * table; as many sections as Slack's ten fields a section need.
 */
export const factSections = (facts: readonly SummaryRow[]): SectionBlock[] => {
  const perSection = SLACK_LIMITS.fieldsPerSection / 2;
  const sections: SectionBlock[] = [];
  for (let start = 0; start < facts.length; start += perSection) {
    sections.push({
      type: "section",
      fields: facts
        .slice(start, start + perSection)
        .flatMap(({ label, value }) => [
          mrkdwnText(`*${mrkdwnOf(label, SLACK_LIMITS.label)}*`),
          plainText(value, SLACK_LIMITS.field),
        ]),
    });
  }
  return sections;
};
