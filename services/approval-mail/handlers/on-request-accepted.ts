import { randomBytes } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import middy from "@middy/core";
import { ApprovalRequested } from "../../../events/approval-requested.ts";
import type { DetailOf } from "../../../events/contract.ts";
import type { Publisher } from "../../../events/publish.ts";
import type { AcceptedRequest } from "../../../events/request.ts";
import { RequestAccepted } from "../../../events/request-accepted.ts";
import { RequestRejected } from "../../../events/request-rejected.ts";
import { createDecisionToken, type DecisionAction, hashToken } from "../../shared/decision-token.ts";
import { documentClientOf } from "../../shared/dynamo.ts";
import { publisher } from "../../shared/events.ts";
import { hmacKey } from "../../shared/hmac-key.ts";
import { createIdempotency } from "../../shared/idempotency.ts";
import { MAILING_LEASE_MS } from "../../shared/leases.ts";
import { type OutgoingEmail, sendEmail } from "../../shared/mail.ts";
import { config, idempotencyTableName, mailingsTableName } from "../config.ts";
import { approvalDeadline, NO_APPROVER_REASON, selectApprovers } from "../domain.ts";
import { approvalEmail } from "../email.ts";
import { createMailingStore, type Mailing, type MailingStore, type Refusal } from "../store.ts";

/** Another delivery of the same event is sending the mails; this one is retried until it is done. */
export class ApprovalMailInProgressError extends Error {
  override readonly name = "ApprovalMailInProgressError";
}

export interface ApprovalMailSettings {
  approvers: readonly string[];
  ttlSeconds: number;
  publicUrl: string;
  /** Mail links that decide only signed in as their approver (see `decisionLink`). */
  decisionsRequireSignIn: boolean;
}

export interface ApprovalMailDeps {
  store: MailingStore;
  publisher: Pick<Publisher, "publish">;
  sendEmail: (email: OutgoingEmail) => Promise<string>;
  hmacKey: () => Promise<Buffer>;
  now: () => Date;
  randomBytes: (size: number) => Buffer;
  settings: ApprovalMailSettings;
  logger: Logger;
}

type Tokens = Record<DecisionAction, string>;

/** ApprovalRequested for a mailing: every link hash issued so far, never a token. */
const announcementOf = (request: AcceptedRequest, mailing: Mailing) => ({
  requestId: mailing.requestId,
  request,
  approvers: mailing.approvers,
  linkHashes: Object.fromEntries(
    Object.entries(mailing.links).map(([approver, { approve, reject }]) => [approver, { approve, reject }]),
  ),
  expiresAt: mailing.expiresAt,
  requestedAt: mailing.createdAt,
});

/**
 * On RequestAccepted: ask every configured approver but the requester, by email, once.
 *
 * Redelivery and crashes. The first delivery creates the mailing in approval-mail's table
 * (conditional put) holding the hashes of the links it is about to send and a claim on the mailing,
 * publishes ApprovalRequested with those hashes (before any mail, so the event is on the bus before a
 * link can be clicked), then sends the mails, marking each approver's right after SES accepts it. A
 * later delivery finds the item and sends only what is unmarked, and only when the claim is free:
 * given up by a delivery that failed, or older than MAILING_LEASE_MS (its process died). Since only
 * hashes are stored, it issues fresh links, adds their hashes and publishes ApprovalRequested again
 * with every hash so far; decision merges them, so links already sent stay valid. (That partial
 * progress and the fresh links are why the mailing keeps its own claim instead of `runOnce`, whose
 * effect is one result recorded whole.) Left open: a crash between SES accepting a mail and the mark
 * sends that approver a second mail, a harmless duplicate. With no approver left, the refusal is
 * recorded in the same table (so it wins over a later mailing, or loses to an earlier one) and its
 * RequestRejected is published once, under approval-mail's source.
 */
export const createOnRequestAcceptedHandler = (deps: ApprovalMailDeps) => {
  const { store, settings, logger } = deps;

  const issueTokens = (requestId: string, approver: string, expiresAt: Date, key: Buffer): Tokens => {
    const issue = (action: DecisionAction) =>
      createDecisionToken({ requestId, action, approver, expiresAt }, key, deps.randomBytes);
    return { approve: issue("approve"), reject: issue("reject") };
  };

  const hashesOf = (tokens: Tokens): Record<DecisionAction, string> => ({
    approve: hashToken(tokens.approve),
    reject: hashToken(tokens.reject),
  });

  const refuse = async ({ requestId, request }: DetailOf<typeof RequestAccepted>, now: Date) => {
    const refusal: Refusal = { kind: "REFUSAL", requestId, refusedAt: now.toISOString() };
    const recorded = (await store.createIfAbsent(refusal)) ? refusal : await store.get(requestId);
    if (recorded?.kind !== "REFUSAL") {
      logger.warn("Approvers were already asked under an earlier configuration: not refusing", { requestId });
      return;
    }
    const { ran } = await store.publishRefusalOnce(requestId, () =>
      deps.publisher.publish(
        RequestRejected,
        { requestId, request, reason: NO_APPROVER_REASON, decidedAt: recorded.refusedAt },
        { source: ApprovalRequested.source },
      ),
    );
    logger.info(ran ? "No approver other than the requester: request refused" : "Refusal already published", {
      requestId,
    });
  };

  /** Creates the mailing or, when a delivery before this one did, takes over the mails it did not send. */
  const claimMailing = async (
    requestId: string,
    approvers: string[],
    claimId: string,
    now: Date,
  ): Promise<{ mailing: Mailing; toSend: Map<string, Tokens> } | undefined> => {
    const key = await deps.hmacKey();
    const expiresAt = approvalDeadline(now, settings.ttlSeconds);
    const tokens = new Map(
      approvers.map((approver) => [approver, issueTokens(requestId, approver, expiresAt, key)]),
    );
    const fresh: Mailing = {
      kind: "MAILING",
      requestId,
      createdAt: now.toISOString(),
      approvers,
      links: Object.fromEntries(
        [...tokens].map(([approver, issued]) => {
          const hashes = hashesOf(issued);
          return [approver, { approve: [hashes.approve], reject: [hashes.reject] }];
        }),
      ),
      expiresAt: expiresAt.toISOString(),
      mailClaimId: claimId,
      mailClaimedAt: now.toISOString(),
    };
    if (await store.createIfAbsent(fresh)) return { mailing: fresh, toSend: tokens };

    const existing = await store.get(requestId);
    // Refused under an earlier configuration: nobody is asked.
    if (existing?.kind !== "MAILING") return undefined;
    const unsent = existing.approvers.filter((approver) => !existing.links[approver]?.mailSentAt);
    if (unsent.length === 0) return undefined;
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
      hashes: Object.fromEntries([...replacements].map(([approver, issued]) => [approver, hashesOf(issued)])),
    });
    if (!tookOver) {
      throw new ApprovalMailInProgressError(
        `Another delivery is still mailing the approvers of ${requestId}`,
      );
    }
    logger.warn("Taking over the mailing of an earlier delivery", { requestId, approvers: unsent });
    return { mailing: tookOver, toSend: replacements };
  };

  const announceAndSend = async (
    request: AcceptedRequest,
    mailing: Mailing,
    toSend: Map<string, Tokens>,
    claimId: string,
  ) => {
    try {
      await deps.publisher.publish(ApprovalRequested, announcementOf(request, mailing));
      for (const [approver, tokens] of toSend) {
        const messageId = await deps.sendEmail(
          approvalEmail({
            request,
            approver,
            expiresAt: new Date(mailing.expiresAt),
            publicUrl: settings.publicUrl,
            tokens,
            signInRequired: settings.decisionsRequireSignIn,
          }),
        );
        await store.markMailSent(mailing.requestId, approver, deps.now(), messageId);
      }
    } catch (error) {
      await store.releaseMailClaim(mailing.requestId, claimId).catch((releaseError: unknown) =>
        logger.warn("Could not give up the mailing claim; a retry waits for it to go stale", {
          requestId: mailing.requestId,
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
      const claimed = await claimMailing(accepted.requestId, approvers, claimId, now);
      if (!claimed) return;
      await announceAndSend(accepted.request, claimed.mailing, claimed.toSend, claimId);
      logger.info("Approvers asked", {
        requestId: accepted.requestId,
        approvers: [...claimed.toSend.keys()],
      });
    });
};

const dynamoDbClient = new DynamoDBClient({});
const approvalMailIdempotency = createIdempotency({
  client: dynamoDbClient,
  tableName: idempotencyTableName,
  service: "approval-mail",
});

export const handler = createOnRequestAcceptedHandler({
  store: createMailingStore(mailingsTableName, documentClientOf(dynamoDbClient), approvalMailIdempotency),
  publisher,
  sendEmail,
  hmacKey,
  now: () => new Date(),
  randomBytes,
  settings: {
    approvers: config.APPROVERS,
    ttlSeconds: config.APPROVAL_TTL_SECONDS,
    publicUrl: config.PUBLIC_URL,
    decisionsRequireSignIn: config.DECISIONS_REQUIRE_SIGN_IN,
  },
  logger: new Logger({ serviceName: "approval-mail" }),
}).use(approvalMailIdempotency.lambdaContextMiddleware);
