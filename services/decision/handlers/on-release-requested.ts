import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import type { DetailOf } from "../../../events/contract.ts";
import { ReleaseRequested } from "../../../events/lease-events.ts";
import { publisher } from "../../shared/events.ts";
import { observe } from "../../shared/observability.ts";
import { approvalsTableName } from "../config.ts";
import { createOutboxPublisher, type OutboxPublisher, publishOrLeaveToSweeper } from "../outbox.ts";
import { closeRoundTransition, releaseNotedTransition } from "../rounds.ts";
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
 * one write conditional on the approval as read; with no round pending the release is only noted, so
 * that an extension delivered later is refused. Once noted, a delivery does nothing.
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
      if (
        !record ||
        record.status === "DECIDED_EARLY" ||
        record.status === "WITHDRAWN_EARLY" ||
        record.releasedAt
      ) {
        logger.info("Release already noted, or no approval to note it on", { requestId });
        return;
      }
      // Only a pending approval can be a round still deciding; any other only notes the release.
      const round = record.status === "PENDING" ? record.extension : undefined;
      const transition = round ? closeRoundTransition(record, round, at) : releaseNotedTransition(at);
      const written = await store.apply(record, transition, at, asRead);
      if (written) {
        logger.info(round ? "Extension round closed by the release" : "Release noted", {
          requestId,
          ...(round && { extension: round.n }),
        });
        await publishOrLeaveToSweeper(publishOwed, written.approval, written.keys, logger);
        return;
      }
    }
    throw new ReleaseContendedError(`The approval of ${requestId} changed under ${MAX_ATTEMPTS} attempts`);
  };

  return middy()
    .use(injectLambdaContext(logger))
    .use(observe("decision"))
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
