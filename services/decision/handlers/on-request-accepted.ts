import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import type { DetailOf } from "../../../events/contract.ts";
import { RequestAccepted } from "../../../events/request-accepted.ts";
import { type LeaseLimits, type PolicySet, settleLease } from "../../../policy/index.ts";
import { type Directory, directory } from "../../shared/directory.ts";
import { publisher } from "../../shared/events.ts";
import { observe } from "../../shared/observability.ts";
import { approvalPolicies } from "../../shared/policies.ts";
import { approvalsTableName, config, leaseLimits } from "../config.ts";
import { type DelegationLookup, delegationsCopy, withDelegations } from "../delegations.ts";
import { publishDueAt } from "../domain.ts";
import {
  createOutboxPublisher,
  type OutboxPublisher,
  outboxEntries,
  publishOrLeaveToSweeper,
} from "../outbox.ts";
import { policyDecisionFor } from "../policy-decision.ts";
import { requesterOf, resolveStage } from "../stages.ts";
import { type ApprovalStore, createApprovalStore } from "../store.ts";
import { timersOwed } from "../timers.ts";
import { approvalOfPolicy } from "../transitions.ts";
import { schedules } from "../wiring.ts";
import { openApproval } from "../withdraw.ts";

export interface OnRequestAcceptedDeps {
  store: ApprovalStore;
  directory: Directory;
  /** Who is away when the first stage starts; without it, nobody is. */
  delegations?: DelegationLookup;
  policies: () => PolicySet;
  publishOwed: OutboxPublisher;
  /** How long an approval waits when its policy sets no `expiresAfter` (APPROVAL_TTL_SECONDS). */
  defaultTtlSeconds: number;
  /** The deployment's bounds on leases (LEASE_DEFAULT, LEASE_MIN, LEASE_MAX). */
  leaseLimits: LeaseLimits;
  now: () => Date;
  logger: Logger;
}

/**
 * On RequestAccepted: applies the approval policies. The requester's groups come from the directory;
 * the first policy that matches decides: it settles the request's lease (refusing a lease it does not
 * allow), auto-approval and denial decide the request at once, stages open its approval with the first
 * stage's approvers (refused at once when too few can approve). The approval and every event it owes
 * are one conditional put, so a second delivery changes nothing.
 */
export const createOnRequestAcceptedHandler = ({
  store,
  directory,
  delegations,
  policies,
  publishOwed,
  defaultTtlSeconds,
  leaseLimits,
  now,
  logger,
}: OnRequestAcceptedDeps) => {
  const apply = async ({ requestId, request }: DetailOf<typeof RequestAccepted>) => {
    const at = now();
    const decision = await policyDecisionFor(directory, policies(), request);
    const { outcome } = decision;
    const lease = settleLease(decision, request.lease, request.resource.type, leaseLimits);
    const firstStage =
      outcome.kind === "stages" && lease.ok
        ? await withDelegations(
            delegations,
            await resolveStage(directory, outcome.stages, 0, requesterOf(request), []),
            requesterOf(request),
            [],
            at,
          )
        : undefined;
    const ttlMs = (outcome.kind === "stages" && outcome.expiresAfterMs) || defaultTtlSeconds * 1000;
    const { approval, events } = approvalOfPolicy({
      requestId,
      request,
      decision,
      lease,
      firstStage,
      expiresAt: new Date(at.getTime() + ttlMs),
      now: at,
    });
    const owed = [...events, ...timersOwed(undefined, approval, events)];
    const opened = {
      ...approval,
      outbox: outboxEntries(0, owed),
      eventSeq: owed.length,
      sweepTask: "PUBLISH" as const,
      sweepAt: publishDueAt(at).toISOString(),
    };
    const written = await openApproval(store, opened, at);
    if (!written) {
      // A second delivery: the first one's put holds the events owed, which it or the sweeper publishes.
      logger.info("Policy already applied", { requestId });
      return;
    }
    if (written.cancelled) {
      logger.info("Request withdrawn before its approval opened", { requestId });
    } else {
      logger.info("Approval policy applied", {
        requestId,
        policy: decision.policy.name,
        outcome: outcome.kind,
        status: opened.status,
        approvers: opened.approvers,
      });
    }
    await publishOrLeaveToSweeper(publishOwed, written.approval, undefined, logger);
  };

  return middy()
    .use(injectLambdaContext(logger))
    .use(observe("decision"))
    .use(parser({ schema: RequestAccepted.schema, envelope: EventBridgeEnvelope }))
    .handler(apply);
};

const store = createApprovalStore(approvalsTableName);
const now = () => new Date();

export const handler = createOnRequestAcceptedHandler({
  store,
  directory,
  delegations: delegationsCopy,
  policies: approvalPolicies,
  publishOwed: createOutboxPublisher({ publisher, schedules, store, now }),
  defaultTtlSeconds: config.APPROVAL_TTL_SECONDS,
  leaseLimits,
  now,
  logger: new Logger({ serviceName: "decision" }),
});
