import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { policyActorOf } from "../../../events/approval-policy.ts";
import type { DetailOf } from "../../../events/contract.ts";
import { ExtensionRequested } from "../../../events/lease-events.ts";
import { judgeExtension, type PolicySet } from "../../../policy/index.ts";
import { type Directory, directory } from "../../shared/directory.ts";
import { publisher } from "../../shared/events.ts";
import { observe } from "../../shared/observability.ts";
import { approvalPolicies } from "../../shared/policies.ts";
import { approvalsTableName, config } from "../config.ts";
import { type DelegationLookup, delegationsCopy, withDelegations } from "../delegations.ts";
import type { AskedApproval, ExtensionRef } from "../domain.ts";
import { createOutboxPublisher, type OutboxPublisher, publishOrLeaveToSweeper } from "../outbox.ts";
import { policyDecisionFor } from "../policy-decision.ts";
import {
  extensionDecidedAtOnce,
  extensionHandled,
  extensionRefOf,
  openRoundTransition,
  whyExtensionRefused,
} from "../rounds.ts";
import { requesterOf, resolveStage, whyStageCannotComplete } from "../stages.ts";
import { type ApprovalStore, asRead, createApprovalStore } from "../store.ts";
import type { Transition } from "../transitions.ts";
import { schedules } from "../wiring.ts";

/** The approval's item kept changing under this delivery; the bus retries it. */
export class ExtensionContendedError extends Error {
  override readonly name = "ExtensionContendedError";
}

/** Each lost write means a vote, a timer or another extension changed the approval; a third loss in a row is not expected. */
const MAX_ATTEMPTS = 3;

export interface OnExtensionRequestedDeps {
  store: ApprovalStore;
  directory: Directory;
  /** Who is away when the round's first stage starts; without it, nobody is. */
  delegations?: DelegationLookup;
  policies: () => PolicySet;
  publishOwed: OutboxPublisher;
  /** How long a round waits when its policy sets no `expiresAfter` (APPROVAL_TTL_SECONDS). */
  defaultTtlSeconds: number;
  now: () => Date;
  logger: Logger;
}

type Asked = DetailOf<typeof ExtensionRequested>;

/**
 * On ExtensionRequested (from the lease service): the policies judge the extension as they judged the
 * request, for the request as it is stored and its requester's groups now (policy/lease.ts): approved
 * or refused at once (ExtensionDecided by policy:<name>), or asked of the policy's approvers in a new
 * round of the request's approval (rounds.ts). Whatever is decided is one write conditional on the
 * approval as read, keyed on the extension's `n`, so a second delivery decides nothing again.
 */
export const createOnExtensionRequestedHandler = ({
  store,
  directory,
  delegations,
  policies,
  publishOwed,
  defaultTtlSeconds,
  now,
  logger,
}: OnExtensionRequestedDeps) => {
  const judge = async (approval: AskedApproval, asked: Asked, extension: ExtensionRef, at: Date) => {
    const refused = whyExtensionRefused(approval);
    if (refused) return extensionDecidedAtOnce(approval, extension, { approved: false, reason: refused }, at);
    const decision = await policyDecisionFor(directory, policies(), approval.request);
    const byPolicy = { decider: policyActorOf(decision.policy.name), policy: decision.policy };
    const verdict = judgeExtension(
      decision,
      asked.terms,
      new Date(asked.startedAt),
      new Date(extension.until),
    );
    if (verdict.kind !== "ask") {
      const approved = verdict.kind === "approve";
      return extensionDecidedAtOnce(
        approval,
        extension,
        { approved, reason: verdict.reason, ...byPolicy },
        at,
      );
    }
    const { outcome } = decision;
    if (outcome.kind !== "stages")
      throw new TypeError(`Policy "${decision.policy.name}" has no stages to ask`);
    const requester = requesterOf(approval.request);
    const firstStage = await withDelegations(
      delegations,
      await resolveStage(directory, outcome.stages, 0, requester, []),
      requester,
      [],
      at,
    );
    const why = outcome.stages[0] && whyStageCannotComplete(firstStage, outcome.stages[0]);
    if (why)
      return extensionDecidedAtOnce(approval, extension, { approved: false, reason: why, ...byPolicy }, at);
    const ttlMs = outcome.expiresAfterMs || defaultTtlSeconds * 1000;
    // A decision after the lease's end would extend nothing: the resource is released then.
    const expiresAt = new Date(Math.min(at.getTime() + ttlMs, new Date(extension.from).getTime()));
    if (expiresAt <= at) {
      const reason = "the lease ends before anyone could decide the extension";
      return extensionDecidedAtOnce(approval, extension, { approved: false, reason, ...byPolicy }, at);
    }
    return openRoundTransition(approval, { extension, decision, firstStage, expiresAt, now: at });
  };

  const handle = async (asked: Asked) => {
    const { requestId } = asked;
    const extension = extensionRefOf(asked.extension);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const at = now();
      const record = await store.get(requestId);
      if (!record || record.status === "DECIDED_EARLY" || record.status === "WITHDRAWN_EARLY") {
        // Every request that got a lease was approved through an approval decision keeps.
        logger.error("No approval of the request whose lease is to be extended", { requestId });
        return;
      }
      if (extensionHandled(record, extension.n)) {
        logger.info("Extension already handled", { requestId, extension: extension.n });
        return;
      }
      const transition: Transition = await judge(record, asked, extension, at);
      const written = await store.apply(record, transition, at, asRead);
      if (written) {
        const opened = written.approval.status === "PENDING" && written.approval.extension?.n === extension.n;
        logger.info(opened ? "Extension round opened" : "Extension decided", {
          requestId,
          extension: extension.n,
          ...(opened && { approvers: written.approval.approvers }),
        });
        await publishOrLeaveToSweeper(publishOwed, written.approval, written.keys, logger);
        return;
      }
    }
    throw new ExtensionContendedError(`The approval of ${requestId} changed under ${MAX_ATTEMPTS} attempts`);
  };

  return middy()
    .use(injectLambdaContext(logger))
    .use(observe("decision"))
    .use(parser({ schema: ExtensionRequested.schema, envelope: EventBridgeEnvelope }))
    .handler(handle);
};

const store = createApprovalStore(approvalsTableName);
const now = () => new Date();

export const handler = createOnExtensionRequestedHandler({
  store,
  directory,
  delegations: delegationsCopy,
  policies: approvalPolicies,
  publishOwed: createOutboxPublisher({ publisher, schedules, store, now }),
  defaultTtlSeconds: config.APPROVAL_TTL_SECONDS,
  now,
  logger: new Logger({ serviceName: "decision" }),
});
