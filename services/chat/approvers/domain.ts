import { ExtensionDecided } from "../../../events/lease-events.ts";
import { RequestApproved } from "../../../events/request-approved.ts";
import { RequestCancelled } from "../../../events/request-cancelled.ts";
import { RequestExpired } from "../../../events/request-expired.ts";
import { RequestRejected } from "../../../events/request-rejected.ts";
import {
  type AskedApprover,
  approversToAsk,
  type ClosingEvent,
  closureOf,
  stageInWords,
} from "../../shared/approval-asks.ts";
import { listInWords, policyNameOf } from "../../shared/decision-words.ts";
import { formatUtc } from "../../shared/request-summary.ts";
import {
  type ApprovalState,
  CHANNEL_RECIPIENT,
  type Closure,
  type MessageDraft,
  type StageFacts,
  type Vote,
} from "./store.ts";

/**
 * Who is asked in Slack, and what each message says of the approval as it stands: pure, from the
 * approval's facts (store.ts), so a message reads the same whichever event it was last updated on.
 */

const sentence = (words: string) => `${words.charAt(0).toUpperCase()}${words.slice(1)}`;

/** When the approval ended, as its outcome event says. */
const closedAt = (event: ClosingEvent): string => {
  switch (event["detail-type"]) {
    case RequestExpired.detailType:
      return event.detail.expiredAt;
    case RequestCancelled.detailType:
      return event.detail.cancelledAt;
    case RequestApproved.detailType:
    case RequestRejected.detailType:
    case ExtensionDecided.detailType:
      return event.detail.decidedAt;
  }
};

/** A person's reason for rejecting, which the outcome's words leave out (a policy's is in them). */
const personsReason = (event: ClosingEvent): string | undefined => {
  const rejection =
    event["detail-type"] === RequestRejected.detailType
      ? { decider: event.detail.approver, reason: event.detail.reason }
      : event["detail-type"] === ExtensionDecided.detailType && !event.detail.approved
        ? { decider: event.detail.decider, reason: event.detail.reason }
        : undefined;
  return rejection?.decider !== undefined && policyNameOf(rejection.decider) === undefined
    ? rejection.reason
    : undefined;
};

/** "Approved by ana@example.com", "Expired before enough approvers decided": when, and a person's reason. */
export const closureOfEvent = (event: ClosingEvent): Closure => ({
  outcome: sentence(closureOf(event).outcome.replace(/^was /, "")),
  at: closedAt(event),
  reason: personsReason(event),
});

/**
 * The messages a stage's ask posts: one per approver asked (never the requester, each once), and one in
 * the approvals channel when there is one. The added approvers of an escalation are asked as such; the
 * channel already has the stage's message.
 */
export const draftsOf = (
  stage: number,
  approvers: readonly AskedApprover[],
  requesterEmail: string,
  { escalation, approvalsChannel }: { escalation: boolean; approvalsChannel: string | undefined },
): MessageDraft[] => [
  ...approversToAsk(approvers, requesterEmail).map(({ email, onBehalfOf }) => ({
    stage,
    recipient: email,
    ...(onBehalfOf && { onBehalfOf }),
    ...(escalation && { escalation }),
  })),
  ...(approvalsChannel !== undefined && !escalation ? [{ stage, recipient: CHANNEL_RECIPIENT }] : []),
];

/** A stage no longer asks once it reached its quorum or a later stage started. */
const stageEnded = (state: ApprovalState, index: number): boolean =>
  state.stages.get(index)?.completedAt !== undefined ||
  [...state.stages.keys()].some((started) => started > index);

/** Whether a message may still be posted for the stage: not once the approval ended or moved on. */
export const stillAsks = (state: ApprovalState, index: number): boolean =>
  state.closure === undefined && !stageEnded(state, index);

/** What a message shows beside the request: lines of where things stand, and whether it has buttons. */
export interface MessageStatus {
  open: boolean;
  lines: string[];
}

const approvalsInWords = (count: number) => (count === 1 ? "1 more approval" : `${count} more approvals`);

const stageLabel = ({ stage }: StageFacts): string =>
  stage.count === 1 ? sentence(stage.name) : `Stage ${stage.index + 1} (${stage.name})`;

/** "ana@example.com approved (1 of 2)", "bob@example.com rejected: too big". */
const tallyOf = (votes: readonly Vote[]): string[] => {
  const approving = votes.filter(({ action }) => action === "approve");
  const last = approving.at(-1);
  return [
    ...(last
      ? [
          `${listInWords(approving.map(({ approver }) => approver))} approved (${last.approvals} of ${last.quorum})`,
        ]
      : []),
    ...votes
      .filter(({ action }) => action === "reject")
      .map(({ approver, reason }) => `${approver} rejected${reason ? `: ${reason}` : ""}`),
  ];
};

/**
 * Where the message's stage stands for its recipient. A voter's message loses its buttons and says how
 * they voted; the others keep theirs with the count so far; once the stage is over (its quorum reached,
 * a later stage started) or the approval closed, nobody's has buttons and each says how it ended.
 */
export const messageStatus = (state: ApprovalState, message: MessageDraft): MessageStatus => {
  const votes = state.votes.filter(({ stage }) => stage === message.stage);
  const own =
    message.recipient === CHANNEL_RECIPIENT
      ? undefined
      : votes.find(({ approver }) => approver.toLowerCase() === message.recipient);
  const ownLine =
    own &&
    (own.action === "approve"
      ? `You approved at ${formatUtc(own.votedAt)}`
      : `You rejected at ${formatUtc(own.votedAt)}${own.reason ? `: ${own.reason}` : ""}`);
  const others = tallyOf(votes.filter((vote) => vote !== own));

  if (state.closure) {
    const { outcome, at, reason } = state.closure;
    return {
      open: false,
      lines: [`${outcome} at ${formatUtc(at)}${reason ? `: ${reason}` : ""}`, ...(ownLine ? [ownLine] : [])],
    };
  }
  const stage = state.stages.get(message.stage);
  if (stage && stageEnded(state, message.stage)) {
    const next = [...state.stages.values()].find(({ stage: { index } }) => index === message.stage + 1);
    const now = next ? `; now with ${stageInWords(next.stage, next.quorum)}` : "";
    return { open: false, lines: [`${stageLabel(stage)} approved${now}`, ...(ownLine ? [ownLine] : [])] };
  }
  if (own) {
    const counted = Math.max(...votes.map(({ approvals }) => approvals));
    const waiting =
      own.action === "approve" && counted < own.quorum
        ? ` — waiting for ${approvalsInWords(own.quorum - counted)}`
        : "";
    return { open: false, lines: [`${ownLine}${waiting}`, ...others] };
  }
  return { open: true, lines: others };
};
