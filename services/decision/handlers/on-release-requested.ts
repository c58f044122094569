import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import type { DetailOf } from "../../../events/contract.ts";
import { ReleaseRequested } from "../../../events/lease-events.ts";
import { publisher } from "../../shared/events.ts";
import { approvalsTableName } from "../config.ts";
import { createOutboxPublisher, type OutboxPublisher, publishOrLeaveToSweeper } from "../outbox.ts";
import { closeRoundTransition } from "../rounds.ts";
import { type ApprovalStore, asRead, createApprovalStore } from "../store.ts";
import { schedules } from "../wiring.ts";

/** The approval's item kept changing under this delivery; the bus retries it. */
export class ReleaseContendedError extends Error {
  override readonly name = "ReleaseContendedError";
}

/** Each lost write means a vote or a timer changed the round; a third loss in a row is not expected. */
const MAX_ATTEMPTS = 3;

export interface OnReleaseRequestedDeps {
  store: ApprovalStore;
  publishOwed: OutboxPublisher;
  now: () => Date;
  logger: Logger;
}

/**
 * On ReleaseRequested (from the lease service): a round of the request's approval still deciding an
 * extension of the lease is closed, refused because the resource was released first (rounds.ts), in
 * one write conditional on the approval as read. Once it is closed, or when no round is pending, a
 * delivery does nothing.
 */
export const createOnReleaseRequestedHandler = ({
  store,
  publishOwed,
  now,
  logger,
}: OnReleaseRequestedDeps) => {
  const handle = async ({ requestId }: DetailOf<typeof ReleaseRequested>) => {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const at = now();
      const record = await store.get(requestId);
      // Only a pending approval can be a round still deciding: a settled one has nothing to close.
      const approval = record?.status === "PENDING" ? record : undefined;
      const round = approval?.extension;
      if (!approval || !round) {
        logger.info("No extension pending at the release", { requestId });
        return;
      }
      const written = await store.apply(approval, closeRoundTransition(approval, round, at), at, asRead);
      if (written) {
        logger.info("Extension round closed by the release", { requestId, extension: round.n });
        await publishOrLeaveToSweeper(publishOwed, written.approval, written.keys, logger);
        return;
      }
    }
    throw new ReleaseContendedError(`The approval of ${requestId} changed under ${MAX_ATTEMPTS} attempts`);
  };

  return middy()
    .use(injectLambdaContext(logger))
    .use(parser({ schema: ReleaseRequested.schema, envelope: EventBridgeEnvelope }))
    .handler(handle);
};

const store = createApprovalStore(approvalsTableName);
const now = () => new Date();

export const handler = createOnReleaseRequestedHandler({
  store,
  publishOwed: createOutboxPublisher({ publisher, schedules, store, now }),
  now,
  logger: new Logger({ serviceName: "decision" }),
});
