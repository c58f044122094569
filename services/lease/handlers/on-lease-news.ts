import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import type { LeaseLimits } from "../../../policy/lease.ts";
import { observe } from "../../shared/observability.ts";
import { publishOrLeaveToSweeper } from "../../shared/outbox.ts";
import { leaseLimits, reminderOffsetsMs, stackRegion } from "../config.ts";
import {
  extensionDecidedTransition,
  joinTransition,
  type LeaseRecord,
  leasedResourceOf,
  releaseOutcomeTransition,
  type Transition,
  termsOf,
} from "../domain.ts";
import { type LeaseNews, leaseNewsSchema } from "../news.ts";
import type { OutboxPublisher } from "../outbox.ts";
import { changeLease, type LeaseStore } from "../store.ts";
import { now, publishOwed, store } from "../wiring.ts";

export interface LeaseNewsDeps {
  store: Pick<LeaseStore, "get" | "put">;
  publishOwed: OutboxPublisher;
  limits: Pick<LeaseLimits, "default" | "max">;
  /** LEASE_REMINDERS in milliseconds, longest first. */
  reminderOffsetsMs: readonly number[];
  /** Where the launchers put a resource whose request names no region. */
  stackRegion: string;
  now: () => Date;
  logger: Logger;
}

/**
 * On the news a lease follows: RequestApproved and ResourceProvisioned join in either order and start
 * the lease (LeaseStarted, its reminders and end scheduled); ExtensionDecided moves its end or clears
 * the extension refused; ResourceReleased and ReleaseFailed record how its release ended. Each is one
 * write conditional on the lease as read, then what that write owes is done; what a crash or a failure
 * left owed is the sweeper's.
 */
export const createLeaseNewsHandler =
  ({ store, publishOwed, limits, reminderOffsetsMs, stackRegion, now, logger }: LeaseNewsDeps) =>
  async (event: LeaseNews): Promise<void> => {
    const at = now();
    const decide = (record: LeaseRecord): Transition | undefined => {
      switch (event["detail-type"]) {
        case "RequestApproved": {
          const { request, lease } = event.detail;
          return joinTransition(
            record,
            { request, terms: termsOf(lease, request, limits) },
            reminderOffsetsMs,
            at,
          );
        }
        case "ResourceProvisioned":
          return joinTransition(
            record,
            {
              request: event.detail.request,
              resource: leasedResourceOf(event.detail, stackRegion),
              provisionedAt: event.detail.provisionedAt,
            },
            reminderOffsetsMs,
            at,
          );
        case "ExtensionDecided":
          return extensionDecidedTransition(record, event.detail, reminderOffsetsMs, at);
        case "ResourceReleased":
          return releaseOutcomeTransition(record, { released: true, ...event.detail }, reminderOffsetsMs);
        case "ReleaseFailed":
          return releaseOutcomeTransition(record, { released: false, ...event.detail }, reminderOffsetsMs);
      }
    };
    const { requestId } = event.detail;
    const { record, written, keys } = await changeLease(store, requestId, decide, at);
    logger.info(written ? "Lease changed" : "Lease unchanged: nothing new in the event", {
      requestId,
      about: event["detail-type"],
      status: record.status,
      endsAt: record.endsAt,
    });
    if (written?.set.extensionTooLate) {
      logger.warn("An extension approved after the lease's end extends nothing", {
        requestId,
        ...written.set.extensionTooLate,
      });
    }
    await publishOrLeaveToSweeper(publishOwed, record, keys, logger);
  };

const logger = new Logger({ serviceName: "lease" });

export const handler = middy(
  createLeaseNewsHandler({
    store,
    publishOwed,
    limits: leaseLimits,
    reminderOffsetsMs,
    stackRegion,
    now,
    logger,
  }),
)
  .use(injectLambdaContext(logger))
  .use(observe("lease"))
  .use(parser({ schema: leaseNewsSchema }));
