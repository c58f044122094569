import { createHash } from "node:crypto";
import type { KnownBlock } from "@slack/web-api";
import { leaseTermsInWords } from "../../../api/request-words.ts";
import type { ExtensionRef } from "../../../events/lease.ts";
import { stageInWords } from "../../shared/approval-asks.ts";
import type { SummaryRow } from "../../shared/layout.ts";
import {
  formatUtc,
  requesterLabel,
  requestSummaryRows,
  resourceLabel,
} from "../../shared/request-summary.ts";
import { encodeButtonValue, SLACK_ACTION_IDS } from "../../shared/slack-approval-actions.ts";
import type { MessageStatus } from "./domain.ts";
import { type ApprovalFacts, CHANNEL_RECIPIENT, type MessageDraft, type StageFacts } from "./store.ts";

/** A Block Kit block, as the Web API client takes them. */
export type SlackBlock = KnownBlock;

/** A message's notification text (what Slack shows where blocks are not) and its blocks. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

export interface ApprovalMessageInput {
  approval: ApprovalFacts;
  stage: StageFacts;
  message: MessageDraft;
  status: MessageStatus;
  publicUrl: string;
}

/** Slack's limits: 10 fields a section, 2,000 characters a field (and a context's element), 150 a header. */
const FIELDS_PER_SECTION = 10;
const FIELD_CHARACTERS = 2_000;
const HEADER_CHARACTERS = 150;

/** Text shown as typed: Slack's mrkdwn reads `&`, `<` and `>` as markup (links, mentions). */
export const escapeMrkdwn = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

const cut = (text: string, length: number) => (text.length > length ? `${text.slice(0, length - 1)}…` : text);

const mrkdwn = (text: string) => ({ type: "mrkdwn" as const, text });

const link = (url: string, label: string) => `<${url}|${escapeMrkdwn(label)}>`;

/** What an extension round asks, first among the facts, in the approval email's words. */
const extensionRows = ({ from, until, justification }: ExtensionRef): SummaryRow[] => [
  { label: "Lease ends now", value: formatUtc(from) },
  { label: "Extend until", value: formatUtc(until) },
  { label: "Why extend", value: justification },
];

const factSections = (rows: readonly SummaryRow[]): SlackBlock[] => {
  const fields = rows.map(({ label, value }) =>
    mrkdwn(cut(`*${escapeMrkdwn(label)}*\n${escapeMrkdwn(value)}`, FIELD_CHARACTERS)),
  );
  const sections: SlackBlock[] = [];
  for (let start = 0; start < fields.length; start += FIELDS_PER_SECTION) {
    sections.push({ type: "section", fields: fields.slice(start, start + FIELDS_PER_SECTION) });
  }
  return sections;
};

const askedAs = ({ recipient, onBehalfOf, escalation }: MessageDraft): string =>
  recipient === CHANNEL_RECIPIENT
    ? "Posted for the approvers it asks: only they may decide."
    : onBehalfOf
      ? `You are asked on behalf of ${onBehalfOf}, as their delegate.`
      : escalation
        ? "You are asked as escalation: the stage's approvers did not complete it in time."
        : "You are one of its approvers.";

/**
 * The message that asks about an approval and its stage: what is asked (the request and its lease, or
 * an extension of the lease), of whom, the stage, the request's facts, the deadline, a link to the
 * request in the portal, where the stage stands, and, while the recipient may still decide, Approve and
 * Reject (decision answers them at POST /slack/interactions; their value names the request, stage and
 * round, so a click on an older message is refused).
 */
export const approvalMessageOf = ({
  approval,
  stage,
  message,
  status,
  publicUrl,
}: ApprovalMessageInput): SlackMessage => {
  const { request, lease, extension } = approval;
  const asks = extension
    ? `${requesterLabel(request)} asks to extend the lease of ${resourceLabel(request)} from ${formatUtc(extension.from)} to ${formatUtc(extension.until)}.`
    : `${requesterLabel(request)} asks for ${resourceLabel(request)}${lease ? ` ${leaseTermsInWords(lease)}` : ""}.`;
  const needed = extension ? "Extension approval needed" : "Approval needed";
  const requestUrl = `${publicUrl}/requests/${encodeURIComponent(request.requestId)}`;
  const links = status.open
    ? `Decide before *${formatUtc(stage.expiresAt)}*. ${link(requestUrl, `Request ${request.requestId}`)} · ${link(`${publicUrl}/approvals`, "Approvals page")}`
    : link(requestUrl, `Request ${request.requestId}`);
  const blocks: SlackBlock[] = [
    {
      type: "header",
      text: { type: "plain_text", text: cut(`${needed}: ${resourceLabel(request)}`, HEADER_CHARACTERS) },
    },
    { type: "section", text: mrkdwn(`${escapeMrkdwn(asks)} ${escapeMrkdwn(askedAs(message))}`) },
    { type: "section", text: mrkdwn(`*${escapeMrkdwn(stageInWords(stage.stage, stage.quorum))}*`) },
    ...factSections([...(extension ? extensionRows(extension) : []), ...requestSummaryRows(request)]),
    { type: "section", text: mrkdwn(links) },
    ...(status.lines.length > 0
      ? [
          {
            type: "context" as const,
            elements: status.lines.map((line) => mrkdwn(cut(escapeMrkdwn(line), FIELD_CHARACTERS))),
          },
        ]
      : []),
    ...(status.open
      ? [
          {
            type: "actions" as const,
            block_id: "approval",
            elements: (["approve", "reject"] as const).map((action) => ({
              type: "button" as const,
              action_id: SLACK_ACTION_IDS[action],
              text: { type: "plain_text" as const, text: action === "approve" ? "Approve" : "Reject" },
              style: action === "approve" ? ("primary" as const) : ("danger" as const),
              value: encodeButtonValue({
                requestId: request.requestId,
                stage: message.stage,
                ...(extension && { extension: extension.n }),
              }),
            })),
          },
        ]
      : []),
  ];
  const [first] = status.lines;
  return {
    text: escapeMrkdwn(
      `${needed}: ${resourceLabel(request)} for ${request.requester.name ?? request.requester.email} (request ${request.requestId})${first ? ` — ${first}` : ""}`,
    ),
    blocks,
  };
};

/** A short digest of what a message shows, so an update that changes nothing is not sent. */
export const digestOf = (message: SlackMessage): string =>
  createHash("sha256").update(JSON.stringify(message)).digest("base64url").slice(0, 22);
