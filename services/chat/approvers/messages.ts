import type { Logger } from "@aws-lambda-powertools/logger";
import {
  type ChatSlack,
  eachRecipient,
  type RecipientFailure,
  type SlackMessage,
  SlackRecipientsError,
} from "../slack.ts";
import { approvalMessageOf, digestOf } from "./blocks.ts";
import { messageStatus, stillAsks } from "./domain.ts";
import {
  type ApprovalMessageStore,
  type ApprovalState,
  CHANNEL_RECIPIENT,
  type MessageDraft,
} from "./store.ts";

/**
 * Enough passes for the last of two handlers updating the same messages at once to see the other's
 * fact: each pass reads the facts and updates what they changed, and the next finds nothing to do.
 */
const MAX_PASSES = 3;

/** A message of an approval whose facts were never recorded: a bug, as asking records them first. */
export class ApprovalFactsMissingError extends Error {
  override readonly name = "ApprovalFactsMissingError";
}

export interface ApproverMessagesDeps {
  store: ApprovalMessageStore;
  publicUrl: string;
  logger: Logger;
}

/**
 * The Slack messages of one approval, posted and kept up to date from its facts (store.ts): what both
 * approver handlers do once they recorded their event's fact.
 */
export const createApproverMessages = ({ store, publicUrl, logger }: ApproverMessagesDeps) => {
  const render = (state: ApprovalState, message: MessageDraft): SlackMessage => {
    const stage = state.stages.get(message.stage);
    if (!state.approval || !stage) {
      // Asking records both before any message is drafted or posted.
      throw new ApprovalFactsMissingError(
        `No approval or stage ${message.stage} recorded for a message of ${state.approvalKey}`,
      );
    }
    return approvalMessageOf({
      approval: state.approval,
      stage,
      message,
      status: messageStatus(state, message),
      publicUrl,
    });
  };

  const recipientOf = ({ stage, recipient }: MessageDraft) => `${recipient} (stage ${stage})`;

  /**
   * Updates every posted message of the approval whose rendering the facts changed (chat.update),
   * until a fresh read finds each one showing the facts. Whichever handler records a fact then reads
   * them all, and a message is recorded before its poster reads them again: so a vote, a later stage
   * or the outcome handled while a message was being posted still reaches it. Two handlers updating
   * one message at the same instant may still leave it a step behind until the approval's next event.
   * A message Slack refuses to update for good (deleted, its channel archived) is logged and recorded
   * as shown, so it is not tried again until the facts change; the failures of the others are answered.
   * Once the approval closed, its items get their time to be deleted (store.expire), a late one too.
   */
  const updateAll = async (slack: ChatSlack, approvalKey: string) => {
    const failed = new Set<string>();
    const failures: RecipientFailure[] = [];
    let last: ApprovalState | undefined;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const state = await store.stateOf(approvalKey);
      last = state;
      const stale = state.messages.flatMap((message) => {
        if (failed.has(recipientOf(message))) return [];
        const rendered = render(state, message);
        const shown = digestOf(rendered);
        return shown === message.shown ? [] : [{ message, rendered, shown }];
      });
      if (stale.length === 0) break;
      const passFailures = await eachRecipient(
        stale,
        ({ message }) => recipientOf(message),
        async ({ message, rendered, shown }) => {
          const refused = await slack.update(message.channel, message.ts, rendered);
          if (refused) logUndeliverable("Approval message not updated", approvalKey, message, refused);
          await store.recordShown(approvalKey, message, shown);
        },
      );
      for (const failure of passFailures) failed.add(failure.recipient);
      failures.push(...passFailures);
      logger.info("Approval messages updated", {
        approvalKey,
        messages: stale.map(({ message: { stage, recipient } }) => ({ stage, recipient })),
      });
    }
    if (last?.closure && last.kept.length > 0) await store.expire(approvalKey, last.kept, last.closure);
    return failures;
  };

  const logUndeliverable = (
    what: string,
    approvalKey: string,
    { stage, recipient }: MessageDraft,
    { undeliverable }: { undeliverable: string },
  ) => logger.warn(`${what}: Slack refused it for good`, { approvalKey, stage, recipient, undeliverable });

  const throwIfFailed = (approvalKey: string, failures: readonly RecipientFailure[]) => {
    if (failures.length > 0) {
      throw new SlackRecipientsError(`Slack messages of approval ${approvalKey}`, failures);
    }
  };

  /** Brings every message of the approval up to its facts; throws, once all were tried, if any failed. */
  const refresh = async (slack: ChatSlack, approvalKey: string): Promise<void> => {
    throwIfFailed(approvalKey, await updateAll(slack, approvalKey));
  };

  /**
   * Posts each drafted message once (store.askOnce), unless the approval ended or its stage moved on
   * meanwhile: an approver without a Slack account, or whom Slack refuses a message for good (a
   * deactivated user, a channel the app is not in), is skipped and logged. Then brings every message of
   * the approval up to the facts, the new ones and those of stages the new one ended. Any other failure
   * of one recipient keeps none of the others from theirs, and then throws, naming each, so the bus
   * retries (the messages already posted are not posted again).
   */
  const ask = async (
    slack: ChatSlack,
    approvalKey: string,
    drafts: readonly MessageDraft[],
    approvalsChannel: string | undefined,
  ): Promise<void> => {
    const state = await store.stateOf(approvalKey);
    const asking = drafts.filter(({ stage }) => stillAsks(state, stage));
    if (asking.length < drafts.length) {
      logger.info("The approval ended or its stage is over: nobody more asked in Slack", { approvalKey });
    }
    const failures = await eachRecipient(asking, recipientOf, async (draft) => {
      const message = render(state, draft);
      const { result } = await store.askOnce(approvalKey, draft, async () => {
        const to =
          draft.recipient === CHANNEL_RECIPIENT
            ? approvalsChannel
            : await slack.userIdByEmail(draft.recipient);
        if (to === undefined) return { notOnSlack: true as const };
        const posted = await slack.post(to, message);
        return "undeliverable" in posted ? posted : { posted: { ...posted, shown: digestOf(message) } };
      });
      if ("notOnSlack" in result) {
        logger.info("The approver has no Slack account: asked by email only", {
          approvalKey,
          stage: draft.stage,
          approver: draft.recipient,
        });
      } else if ("undeliverable" in result) {
        logUndeliverable("Approver not asked in Slack", approvalKey, draft, result);
      } else {
        await store.recordMessage(approvalKey, { ...draft, ...result.posted });
      }
    });
    throwIfFailed(approvalKey, [...failures, ...(await updateAll(slack, approvalKey))]);
  };

  return { ask, refresh };
};
