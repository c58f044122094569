import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { ApprovalRequested } from "../../../events/approval-requested.ts";
import { ApprovalStageStarted } from "../../../events/approval-stage-started.ts";
import type { DetailOf } from "../../../events/contract.ts";
import type { Publisher } from "../../../events/publish.ts";
import {
  type AskedApprover,
  approvalKeyOf,
  approversToAsk,
  stageInWords,
} from "../../shared/approval-asks.ts";
import { createDecisionToken, type DecisionAction, hashToken } from "../../shared/decision-token.ts";
import { MAILING_LEASE_MS } from "../../shared/leases.ts";
import type { OutgoingEmail } from "../../shared/mail.ts";
import { type BusinessMetrics, observe } from "../../shared/observability.ts";
import { approvalEmail } from "../email.ts";
import type { Mailing, MailingStore } from "../store.ts";
import { linkMailingDeps } from "./link-mailing-deps.ts";

/** Another delivery of the same event is sending the mails; this one is retried until it is done. */
export class ApprovalMailInProgressError extends Error {
  override readonly name = "ApprovalMailInProgressError";
}

export interface ApprovalMailSettings {
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
  metrics: BusinessMetrics;
}

type Tokens = Record<DecisionAction, string>;
type StageStarted = DetailOf<typeof ApprovalStageStarted>;

/**
 * ApprovalRequested for a stage's mailing: every link hash issued so far, never a token; with the
 * extension round they decide, when they decide one.
 */
const announcementOf = (started: StageStarted, mailing: Mailing) => ({
  requestId: started.requestId,
  ...(started.extension && { extension: started.extension }),
  request: started.request,
  approvers: mailing.approvers,
  stage: started.stage,
  linkHashes: Object.fromEntries(
    Object.entries(mailing.links).map(([approver, { approve, reject }]) => [approver, { approve, reject }]),
  ),
  expiresAt: mailing.expiresAt,
  requestedAt: mailing.createdAt,
});

/**
 * On ApprovalStageStarted: ask the stage's approvers (never the requester) by email, once per stage.
 * Decision chose them, and the deadline; approval-mail signs each one's links and says which stage asks,
 * and what they approve: the request and its lease, or an extension of the lease (a round of its own,
 * whose mailings are keyed apart: approvalKeyOf).
 *
 * Redelivery and crashes. The first delivery creates the stage's mailing in approval-mail's table
 * (conditional put, keyed by request and stage) holding the hashes of the links it is about to send and
 * a claim on the mailing, publishes ApprovalRequested with those hashes (before any mail, so the event
 * is on the bus before a link can be clicked), then sends the mails, marking each approver's right after
 * SES accepts it. A later delivery finds the item and sends only what is unmarked, and only when the
 * claim is free: given up by a delivery that failed, or older than MAILING_LEASE_MS (its process died).
 * Since only hashes are stored, it issues fresh links, adds their hashes and publishes ApprovalRequested
 * again with every hash so far; decision merges them, so links already sent stay valid. (That partial
 * progress and the fresh links are why the mailing keeps its own claim instead of `runOnce`, whose
 * effect is one result recorded whole.) Left open: a crash between SES accepting a mail and the mark
 * sends that approver a second mail, a harmless duplicate.
 */
export const createOnApprovalStageStartedHandler = (deps: ApprovalMailDeps) => {
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

  /** Creates the mailing or, when a delivery before this one did, takes over the mails it did not send. */
  const claimMailing = async (
    started: StageStarted,
    approvers: string[],
    claimId: string,
    now: Date,
  ): Promise<{ mailing: Mailing; toSend: Map<string, Tokens> } | undefined> => {
    const { requestId } = started;
    const approvalKey = approvalKeyOf(requestId, started.extension);
    const stage = started.stage.index;
    const key = await deps.hmacKey();
    const expiresAt = new Date(started.expiresAt);
    const tokens = new Map(
      approvers.map((approver) => [approver, issueTokens(requestId, approver, expiresAt, key)]),
    );
    const fresh: Mailing = {
      requestId: approvalKey,
      stage,
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

    const existing = await store.get(approvalKey, stage);
    if (!existing)
      throw new Error(`The mailing of ${approvalKey}, stage ${stage}, vanished after its creation`);
    const unsent = existing.approvers.filter((approver) => !existing.links[approver]?.mailSentAt);
    if (unsent.length === 0) return undefined;
    const existingDeadline = new Date(existing.expiresAt);
    if (existingDeadline.getTime() <= now.getTime()) return undefined;

    const replacements = new Map(
      unsent.map((approver) => [approver, issueTokens(requestId, approver, existingDeadline, key)]),
    );
    const tookOver = await store.takeOverMailing({
      requestId: approvalKey,
      stage,
      claimId,
      claimedAt: now,
      staleBefore: new Date(now.getTime() - MAILING_LEASE_MS),
      hashes: Object.fromEntries([...replacements].map(([approver, issued]) => [approver, hashesOf(issued)])),
    });
    if (!tookOver) {
      throw new ApprovalMailInProgressError(
        `Another delivery is still mailing the approvers of ${approvalKey}, stage ${stage}`,
      );
    }
    logger.warn("Taking over the mailing of an earlier delivery", { approvalKey, stage, approvers: unsent });
    return { mailing: tookOver, toSend: replacements };
  };

  const announceAndSend = async (
    started: StageStarted,
    asked: readonly AskedApprover[],
    mailing: Mailing,
    toSend: Map<string, Tokens>,
    claimId: string,
  ) => {
    const delegating = new Map(asked.map(({ email, onBehalfOf }) => [email, onBehalfOf]));
    const stage = stageInWords(started.stage, started.quorum);
    try {
      await deps.publisher.publish(ApprovalRequested, announcementOf(started, mailing));
      for (const [approver, tokens] of toSend) {
        const messageId = await deps.sendEmail(
          approvalEmail({
            request: started.request,
            approver,
            stage,
            onBehalfOf: delegating.get(approver),
            expiresAt: new Date(mailing.expiresAt),
            publicUrl: settings.publicUrl,
            tokens,
            signInRequired: settings.decisionsRequireSignIn,
            lease: started.lease,
            extension: started.extension,
          }),
        );
        await store.markMailSent(mailing.requestId, mailing.stage, approver, deps.now(), messageId);
        deps.metrics.count("ApprovalsAsked");
        deps.metrics.count("EmailsSent");
      }
    } catch (error) {
      await store.releaseMailClaim(mailing.requestId, mailing.stage, claimId).catch((releaseError: unknown) =>
        logger.warn("Could not give up the mailing claim; a retry waits for it to go stale", {
          approvalKey: mailing.requestId,
          stage: mailing.stage,
          error: releaseError,
        }),
      );
      throw error;
    }
  };

  return middy()
    .use(injectLambdaContext(logger))
    .use(observe("approval-mail"))
    .use(parser({ schema: ApprovalStageStarted.schema, envelope: EventBridgeEnvelope }))
    .handler(async (started) => {
      const { requestId } = started;
      const asked = approversToAsk(started.approvers, started.request.requester.email);
      if (asked.length === 0) {
        // Decision never starts a stage with only the requester in it; nobody is mailed a link to decide their own request.
        logger.error("The stage asks nobody but the requester: no approval mail sent", {
          requestId,
          stage: started.stage.index,
        });
        return;
      }
      const claimId = deps.randomBytes(16).toString("base64url");
      const emails = asked.map(({ email }) => email);
      const claimed = await claimMailing(started, emails, claimId, deps.now());
      if (!claimed) return;
      await announceAndSend(started, asked, claimed.mailing, claimed.toSend, claimId);
      logger.info("Approvers asked", {
        requestId,
        extension: started.extension?.n,
        stage: started.stage.index,
        approvers: [...claimed.toSend.keys()],
      });
    });
};

export const handler = createOnApprovalStageStartedHandler(
  linkMailingDeps(new Logger({ serviceName: "approval-mail" })),
);
