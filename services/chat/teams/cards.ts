import { z } from "zod";
import { ApprovalStageStarted } from "../../../events/approval-stage-started.ts";
import { pinnedEnvelopeSchemaOf } from "../../../events/envelope.ts";
import { ExtensionDecided, RELEASED_BEFORE_DECIDED } from "../../../events/lease-events.ts";
import { ProvisioningFailed } from "../../../events/provisioning-failed.ts";
import { RequestApproved } from "../../../events/request-approved.ts";
import { RequestCancelled } from "../../../events/request-cancelled.ts";
import { RequestExpired } from "../../../events/request-expired.ts";
import { RequestRejected } from "../../../events/request-rejected.ts";
import { ResourceProvisioned } from "../../../events/resource-provisioned.ts";
import {
  CLOSING_EVENTS,
  type ClosingEvent,
  closingEventSchema,
  closureOf,
  stageInWords,
} from "../../shared/approval-asks.ts";
import { approvalAskInWords, approvalEndInWords, extensionRows } from "../../shared/approval-words.ts";
import { policyNameOf } from "../../shared/decision-words.ts";
import type { SummaryRow } from "../../shared/layout.ts";
import { approvalsPageUrl, requestPageUrl } from "../../shared/portal-links.ts";
import {
  type NewsAction,
  type NoticeSettings,
  requesterNewsOf,
  type Tone,
} from "../../shared/request-news.ts";
import {
  formatUtc,
  requesterLabel,
  requestSummaryRows,
  resourceLabel,
} from "../../shared/request-summary.ts";

/**
 * The Teams channel's cards (Adaptive Cards, posted to a Teams workflow's webhook): a request that
 * waits for approval, how each approval ended, and what came of the provisioning. A channel is read by
 * many: its cards link to the portal, where each reader signs in, and never carry an approver's own
 * decision link.
 */

/** The events that make a card. */
export const TEAMS_EVENTS = [
  ApprovalStageStarted,
  ...CLOSING_EVENTS,
  ResourceProvisioned,
  ProvisioningFailed,
] as const;

export const teamsEventSchema = z.discriminatedUnion("detail-type", [
  pinnedEnvelopeSchemaOf(ApprovalStageStarted),
  ...closingEventSchema.options,
  pinnedEnvelopeSchemaOf(ResourceProvisioned),
  pinnedEnvelopeSchemaOf(ProvisioningFailed),
]);

export type TeamsEvent = z.output<typeof teamsEventSchema>;

export const ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";

interface TextBlock {
  type: "TextBlock";
  text: string;
  wrap: true;
  size?: "Small" | "Large";
  weight?: "Bolder";
  color?: "Good" | "Attention" | "Warning" | "Accent";
  spacing?: "None";
}

interface FactSet {
  type: "FactSet";
  facts: { title: string; value: string }[];
}

interface OpenUrlAction {
  type: "Action.OpenUrl";
  title: string;
  url: string;
}

export interface AdaptiveCard {
  $schema: "http://adaptivecards.io/schemas/adaptive-card.json";
  type: "AdaptiveCard";
  version: "1.5";
  body: (TextBlock | FactSet)[];
  actions: OpenUrlAction[];
}

/** What a Teams workflow's webhook takes: a message with the card as its one attachment. */
export interface TeamsMessage {
  type: "message";
  attachments: [{ contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; contentUrl: null; content: AdaptiveCard }];
}

/** A waiting request is news, not trouble: it gets the accent colour. */
type CardTone = Tone | "info";

const TONE_COLOR = {
  ok: "Good",
  bad: "Attention",
  warn: "Warning",
  info: "Accent",
} as const satisfies Record<CardTone, TextBlock["color"]>;

/** What a card says, before it is laid out. */
interface CardNews {
  status: { label: string; tone: CardTone };
  title: string;
  lead: string;
  facts: SummaryRow[];
  links: NewsAction[];
}

/**
 * Text as typed, for a TextBlock or a Fact's value, which Teams reads as Markdown: a justification's
 * `[Approve](https://evil.example)` would be a link, `**urgent**` bold. A backslash before each character
 * Markdown reads (CommonMark's escapes), and before what starts a list at a line's start. An underscore
 * inside a word (`req_3f9a`) is left: it never emphasizes, and ids read as they are typed.
 */
export const cardText = (text: string): string =>
  text
    .replace(/[\\*[\]()~`#>]|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, "\\$&")
    .replace(/^(\s*)([-+])/gm, "$1\\$2")
    .replace(/^(\s*\d+)([.)])/gm, "$1\\$2");

const cardOf = ({ status, title, lead, facts, links }: CardNews): TeamsMessage => ({
  type: "message",
  attachments: [
    {
      contentType: ADAPTIVE_CARD_CONTENT_TYPE,
      contentUrl: null,
      content: {
        $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
        type: "AdaptiveCard",
        version: "1.5",
        body: [
          {
            type: "TextBlock",
            text: cardText(status.label),
            wrap: true,
            size: "Small",
            weight: "Bolder",
            color: TONE_COLOR[status.tone],
          },
          {
            type: "TextBlock",
            text: cardText(title),
            wrap: true,
            size: "Large",
            weight: "Bolder",
            spacing: "None",
          },
          { type: "TextBlock", text: cardText(lead), wrap: true },
          {
            type: "FactSet",
            facts: facts.map(({ label, value }) => ({ title: cardText(label), value: cardText(value) })),
          },
        ],
        actions: links.map(({ label, href }) => ({ type: "Action.OpenUrl", title: label, url: href })),
      },
    },
  ],
});

/** The portal's page of the request: its status, its approval, and (to its approvers) Approve and Reject. */
const requestPage = (publicUrl: string, requestId: string): NewsAction => ({
  label: "Open request",
  href: requestPageUrl(publicUrl, requestId),
});

type StageStarted = Extract<TeamsEvent, { "detail-type": typeof ApprovalStageStarted.detailType }>;

const askedCardOf = ({ detail }: StageStarted, { publicUrl }: NoticeSettings): CardNews => {
  const { requestId, request, lease, extension, stage, quorum, approvers, expiresAt } = detail;
  const asked = approvers.map(({ email, onBehalfOf }) =>
    onBehalfOf ? `${email} (on behalf of ${onBehalfOf})` : email,
  );
  return {
    status: { label: extension ? "Extension awaiting approval" : "Awaiting approval", tone: "info" },
    title: `${extension ? "Extension approval needed" : "Approval needed"}: request ${requestId}`,
    lead: approvalAskInWords({ request, lease, extension }),
    facts: [
      { label: "Stage", value: stageInWords(stage, quorum) },
      { label: "Asked", value: asked.join(", ") },
      { label: "Decide before", value: formatUtc(expiresAt) },
      ...(extension ? extensionRows(extension) : []),
      ...requestSummaryRows(request),
    ],
    links: [
      requestPage(publicUrl, requestId),
      { label: "Open Approvals", href: approvalsPageUrl(publicUrl) },
    ],
  };
};

/** How the approval ended, in a word and a colour, with the reason a person gave and when. */
const endingOf = (
  event: ClosingEvent,
): {
  status: CardNews["status"];
  reason: string | undefined;
  at: readonly [label: string, moment: string];
} => {
  switch (event["detail-type"]) {
    case RequestApproved.detailType: {
      const { approver, reason, decidedAt } = event.detail;
      // A policy's reason is in the outcome's words already.
      const byPolicy = policyNameOf(approver) !== undefined;
      return {
        status: { label: "Approved", tone: "ok" },
        reason: byPolicy ? undefined : reason,
        at: ["Decided", decidedAt],
      };
    }
    case RequestRejected.detailType: {
      const { approver, reason, decidedAt } = event.detail;
      const byPerson = approver !== undefined && policyNameOf(approver) === undefined;
      return {
        status: { label: byPerson ? "Rejected" : "Refused", tone: "bad" },
        reason: byPerson ? reason || "No reason given" : undefined,
        at: ["Decided", decidedAt],
      };
    }
    case RequestExpired.detailType:
      return {
        status: { label: "Expired", tone: "warn" },
        reason: undefined,
        at: ["Expired", event.detail.expiredAt],
      };
    case RequestCancelled.detailType:
      return {
        status: { label: "Withdrawn", tone: "warn" },
        reason: event.detail.reason,
        at: ["Withdrawn", event.detail.cancelledAt],
      };
    case ExtensionDecided.detailType: {
      const { approved, decider, reason, decidedAt } = event.detail;
      const at = ["Decided", decidedAt] as const;
      if (approved) return { status: { label: "Extension approved", tone: "ok" }, reason: undefined, at };
      // Nobody decided: the round expired, or the release came first (the outcome says which).
      if (decider === undefined || reason === RELEASED_BEFORE_DECIDED)
        return { status: { label: "Extension closed", tone: "warn" }, reason: undefined, at };
      const byPerson = policyNameOf(decider) === undefined;
      return {
        status: { label: "Extension refused", tone: "bad" },
        reason: byPerson ? reason || "No reason given" : undefined,
        at,
      };
    }
  }
};

const decidedCardOf = (event: ClosingEvent, { publicUrl }: NoticeSettings): CardNews => {
  const { requestId, request } = event.detail;
  const extension = event["detail-type"] === ExtensionDecided.detailType ? event.detail.extension : undefined;
  const { ended, outcome } = closureOf(event);
  const { status, reason, at } = endingOf(event);
  return {
    status,
    title: `${extension ? "The extension of request" : "Request"} ${requestId} ${ended}`,
    lead: approvalEndInWords({ request, extension }, outcome),
    facts: [
      ...(reason ? [{ label: "Reason", value: reason }] : []),
      { label: at[0], value: formatUtc(at[1]) },
      ...(extension ? extensionRows(extension) : []),
      ...requestSummaryRows(request),
    ],
    links: [requestPage(publicUrl, requestId)],
  };
};

type ProvisioningEvent = Extract<
  TeamsEvent,
  { "detail-type": typeof ResourceProvisioned.detailType | typeof ProvisioningFailed.detailType }
>;

type Provisioned = Extract<ProvisioningEvent, { "detail-type": typeof ResourceProvisioned.detailType }>;

/**
 * What was made, by name, where and since when: what its requester alone needs (a database's endpoint
 * and credentials secret, an instance's private IP, how to connect) is in their own news, not on a
 * channel many read.
 */
const madeFactsOf = ({ detail }: Provisioned): SummaryRow[] => {
  const { database, bucket, instanceId, provisionedAt, request } = detail;
  const made = database
    ? [{ label: "DB instance", value: database.identifier }]
    : bucket
      ? [
          { label: "Bucket", value: bucket.name },
          { label: "Bucket region", value: bucket.region },
        ]
      : instanceId
        ? [{ label: "Instance ID", value: instanceId }]
        : [];
  return [...made, { label: "Provisioned", value: formatUtc(provisionedAt) }, ...requestSummaryRows(request)];
};

/**
 * What the provisioning made, or why it failed, in the words of the requester's news (its subject is
 * about the request, not to its reader), with only the facts a channel may read.
 */
const provisioningCardOf = (event: ProvisioningEvent, settings: NoticeSettings): CardNews | undefined => {
  const news = requesterNewsOf(event, settings);
  if (!news) return undefined;
  const { requestId, request } = event.detail;
  return {
    status: news.status,
    title: news.subject,
    lead: `${requesterLabel(request)} asked for ${resourceLabel(request)} in request ${requestId}.`,
    facts: event["detail-type"] === ResourceProvisioned.detailType ? madeFactsOf(event) : news.facts,
    links: [requestPage(settings.publicUrl, requestId)],
  };
};

/** The card of the event for the Teams channel; undefined when the event is nothing to post. */
export const teamsCardOf = (event: TeamsEvent, settings: NoticeSettings): TeamsMessage | undefined => {
  switch (event["detail-type"]) {
    case ApprovalStageStarted.detailType:
      return cardOf(askedCardOf(event, settings));
    case ResourceProvisioned.detailType:
    case ProvisioningFailed.detailType: {
      const news = provisioningCardOf(event, settings);
      return news && cardOf(news);
    }
    default:
      return cardOf(decidedCardOf(event, settings));
  }
};
