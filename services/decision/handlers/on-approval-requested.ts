import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { ApprovalRequested } from "../../../events/approval-requested.ts";
import type { DetailOf } from "../../../events/contract.ts";
import { publisher } from "../../shared/events.ts";
import { approvalsTableName } from "../config.ts";
import {
  type AskedApproval,
  askedApprovalOf,
  confirmedAwaitingDecision,
  type EarlyDecision,
  grantsOf,
  settleEarlyDecision,
} from "../domain.ts";
import { createOutcomePublisher, type OutcomePublisher, publishOrLeaveToSweeper } from "../outcomes.ts";
import { type ApprovalStore, createApprovalStore } from "../store.ts";

/** The approval's item kept changing under this delivery; the bus retries it. */
export class ApprovalContendedError extends Error {
  override readonly name = "ApprovalContendedError";
}

/** Each lost write means another writer settled the item; a third loss in a row is not expected. */
const MAX_ATTEMPTS = 3;

export interface OnApprovalRequestedDeps {
  store: ApprovalStore;
  publishOutcome: OutcomePublisher;
  now: () => Date;
  logger: Logger;
}

/**
 * On ApprovalRequested: record the approval, idempotently. The first event of a request creates it
 * (conditional put); a later one (a retried mailing's, or a copy) merges its link hashes into it, so
 * links already sent stay valid. When a decision was made early, before any event arrived, the item
 * holds it instead: it is settled here (see `settleEarlyDecision`) and its outcome published, or void.
 * Every write is conditional, so a delivery that loses to a concurrent one reads the item again.
 */
export const createOnApprovalRequestedHandler = ({
  store,
  publishOutcome,
  now,
  logger,
}: OnApprovalRequestedDeps) => {
  const settle = async (early: EarlyDecision, requested: DetailOf<typeof ApprovalRequested>) => {
    const settled = settleEarlyDecision(early, requested, now());
    if (!(await store.replaceEarlyDecision(early, settled))) return false;
    const { requestId } = requested;
    const { approver, action } = early.decision;
    if (settled.awaitingDecision) {
      logger.info("An early decision waits for the announcement of its link", {
        requestId,
        approver,
        action,
      });
      return true;
    }
    if (settled.status !== "DECIDED") {
      logger.warn("An early decision cannot stand (the requester's own, or made at the deadline): void", {
        requestId,
        approver,
        action,
      });
      return true;
    }
    logger.info("Early decision settled", { requestId, approver, action });
    await publishOrLeaveToSweeper(publishOutcome, settled, logger);
    return true;
  };

  /** An early decision whose link this event announces at last now decides, if nothing else has. */
  const confirmAwaited = async (approval: AskedApproval) => {
    const awaiting = confirmedAwaitingDecision(approval);
    if (!awaiting) return;
    const { tokenHash, action, approver, approverSubject, reason } = awaiting;
    const decided = await store.recordDecision({
      requestId: approval.requestId,
      action,
      approver,
      approverSubject,
      tokenHash,
      reason,
      now: now(),
    });
    if (!decided) return;
    logger.info("Early decision confirmed by a later announcement", {
      requestId: approval.requestId,
      approver,
    });
    await publishOrLeaveToSweeper(publishOutcome, decided, logger);
  };

  const record = async (requested: DetailOf<typeof ApprovalRequested>) => {
    const { requestId } = requested;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (await store.createIfAbsent(askedApprovalOf(requested))) {
        logger.info("Approval recorded", { requestId, approvers: requested.approvers });
        return;
      }
      const existing = await store.get(requestId);
      if (existing?.status === "DECIDED_EARLY") {
        if (await settle(existing, requested)) return;
      } else if (existing) {
        const merged = await store.mergeGrants(requestId, grantsOf(requested.linkHashes));
        // Decided or expired already: no link may decide any more, so there is nothing to add.
        logger.info(merged ? "Link hashes merged" : "Approval already settled", { requestId });
        if (merged) await confirmAwaited(merged);
        return;
      }
    }
    throw new ApprovalContendedError(`The approval of ${requestId} changed under ${MAX_ATTEMPTS} attempts`);
  };

  return middy()
    .use(injectLambdaContext(logger))
    .use(parser({ schema: ApprovalRequested.schema, envelope: EventBridgeEnvelope }))
    .handler(record);
};

const store = createApprovalStore(approvalsTableName);
const now = () => new Date();

export const handler = createOnApprovalRequestedHandler({
  store,
  publishOutcome: createOutcomePublisher({ publisher, store, now }),
  now,
  logger: new Logger({ serviceName: "decision" }),
});
