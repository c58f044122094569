import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { ApprovalTimerDue } from "../../../events/approval-timer-due.ts";
import { type Directory, directory } from "../../shared/directory.ts";
import { publisher } from "../../shared/events.ts";
import { observe } from "../../shared/observability.ts";
import { approvalsTableName } from "../config.ts";
import { createOutboxPublisher, type OutboxPublisher, publishOrLeaveToSweeper } from "../outbox.ts";
import { type ApprovalStore, createApprovalStore, expiryCondition, openAt } from "../store.ts";
import {
  escalationApproversOf,
  escalationTransition,
  reminderTransition,
  type TimerDue,
  whyTimerIgnored,
} from "../timers.ts";
import { expireTransition, type Transition } from "../transitions.ts";
import { schedules } from "../wiring.ts";

/** The approval's item kept changing under this delivery; the bus retries it. */
export class TimerContendedError extends Error {
  override readonly name = "TimerContendedError";
}

/** Each lost write means a vote or another timer changed the approval; a third loss in a row is not expected. */
const MAX_ATTEMPTS = 3;

export interface OnApprovalTimerDueDeps {
  store: ApprovalStore;
  directory: Directory;
  publishOwed: OutboxPublisher;
  now: () => Date;
  logger: Logger;
}

/**
 * On ApprovalTimerDue (EventBridge Scheduler puts it on the bus when a timer decision owed is due, see
 * timers.ts): reminds, escalates or expires the approval, in one write conditional on the approval as
 * read, then publishes what that write owes. A timer the approval moved past does nothing; a late one
 * (the stack was down when it was due) acts once when it comes, and a second delivery finds it handled.
 */
export const createOnApprovalTimerDueHandler = ({
  store,
  directory,
  publishOwed,
  now,
  logger,
}: OnApprovalTimerDueDeps) => {
  const handle = async (due: TimerDue) => {
    const { requestId, kind, stage } = due;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const at = now();
      const record = await store.get(requestId);
      // Only a pending approval has timers to act on: any other item is settled, or not opened by a policy.
      const approval = record?.status === "PENDING" ? record : undefined;
      const ignored = approval
        ? whyTimerIgnored(approval, due, at)
        : `the approval is ${record?.status ?? "absent"}`;
      if (ignored || !approval) {
        logger.info("Timer ignored", { requestId, kind, stage, n: due.n, why: ignored });
        return;
      }
      const transition: Transition =
        kind === "expiry"
          ? expireTransition(approval, at)
          : kind === "reminder"
            ? reminderTransition(approval, due, at)
            : escalationTransition(approval, due, await escalationApproversOf(directory, approval), at);
      const written = await store.apply(
        approval,
        transition,
        at,
        kind === "expiry" ? expiryCondition(at) : openAt(at),
      );
      if (written) {
        logger.info("Timer handled", {
          requestId,
          kind,
          stage,
          n: due.n,
          approvers: written.approval.approvers,
        });
        await publishOrLeaveToSweeper(publishOwed, written.approval, written.keys, logger);
        return;
      }
    }
    throw new TimerContendedError(`The approval of ${requestId} changed under ${MAX_ATTEMPTS} attempts`);
  };

  return middy()
    .use(injectLambdaContext(logger))
    .use(observe("decision"))
    .use(parser({ schema: ApprovalTimerDue.schema, envelope: EventBridgeEnvelope }))
    .handler(handle);
};

const store = createApprovalStore(approvalsTableName);
const now = () => new Date();

export const handler = createOnApprovalTimerDueHandler({
  store,
  directory,
  publishOwed: createOutboxPublisher({ publisher, schedules, store, now }),
  now,
  logger: new Logger({ serviceName: "decision" }),
});
