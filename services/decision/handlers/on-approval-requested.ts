import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { ApprovalRequested } from "../../../events/approval-requested.ts";
import type { DetailOf } from "../../../events/contract.ts";
import { type Directory, directory } from "../../shared/directory.ts";
import { publisher } from "../../shared/events.ts";
import { observe } from "../../shared/observability.ts";
import { approvalsTableName } from "../config.ts";
import { decide } from "../decide.ts";
import { type DelegationLookup, delegationsCopy } from "../delegations.ts";
import { type AskedApproval, askedApprovalOf, type EarlyDecision, grantsOf } from "../domain.ts";
import { confirmedAwaitingDecision, settleEarlyDecision } from "../early.ts";
import { createOutboxPublisher, type OutboxPublisher, publishOrLeaveToSweeper } from "../outbox.ts";
import { type ApprovalStore, createApprovalStore } from "../store.ts";
import { schedules } from "../wiring.ts";

/** The approval's item kept changing under this delivery; the bus retries it. */
export class ApprovalContendedError extends Error {
  override readonly name = "ApprovalContendedError";
}

/** Each lost write means another writer settled the item; a third loss in a row is not expected. */
const MAX_ATTEMPTS = 3;

export interface OnApprovalRequestedDeps {
  store: ApprovalStore;
  directory: Directory;
  /** Who is away when a later stage starts (delegations.ts); without it, nobody is. */
  delegations?: DelegationLookup;
  publishOwed: OutboxPublisher;
  now: () => Date;
  logger: Logger;
}

/**
 * On ApprovalRequested: record the links approval-mail sent, idempotently. Their hashes merge into the
 * approval the request's policy opened (as do a retried mailing's, or a copy's), so links already
 * sent stay valid. An approval asked before policies has none: the first event creates it
 * (conditional put). When a decision was made early, before any event arrived, the item
 * holds it instead: it is settled here (see `settleEarlyDecision`) and its outcome published, or void.
 * Every write is conditional, so a delivery that loses to a concurrent one reads the item again.
 */
export const createOnApprovalRequestedHandler = ({
  store,
  directory,
  delegations,
  publishOwed,
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
    await publishOrLeaveToSweeper(publishOwed, settled, undefined, logger);
    return true;
  };

  /** An early decision whose link this event announces at last now decides, if nothing else has. */
  const confirmAwaited = async (approval: AskedApproval) => {
    const awaiting = confirmedAwaitingDecision(approval);
    if (!awaiting) return;
    const { tokenHash, action, approver, approverSubject, reason } = awaiting;
    const decided = await decide(
      { store, directory, delegations },
      {
        claims: {
          requestId: approval.requestId,
          action,
          approver,
          expiresAt: new Date(approval.expiresAt),
        },
        tokenHash,
        approverSubject,
        reason,
        now: now(),
      },
    );
    if (!decided.recorded || !("approval" in decided)) return;
    logger.info("Early decision confirmed by a later announcement", {
      requestId: approval.requestId,
      approver,
    });
    await publishOrLeaveToSweeper(publishOwed, decided.approval, decided.keys, logger);
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
        const merged = await store.mergeGrants(
          requestId,
          grantsOf(requested.linkHashes),
          requested.extension?.n,
        );
        // Decided, expired or in another round already: none of these links may decide, so there is nothing to add.
        logger.info(merged ? "Link hashes merged" : "Approval already settled", { requestId });
        if (merged) await confirmAwaited(merged);
        return;
      }
    }
    throw new ApprovalContendedError(`The approval of ${requestId} changed under ${MAX_ATTEMPTS} attempts`);
  };

  return middy()
    .use(injectLambdaContext(logger))
    .use(observe("decision"))
    .use(parser({ schema: ApprovalRequested.schema, envelope: EventBridgeEnvelope }))
    .handler(record);
};

const store = createApprovalStore(approvalsTableName);
const now = () => new Date();

export const handler = createOnApprovalRequestedHandler({
  store,
  directory,
  delegations: delegationsCopy,
  publishOwed: createOutboxPublisher({ publisher, schedules, store, now }),
  now,
  logger: new Logger({ serviceName: "decision" }),
});
