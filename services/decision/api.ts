import type { Logger } from "@aws-lambda-powertools/logger";
import type { RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import {
  type ApprovalOutcome,
  decideApprovalRoute,
  decideWithLinkRoute,
  type LinkToken,
  previewLinkDecisionRoute,
} from "../../api/approvals.ts";
import { withdrawRequestRoute } from "../../api/contract.ts";
import type { AccessTokenVerifier, Identity } from "../shared/access-token.ts";
import { type DecisionAction, hashToken, verifyDecisionToken } from "../shared/decision-token.ts";
import type { Directory } from "../shared/directory.ts";
import { ClientError } from "../shared/errors.ts";
import { acceptJsonBody, createServiceApp, optionalJsonBody } from "../shared/http.ts";
import { admitTo, type SignedInEnv } from "../shared/http-auth.ts";
import { decide, decideSignedIn, refusalUnlessStillApprover } from "./decide.ts";
import type { DelegationLookup } from "./delegations.ts";
import {
  type AskedApproval,
  CONCURRENT_CHANGE,
  checkReason,
  judgeDecision,
  type Refusal,
  refusalForToken,
  waitingForOf,
} from "./domain.ts";
import { type OutboxPublisher, publishOrLeaveToSweeper } from "./outbox.ts";
import type { ApprovalStore } from "./store.ts";
import { withdraw } from "./withdraw.ts";

export interface DecisionApiDeps {
  store: ApprovalStore;
  publishOwed: OutboxPublisher;
  hmacKey: () => Promise<Buffer>;
  now: () => Date;
  /** Who is in which group now: an approver removed from a stage's groups decides nothing. */
  directory: Directory;
  /** Who is away when a later stage starts (delegations.ts); without it, nobody is. */
  delegations?: DelegationLookup;
  verifyAccessToken: () => AccessTokenVerifier;
  logger: Logger;
}

/**
 * A page's refusal as the API answers it: the same words; an expired or decided request is a 409
 * (the request's state conflicts with deciding it) where a page says 410 (the link is gone).
 */
const apiRefusal = (refusal: Refusal, options?: ErrorOptions) =>
  new ClientError(
    refusal.status === 410 ? 409 : refusal.status,
    `${refusal.title}. ${refusal.message}`,
    undefined,
    options,
  );

/** The reason as the link pages accept it, or a 400 naming `reason`. */
const reasonFor = (action: DecisionAction, raw: string | undefined): string | undefined => {
  const check = checkReason(action, raw ?? "");
  if (!check.valid)
    throw new ClientError(400, `Request is invalid: reason ${check.error}`, [
      { field: "reason", message: check.error },
    ]);
  return check.reason;
};

/**
 * The vote just recorded, as the API answers it: APPROVED or REJECTED is the caller's own answer,
 * which decides the request when it rejects or completes the last stage; otherwise the request waits
 * for the other approvals its stages need.
 */
const outcomeOf = (
  requestId: string,
  { action, approver, reason, now }: { action: DecisionAction; approver: string; reason?: string; now: Date },
  approval?: AskedApproval,
): ApprovalOutcome => ({
  requestId,
  outcome: action === "approve" ? "APPROVED" : "REJECTED",
  approver,
  reason,
  decidedAt: now.toISOString(),
  ...(approval?.status === "PENDING" && { waitingFor: waitingForOf(approval) }),
});

/**
 * The approvers' API: deciding signed in, and, where links require sign-in, the link's confirmation
 * and decision for the approver it was sent to. Every route admits only signed-in approvers, and
 * every decision goes through the same conditional write as the link pages', so the first one wins.
 */
export const createDecisionApi = (deps: DecisionApiDeps) => {
  const app = createServiceApp(deps.logger);
  const signedInJson = (route: RouteConfig): [MiddlewareHandler<SignedInEnv>, MiddlewareHandler] => [
    admitTo(route, deps.verifyAccessToken),
    acceptJsonBody,
  ];

  /** A link's token checked as the pages check it, then bound to the signed-in approver. */
  const verifyLinkFor = async ({ action, token }: LinkToken, identity: Identity, now: Date) => {
    const check = verifyDecisionToken(token, action, await deps.hmacKey(), now);
    if (!check.valid) throw apiRefusal(refusalForToken(check.problem));
    if (check.claims.approver !== identity.email.toLowerCase()) {
      throw new ClientError(
        403,
        "This link was sent to another approver. Sign in as the approver it was sent to, or decide on the Approvals page.",
      );
    }
    return { claims: check.claims, tokenHash: hashToken(token) };
  };

  app.openapi({ ...decideApprovalRoute, middleware: signedInJson(decideApprovalRoute) }, async (c) => {
    const { requestId } = c.req.valid("param");
    const { action, reason: rawReason } = c.req.valid("json");
    const identity = c.get("identity");
    const reason = reasonFor(action, rawReason);
    const now = deps.now();
    const result = await decideSignedIn(deps, {
      requestId,
      action,
      approver: { email: identity.email, subject: identity.subject },
      reason,
      now,
    });
    if (!result.recorded) throw apiRefusal(result.refusal);
    deps.logger.info("Vote recorded, signed in", { requestId, action, approver: identity.email });
    await publishOrLeaveToSweeper(deps.publishOwed, result.approval, result.keys, deps.logger);
    return c.json(
      outcomeOf(requestId, { action, approver: identity.email, reason, now }, result.approval),
      200,
    );
  });

  app.openapi(
    { ...previewLinkDecisionRoute, middleware: signedInJson(previewLinkDecisionRoute) },
    async (c) => {
      const link = c.req.valid("json");
      const now = deps.now();
      const identity = c.get("identity");
      const { claims, tokenHash } = await verifyLinkFor(link, identity, now);
      const record = await deps.store.get(claims.requestId);
      const judgement = judgeDecision(record, claims, tokenHash, now, identity.subject);
      if (!judgement.decidable) throw apiRefusal(judgement.refusal);
      const removed = await refusalUnlessStillApprover(deps.directory, record, claims.approver);
      if (removed) throw apiRefusal(removed);
      return c.json(
        {
          requestId: claims.requestId,
          action: claims.action,
          approver: claims.approver,
          expiresAt: judgement.approval?.expiresAt ?? claims.expiresAt.toISOString(),
          request: judgement.approval?.request,
          extension: judgement.approval?.extension,
        },
        200,
      );
    },
  );

  app.openapi({ ...decideWithLinkRoute, middleware: signedInJson(decideWithLinkRoute) }, async (c) => {
    const { reason: rawReason, ...link } = c.req.valid("json");
    const identity = c.get("identity");
    const now = deps.now();
    const { claims, tokenHash } = await verifyLinkFor(link, identity, now);
    const reason = reasonFor(link.action, rawReason);
    const result = await decide(deps, {
      claims,
      tokenHash,
      approverSubject: identity.subject,
      reason,
      now,
    });
    if (!result.recorded) throw apiRefusal(result.refusal);
    deps.logger.info("Vote recorded with a link, signed in", {
      requestId: claims.requestId,
      action: claims.action,
      approver: claims.approver,
    });
    if ("approval" in result) {
      await publishOrLeaveToSweeper(deps.publishOwed, result.approval, result.keys, deps.logger);
    }
    return c.json(
      outcomeOf(
        claims.requestId,
        { action: claims.action, approver: claims.approver, reason, now },
        "approval" in result ? result.approval : undefined,
      ),
      200,
    );
  });

  app.openapi(
    {
      ...withdrawRequestRoute,
      middleware: [admitTo(withdrawRequestRoute, deps.verifyAccessToken), optionalJsonBody] as [
        MiddlewareHandler<SignedInEnv>,
        MiddlewareHandler,
      ],
    },
    async (c) => {
      const { id: requestId } = c.req.valid("param");
      const reason = reasonFor("approve", c.req.valid("json")?.reason);
      const identity = c.get("identity");
      const result = await withdraw(deps.store, {
        requestId,
        caller: { email: identity.email, subject: identity.subject },
        reason,
        now: deps.now(),
      });
      switch (result.outcome) {
        case "notFound":
          throw new ClientError(404, `No request ${requestId} of yours was found.`);
        case "settled":
          throw new ClientError(
            409,
            `Request ${requestId} is no longer pending, so it cannot be withdrawn: it is ${result.status}.`,
          );
        case "contended":
          throw apiRefusal(CONCURRENT_CHANGE);
        case "kept":
          deps.logger.info("Withdrawal kept until the request reaches decision", { requestId });
          return c.json({ requestId, status: "CANCELLED" as const }, 202);
        case "cancelled":
          deps.logger.info("Request withdrawn by its requester", { requestId });
          await publishOrLeaveToSweeper(deps.publishOwed, result.approval, result.keys, deps.logger);
          return c.json({ requestId, status: "CANCELLED" as const }, 200);
      }
    },
  );

  return app;
};
