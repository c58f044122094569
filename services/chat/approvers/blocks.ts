import { createHash } from "node:crypto";
import type { KnownBlock } from "@slack/web-api";
import { stageInWords } from "../../shared/approval-asks.ts";
import { approvalAskInWords, extensionRows } from "../../shared/approval-words.ts";
import { approvalsPageUrl, requestPageUrl } from "../../shared/portal-links.ts";
import { formatUtc, requestSummaryRows, resourceLabel } from "../../shared/request-summary.ts";
import { encodeButtonValue, SLACK_ACTION_IDS } from "../../shared/slack-approval-actions.ts";
import { clip, escapeMrkdwn, factSections, mrkdwnText, plainText, SLACK_LIMITS } from "../block-kit.ts";
import type { SlackMessage } from "../slack.ts";
import type { MessageStatus } from "./domain.ts";
import { type ApprovalFacts, CHANNEL_RECIPIENT, type MessageDraft, type StageFacts } from "./store.ts";

export interface ApprovalMessageInput {
  approval: ApprovalFacts;
  stage: StageFacts;
  message: MessageDraft;
  status: MessageStatus;
  publicUrl: string;
}

const link = (url: string, label: string) => `<${url}|${escapeMrkdwn(label)}>`;

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
  const { request, extension } = approval;
  const asks = approvalAskInWords(approval);
  const needed = extension ? "Extension approval needed" : "Approval needed";
  const requestLink = link(requestPageUrl(publicUrl, request.requestId), `Request ${request.requestId}`);
  const links = status.open
    ? `Decide before *${formatUtc(stage.expiresAt)}*. ${requestLink} · ${link(approvalsPageUrl(publicUrl), "Approvals page")}`
    : requestLink;
  const blocks: KnownBlock[] = [
    {
      type: "header",
      text: { type: "plain_text", text: clip(`${needed}: ${resourceLabel(request)}`, SLACK_LIMITS.header) },
    },
    { type: "section", text: plainText(`${asks} ${askedAs(message)}`, SLACK_LIMITS.text) },
    { type: "section", text: mrkdwnText(`*${escapeMrkdwn(stageInWords(stage.stage, stage.quorum))}*`) },
    ...factSections([...(extension ? extensionRows(extension) : []), ...requestSummaryRows(request)]),
    { type: "section", text: mrkdwnText(links) },
    ...(status.lines.length > 0
      ? [
          {
            type: "context" as const,
            // Names and reasons, as typed.
            elements: status.lines.map((line) => plainText(line, SLACK_LIMITS.field)),
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
