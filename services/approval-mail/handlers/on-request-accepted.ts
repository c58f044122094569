import { randomBytes } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { ApprovalRequested } from "../../../events/approval-requested.ts";
import type { DetailOf } from "../../../events/contract.ts";
import { RequestAccepted } from "../../../events/request-accepted.ts";
import {
  type ApproverGrant,
  type AskedApproval,
  publishDueAt,
  type RefusedRequest,
} from "../../decision/domain.ts";
import { hmacKey } from "../../decision/hmac-key.ts";
import {
  createOutcomePublisher,
  type EventPublisher,
  type OutcomePublisher,
} from "../../decision/outcomes.ts";
import { type ApprovalStore, createApprovalStore } from "../../decision/store.ts";
import { createDecisionToken, type DecisionAction, hashToken } from "../../decision/token.ts";
import { publisher } from "../../shared/events.ts";
import { MAILING_LEASE_MS } from "../../shared/leases.ts";
import { type OutgoingEmail, sendEmail } from "../../shared/mail.ts";
import { approvalsTableName, config } from "../config.ts";
import { approvalDeadline, NO_APPROVER_REASON, selectApprovers } from "../domain.ts";
import { approvalEmail } from "../email.ts";

/** Another delivery of the same event is sending the mails; this one is retried until it is done. */
export class ApprovalMailInProgressError extends Error {
  override readonly name = "ApprovalMailInProgressError";
}

export interface ApprovalMailSettings {
  approvers: readonly string[];
  ttlSeconds: number;
  publicUrl: string;
}

export interface ApprovalMailDeps {
  store: ApprovalStore;
  publisher: EventPublisher;
  publishOutcome: OutcomePublisher;
  sendEmail: (email: OutgoingEmail) => Promise<string>;
  hmacKey: () => Promise<Buffer>;
  now: () => Date;
  randomBytes: (size: number) => Buffer;
  settings: ApprovalMailSettings;
  logger: Logger;
}

type Tokens = Record<DecisionAction, string>;

/**
 * On RequestAccepted: ask every configured approver but the requester, by email, once.
 *
 * Redelivery and crashes. The first delivery creates the item (conditional put) holding the hashes of
 * the links it is about to send and a claim on the mailing; each approver's mail is marked sent right
 * after SES accepts it. A later delivery finds the item and sends only what is unmarked, and only
 * when the claim is free: given up by a delivery that failed, or older than MAILING_LEASE_MS (its
 * process died). Since only hashes are stored, it sends fresh links and adds their hashes; links
 * already sent stay valid. (That partial progress and the fresh links are why the mailing keeps its
own claim on the item instead of `runOnce`, whose effect is one result recorded whole.) Left open: a crash between SES accepting a mail and the mark sends that
 * approver a second mail, and one between publishing ApprovalRequested and its mark publishes it
 * again; both are harmless duplicates. With no approver left, the refusal is stored (so it happens
 * once) and published; if that publish is lost, the sweeper publishes it.
 */
export const createOnRequestAcceptedHandler = (deps: ApprovalMailDeps) => {
  const { store, settings, logger } = deps;

  const issueTokens = (requestId: string, approver: string, expiresAt: Date, key: Buffer): Tokens => {
    const issue = (action: DecisionAction) =>
      createDecisionToken({ requestId, action, approver, expiresAt }, key, deps.randomBytes);
    return { approve: issue("approve"), reject: issue("reject") };
  };

  const grantOf = (tokens: Tokens): ApproverGrant => ({
    approve: [hashToken(tokens.approve)],
    reject: [hashToken(tokens.reject)],
  });

  const refuse = async (accepted: DetailOf<typeof RequestAccepted>, now: Date) => {
    const refusal: RefusedRequest = {
      requestId: accepted.requestId,
      request: accepted.request,
      requesterEmail: accepted.request.requester.email.toLowerCase(),
      createdAt: now.toISOString(),
      status: "REFUSED",
      decision: { action: "reject", reason: NO_APPROVER_REASON, decidedAt: now.toISOString() },
      sweepTask: "PUBLISH",
      sweepAt: publishDueAt(now).toISOString(),
    };
    if (!(await store.createIfAbsent(refusal))) {
      logger.info("Refusal already recorded", { requestId: accepted.requestId });
      return;
    }
    logger.info("No approver other than the requester: request refused", { requestId: accepted.requestId });
    await deps.publishOutcome(refusal);
  };

  /** Creates the item or, when a delivery before this one did, takes over the mails it did not send. */
  const claimMailing = async (
    accepted: DetailOf<typeof RequestAccepted>,
    approvers: string[],
    claimId: string,
    now: Date,
  ): Promise<{ approval: AskedApproval; toSend: Map<string, Tokens> } | undefined> => {
    const { requestId, request } = accepted;
    const key = await deps.hmacKey();
    const expiresAt = approvalDeadline(now, settings.ttlSeconds);
    const tokens = new Map(
      approvers.map((approver) => [approver, issueTokens(requestId, approver, expiresAt, key)]),
    );
    const fresh: AskedApproval = {
      requestId,
      request,
      requesterEmail: request.requester.email.toLowerCase(),
      createdAt: now.toISOString(),
      status: "PENDING",
      approvers,
      grants: Object.fromEntries([...tokens].map(([approver, issued]) => [approver, grantOf(issued)])),
      expiresAt: expiresAt.toISOString(),
      mailClaimId: claimId,
      mailClaimedAt: now.toISOString(),
      sweepTask: "EXPIRE",
      sweepAt: expiresAt.toISOString(),
    };
    if (await store.createIfAbsent(fresh)) return { approval: fresh, toSend: tokens };

    const existing = await store.get(requestId);
    // Refused, decided or expired meanwhile: nobody is left to ask.
    if (existing?.status !== "PENDING") return undefined;
    const unsent = existing.approvers.filter((approver) => !existing.grants[approver]?.mailSentAt);
    if (unsent.length === 0) return { approval: existing, toSend: new Map() };
    const existingDeadline = new Date(existing.expiresAt);
    if (existingDeadline.getTime() <= now.getTime()) return undefined;

    const replacements = new Map(
      unsent.map((approver) => [approver, issueTokens(requestId, approver, existingDeadline, key)]),
    );
    const tookOver = await store.takeOverMailing({
      requestId,
      claimId,
      claimedAt: now,
      staleBefore: new Date(now.getTime() - MAILING_LEASE_MS),
      hashes: Object.fromEntries(
        [...replacements].map(([approver, issued]) => [
          approver,
          { approve: hashToken(issued.approve), reject: hashToken(issued.reject) },
        ]),
      ),
    });
    if (!tookOver) {
      throw new ApprovalMailInProgressError(
        `Another delivery is still mailing the approvers of ${requestId}`,
      );
    }
    logger.warn("Taking over the mailing of an earlier delivery", { requestId, approvers: unsent });
    return { approval: existing, toSend: replacements };
  };

  const sendMails = async (approval: AskedApproval, toSend: Map<string, Tokens>, claimId: string) => {
    try {
      for (const [approver, tokens] of toSend) {
        const messageId = await deps.sendEmail(
          approvalEmail({
            request: approval.request,
            approver,
            expiresAt: new Date(approval.expiresAt),
            publicUrl: settings.publicUrl,
            tokens,
          }),
        );
        await store.markMailSent(approval.requestId, approver, deps.now(), messageId);
      }
    } catch (error) {
      await store.releaseMailClaim(approval.requestId, claimId).catch((releaseError: unknown) =>
        logger.warn("Could not give up the mailing claim; a retry waits for it to go stale", {
          requestId: approval.requestId,
          error: releaseError,
        }),
      );
      throw error;
    }
  };

  return middy()
    .use(injectLambdaContext(logger))
    .use(parser({ schema: RequestAccepted.schema, envelope: EventBridgeEnvelope }))
    .handler(async (accepted) => {
      const now = deps.now();
      const approvers = selectApprovers(settings.approvers, accepted.request.requester.email);
      if (approvers.length === 0) return refuse(accepted, now);

      const claimId = deps.randomBytes(16).toString("base64url");
      const claimed = await claimMailing(accepted, approvers, claimId, now);
      if (!claimed) return;
      const { approval, toSend } = claimed;
      await sendMails(approval, toSend, claimId);

      if (approval.approvalRequestedAt) return;
      await deps.publisher.publish(ApprovalRequested, {
        requestId: approval.requestId,
        approvers: approval.approvers,
        expiresAt: approval.expiresAt,
        requestedAt: approval.createdAt,
      });
      await store.markApprovalRequested(approval.requestId, deps.now());
      logger.info("Approvers asked", { requestId: approval.requestId, approvers: approval.approvers });
    });
};

const store = createApprovalStore(approvalsTableName);
const now = () => new Date();

export const handler = createOnRequestAcceptedHandler({
  store,
  publisher,
  publishOutcome: createOutcomePublisher({ publisher, store, now }),
  sendEmail,
  hmacKey,
  now,
  randomBytes,
  settings: {
    approvers: config.APPROVERS,
    ttlSeconds: config.APPROVAL_TTL_SECONDS,
    publicUrl: config.PUBLIC_URL,
  },
  logger: new Logger({ serviceName: "approval-mail" }),
});
