import { z } from "zod";
import { pinnedEnvelopeSchemaOf } from "../../events/envelope.ts";
import { ExtensionDecided, RELEASED_BEFORE_DECIDED } from "../../events/lease-events.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { RequestCancelled } from "../../events/request-cancelled.ts";
import { RequestExpired } from "../../events/request-expired.ts";
import { RequestRejected } from "../../events/request-rejected.ts";
import { canonicalEmail } from "./canonical-email.ts";
import { approvalInWords, rejectionInWords } from "./decision-words.ts";

/**
 * Who is asked, who hears how it ended, how a stage is named, and whose approval a message belongs
 * to: what every channel that asks approvers (email, chat) agrees on. Pure: the handlers pass the facts.
 */

/** A stage as ApprovalStageStarted names it (`index` from 0). */
export interface StageOfRequest {
  index: number;
  name: string;
  count: number;
}

/** An approver asked in a stage; `onBehalfOf` when asked as someone's delegate. */
export interface AskedApprover {
  email: string;
  onBehalfOf?: string | undefined;
}

/**
 * The stage's approvers to mail, once each (lower-cased), never the requester: decision already leaves
 * them out, and approval-mail keeps its own guard because it is the one that sends a link. By
 * `canonicalEmail`, so a request filed as `approver+me@` is not mailed to `approver@`.
 */
export const approversToAsk = (
  approvers: readonly AskedApprover[],
  requesterEmail: string,
): AskedApprover[] => {
  const requester = canonicalEmail(requesterEmail);
  const seen = new Set<string>();
  return approvers.flatMap(({ email, onBehalfOf }) => {
    const address = email.toLowerCase();
    if (seen.has(address) || canonicalEmail(address) === requester) return [];
    seen.add(address);
    return [onBehalfOf ? { email: address, onBehalfOf: onBehalfOf.toLowerCase() } : { email: address }];
  });
};

/** "Stage 1 of 2: team leads — 2 approvals needed"; a policy of one stage needs no "1 of 1". */
export const stageInWords = (stage: StageOfRequest, quorum: number): string => {
  const needed = quorum === 1 ? "1 approval needed" : `${quorum} approvals needed`;
  return stage.count === 1
    ? `${stage.name} — ${needed}`
    : `Stage ${stage.index + 1} of ${stage.count}: ${stage.name} — ${needed}`;
};

/**
 * Who is told that a request ended: everyone approval-mail asked about it, in any stage, once each,
 * but those who voted (their vote is among the outcome's, or they rejected it) — they know.
 */
export const stillAsked = (
  askedPerStage: readonly (readonly string[])[],
  voted: readonly string[],
): string[] => {
  const voters = new Set(voted.map((approver) => approver.toLowerCase()));
  return [...new Set(askedPerStage.flat())].filter((approver) => !voters.has(approver.toLowerCase()));
};

/**
 * The outcomes that end a request's approval, or a round of an extension of its lease (ExtensionDecided):
 * each one's approvers still asked are told.
 */
export const CLOSING_EVENTS = [
  RequestApproved,
  RequestRejected,
  RequestExpired,
  RequestCancelled,
  ExtensionDecided,
] as const;

export const closingEventSchema = z.discriminatedUnion("detail-type", [
  pinnedEnvelopeSchemaOf(RequestApproved),
  pinnedEnvelopeSchemaOf(RequestRejected),
  pinnedEnvelopeSchemaOf(RequestExpired),
  pinnedEnvelopeSchemaOf(RequestCancelled),
  pinnedEnvelopeSchemaOf(ExtensionDecided),
]);

export type ClosingEvent = z.output<typeof closingEventSchema>;

/** What the closure email says happened, and who voted (and so is not told). */
export const closureOf = (event: ClosingEvent): { ended: string; outcome: string; voted: string[] } => {
  switch (event["detail-type"]) {
    case RequestApproved.detailType: {
      const { detail } = event;
      return {
        ended: "was approved",
        outcome: `was ${approvalInWords(detail)}`,
        voted: [detail.approver, ...(detail.approvals ?? []).map(({ approver }) => approver)],
      };
    }
    case RequestRejected.detailType: {
      const { detail } = event;
      return {
        ended: "was rejected",
        outcome: `was ${rejectionInWords(detail)}`,
        voted: [
          ...(detail.approver ? [detail.approver] : []),
          ...(detail.approvals ?? []).map(({ approver }) => approver),
        ],
      };
    }
    case RequestExpired.detailType:
      return { ended: "expired", outcome: "expired before enough approvers decided", voted: [] };
    case RequestCancelled.detailType: {
      const { detail } = event;
      const why = detail.reason ? ` (${detail.reason})` : "";
      return {
        ended: "was withdrawn",
        outcome: `was withdrawn by its requester, ${detail.cancelledBy}${why}`,
        voted: (detail.approvals ?? []).map(({ approver }) => approver),
      };
    }
    case ExtensionDecided.detailType: {
      const { detail } = event;
      const voted = [
        ...(detail.decider ? [detail.decider] : []),
        ...(detail.approvals ?? []).map(({ approver }) => approver),
      ];
      if (detail.reason === RELEASED_BEFORE_DECIDED) {
        return { ended: "is no longer needed", outcome: `was closed: ${RELEASED_BEFORE_DECIDED}`, voted };
      }
      if (detail.decider === undefined) {
        return { ended: "expired", outcome: "expired before enough approvers decided", voted };
      }
      const decided = { approver: detail.decider, approvals: detail.approvals, reason: detail.reason };
      return detail.approved
        ? { ended: "was approved", outcome: `was ${approvalInWords(decided)}`, voted }
        : { ended: "was rejected", outcome: `was ${rejectionInWords(decided)}`, voted };
    }
  }
};

/**
 * Whose approval a message to approvers belongs to (the partition key of the tables keeping them): the request's id for the request's
 * own approval, `<requestId>#extension-<n>` for round n of its lease's extensions. A round's stages
 * count from 0 like the request's, so each round has a key of its own: its messages are never taken for
 * an earlier round's, nor its approvers told when the request (or another round) ends.
 * No request id holds a `#`.
 */
export const approvalKeyOf = (requestId: string, extension?: { n: number }): string =>
  extension ? `${requestId}#extension-${extension.n}` : requestId;
