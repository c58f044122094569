import type { Logger } from "@aws-lambda-powertools/logger";
import type { ApprovalEscalated } from "../../events/approval-escalated.ts";
import { ApprovalRequested } from "../../events/approval-requested.ts";
import type { ApproversReminded } from "../../events/approvers-reminded.ts";
import type { DetailOf } from "../../events/contract.ts";
import type { Publisher } from "../../events/publish.ts";
import { approvalKeyOf, approversToAsk, stageInWords } from "../shared/approval-asks.ts";
import { createDecisionToken, type DecisionAction, hashToken } from "../shared/decision-token.ts";
import type { OutgoingEmail } from "../shared/mail.ts";
import type { BusinessMetrics } from "../shared/observability.ts";
import { approvalEmail, type EmailOccasion } from "./email.ts";
import type { MailingStore } from "./store.ts";

export interface FollowUpDeps {
  store: Pick<MailingStore, "sendFollowUpOnce">;
  publisher: Pick<Publisher, "publish">;
  sendEmail: (email: OutgoingEmail) => Promise<string>;
  hmacKey: () => Promise<Buffer>;
  now: () => Date;
  randomBytes: (size: number) => Buffer;
  settings: { publicUrl: string; decisionsRequireSignIn: boolean };
  logger: Logger;
  metrics: BusinessMetrics;
}

export type Reminded = DetailOf<typeof ApproversReminded>;
export type Escalated = DetailOf<typeof ApprovalEscalated>;

/**
 * Mails approvers of a stage after its own mail: a reminder to those who have not answered, or the
 * stage's escalation to those it added. Only hashes of links are kept, so each delivery mints fresh
 * links and publishes ApprovalRequested with their hashes before any mail (decision merges them, and
 * earlier links stay valid), then sends each approver's mail once per (request, stage, reminder or
 * escalation, approver; a round of an extension counts apart, approvalKeyOf): a second delivery
 * announces links it then does not send, which decide nothing unless someone holds them.
 */
export const createFollowUpMailer = (deps: FollowUpDeps) => {
  const { store, settings, logger } = deps;

  return async (event: Reminded | Escalated, occasion: EmailOccasion): Promise<string[]> => {
    const { requestId, request, stage, extension } = event;
    const asked = approversToAsk(
      event.approvers.map((email) => ({ email })),
      request.requester.email,
    ).map(({ email }) => email);
    if (asked.length === 0) return [];
    const key = await deps.hmacKey();
    const expiresAt = new Date(event.expiresAt);
    const issue = (approver: string, action: DecisionAction) =>
      createDecisionToken({ requestId, action, approver, expiresAt }, key, deps.randomBytes);
    const tokens = new Map(
      asked.map((approver) => [
        approver,
        { approve: issue(approver, "approve"), reject: issue(approver, "reject") },
      ]),
    );
    await deps.publisher.publish(ApprovalRequested, {
      requestId,
      ...(extension && { extension }),
      request,
      approvers: asked,
      stage,
      linkHashes: Object.fromEntries(
        [...tokens].map(([approver, issued]) => [
          approver,
          { approve: [hashToken(issued.approve)], reject: [hashToken(issued.reject)] },
        ]),
      ),
      expiresAt: event.expiresAt,
      requestedAt: deps.now().toISOString(),
    });
    const stageWords = stageInWords(stage, event.quorum);
    const occasionKey = occasion.kind === "reminder" ? `${occasion.n}` : "escalation";
    for (const [approver, issued] of tokens) {
      const { ran } = await store.sendFollowUpOnce(
        occasion.kind,
        `${approvalKeyOf(requestId, extension)}/${stage.index}/${occasionKey}/${approver}`,
        () =>
          deps.sendEmail(
            approvalEmail({
              request,
              approver,
              stage: stageWords,
              expiresAt,
              publicUrl: settings.publicUrl,
              tokens: issued,
              signInRequired: settings.decisionsRequireSignIn,
              occasion,
              lease: event.lease,
              extension,
            }),
          ),
      );
      if (!ran) continue;
      // An escalation asks approvers the stage had not asked; a reminder asks the same ones again.
      if (occasion.kind === "escalation") deps.metrics.count("ApprovalsAsked");
      deps.metrics.count("EmailsSent");
    }
    logger.info(occasion.kind === "reminder" ? "Approvers reminded" : "Escalation approvers asked", {
      requestId,
      extension: extension?.n,
      stage: stage.index,
      approvers: asked,
    });
    return asked;
  };
};
