import type { Logger } from "@aws-lambda-powertools/logger";
import type { ChatSettings, SlackSettings } from "../../shared/chat-settings.ts";
import type { DecisionAction } from "../../shared/decision-token.ts";
import { ClientError } from "../../shared/errors.ts";
import { createServiceApp } from "../../shared/http.ts";
import {
  type ApprovalButtonValue,
  decodeButtonValue,
  REJECT_MODAL,
} from "../../shared/slack-approval-actions.ts";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySlackRequest } from "../../shared/slack-signature.ts";
import { type DecideDeps, decideSignedIn, refusalUnlessStillApprover } from "../decide.ts";
import {
  checkReason,
  judgeSignedInDecision,
  type Refusal,
  type SignedInApprover,
  staleAskRefusal,
} from "../domain.ts";
import { type OutboxPublisher, publishOrLeaveToSweeper } from "../outbox.ts";
import { rejectModal } from "./modal.ts";
import { type Interaction, interactionOf, SLACK_INTERACTIONS_PATH } from "./payloads.ts";
import type { SlackApi } from "./web-api.ts";

export interface SlackInteractionDeps extends DecideDeps {
  /** Slack's settings, if it is set up: the signing secret that vouches for each request, the bot token. */
  chatSettings: () => Promise<ChatSettings>;
  slackApiOf: (settings: SlackSettings) => SlackApi;
  publishOwed: OutboxPublisher;
  now: () => Date;
  logger: Logger;
}

const NOT_OUR_BUTTON: Refusal = {
  status: 400,
  title: "This button is not one of ours",
  message: "Nothing was decided. Decide on the Approvals page of the portal instead.",
};

/** A Slack user who is not a person of the app's workspace with a confirmed address (web-api.ts). */
const NO_EMAIL: Refusal = {
  status: 403,
  title: "Your Slack account does not vouch for an email address",
  message:
    "Only a member of this workspace with a confirmed email address decides from Slack, so nothing was decided. Decide on the Approvals page of the portal instead, signed in.",
};

/**
 * Someone the directory does not know by their Slack account's address, or knows without the identity
 * provider's id every signed-in decision records (they could not sign in to the portal either).
 */
const notAnApprover = (email: string): Refusal => ({
  status: 403,
  title: "You are not an approver",
  message: `No approver has the email address of your Slack account (${email}), so nothing was decided.`,
});

const wordsOf = (refusal: Refusal) => `${refusal.title}. ${refusal.message}`;

/**
 * `POST /slack/interactions`: the approval messages' buttons and the Reject modal. Slack's signature
 * over the raw body is checked before anything reads it, and authorizes the request; the clicking
 * Slack user is then the directory's user with their profile's email, and decides as if signed in
 * (`decideSignedIn`: single use, quorum, never their own request, only while asked). Slack shows
 * nothing of a 4xx to its user, so refusals of a click are told ephemerally and answered 200; those
 * of a modal's submission are shown in the modal.
 */
export const createSlackInteractions = (deps: SlackInteractionDeps) => {
  // 64 KiB body limit, 4xx passed through, 5xx hidden: Slack's payloads are far smaller.
  const app = createServiceApp(deps.logger);

  const approverOf = async (
    slack: SlackApi,
    userId: string,
  ): Promise<{ approver: SignedInApprover } | { refusal: Refusal }> => {
    const email = await slack.userEmail(userId);
    if (!email) return { refusal: NO_EMAIL };
    const user = await deps.directory.userByEmail(email);
    if (!user?.subject) return { refusal: notAnApprover(email) };
    return { approver: { email: user.email, subject: user.subject } };
  };

  /** Counts the vote on the approval the message was posted for, publishing what it owes. */
  const vote = async (
    approval: ApprovalButtonValue,
    approver: SignedInApprover,
    action: DecisionAction,
    now: Date,
    reason?: string,
  ): Promise<Refusal | undefined> => {
    const { requestId } = approval;
    const result = await decideSignedIn(deps, {
      requestId,
      action,
      approver,
      reason,
      now,
      askedAbout: approval,
    });
    if (!result.recorded) return result.refusal;
    deps.logger.info("Vote recorded from Slack", { requestId, action, approver: approver.email });
    await publishOrLeaveToSweeper(deps.publishOwed, result.approval, result.keys, deps.logger);
    return undefined;
  };

  /** Why `approver` may not reject with this button, judged before a modal asks them why. */
  const refusalToReject = async (
    approval: ApprovalButtonValue,
    approver: SignedInApprover,
    now: Date,
  ): Promise<Refusal | undefined> => {
    const record = await deps.store.get(approval.requestId);
    const stale = staleAskRefusal(record, approval);
    if (stale) return stale;
    const judgement = judgeSignedInDecision(record, approver, now);
    if (!judgement.decidable) return judgement.refusal;
    return refusalUnlessStillApprover(deps.directory, record, approver.email);
  };

  /** Approve decides at once; Reject opens the modal asking why. Either way a refusal is told ephemerally. */
  const pressed = async (
    slack: SlackApi,
    button: Extract<Interaction, { kind: "button" }>,
    now: Date,
  ): Promise<Refusal | undefined> => {
    const approval = decodeButtonValue(button.value);
    if (!approval) return NOT_OUR_BUTTON;
    const resolved = await approverOf(slack, button.userId);
    if ("refusal" in resolved) return resolved.refusal;
    if (button.action === "approve") return vote(approval, resolved.approver, "approve", now);
    const refusal = await refusalToReject(approval, resolved.approver, now);
    if (!refusal) await slack.openView(button.triggerId, rejectModal(approval));
    return refusal;
  };

  /** The modal's reason decides the rejection; what stops it is said in the modal, by the reason. */
  const submitted = async (
    slack: SlackApi,
    rejection: Extract<Interaction, { kind: "rejection" }>,
    now: Date,
  ): Promise<string | undefined> => {
    const approval = decodeButtonValue(rejection.metadata);
    if (!approval) return wordsOf(NOT_OUR_BUTTON);
    const reason = checkReason("reject", rejection.reason);
    if (!reason.valid) return reason.error;
    const resolved = await approverOf(slack, rejection.userId);
    if ("refusal" in resolved) return wordsOf(resolved.refusal);
    const refusal = await vote(approval, resolved.approver, "reject", now, reason.reason);
    return refusal && wordsOf(refusal);
  };

  app.post(SLACK_INTERACTIONS_PATH, async (c) => {
    const { slack: settings } = await deps.chatSettings();
    if (!settings) throw new ClientError(404, "Slack is not set up");
    const now = deps.now();
    // The signature is over the bytes as sent: text decoded first could match another body's.
    const rawBody = new Uint8Array(await c.req.arrayBuffer());
    const check = verifySlackRequest({
      signingSecret: settings.signingSecret,
      timestamp: c.req.header(TIMESTAMP_HEADER),
      signature: c.req.header(SIGNATURE_HEADER),
      rawBody,
      now,
    });
    if (!check.valid) {
      deps.logger.warn("Refused an interaction not signed by Slack", { problem: check.problem });
      throw new ClientError(401, `Not signed by Slack: ${check.problem}`);
    }
    const interaction = interactionOf(new TextDecoder().decode(rawBody));
    // Slack wants an answer within 3 seconds: each is a few reads, a write and at most one Slack call.
    if (interaction.kind === "button") {
      const slack = deps.slackApiOf(settings);
      const refusal = await pressed(slack, interaction, now);
      if (refusal) {
        deps.logger.info("Slack button refused", { action: interaction.action, refusal: refusal.title });
        await slack.tellEphemeral(interaction.channelId, interaction.userId, wordsOf(refusal));
      }
    }
    if (interaction.kind === "rejection") {
      const error = await submitted(deps.slackApiOf(settings), interaction, now);
      if (error) {
        return c.json({ response_action: "errors", errors: { [REJECT_MODAL.reasonBlockId]: error } }, 200);
      }
    }
    return c.body(null, 200);
  });

  return app;
};
