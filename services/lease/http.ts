import { Logger } from "@aws-lambda-powertools/logger";
import type { MiddlewareHandler } from "hono";
import { extendLeaseRoute, releaseNowRoute } from "../../api/contract.ts";
import { parseDuration } from "../../events/duration.ts";
import { reasonSchema } from "../../events/request.ts";
import type { AccessTokenVerifier, Identity } from "../shared/access-token.ts";
import { ClientError } from "../shared/errors.ts";
import { acceptJsonBody, createServiceApp, optionalJsonBody } from "../shared/http.ts";
import { accessTokenVerifier, admitTo, type SignedInEnv } from "../shared/http-auth.ts";
import { publishOrLeaveToSweeper } from "../shared/outbox.ts";
import { leaseLimits, reminderOffsetsMs } from "./config.ts";
import {
  type CallerRole,
  extensionTransition,
  type LeaseRecord,
  LeaseRefusedError,
  releaseNowTransition,
  roleOf,
  type Transition,
} from "./domain.ts";
import type { OutboxPublisher } from "./outbox.ts";
import { changeLease, type LeaseStore } from "./store.ts";
import { now, publishOwed, store } from "./wiring.ts";

export interface LeaseAppDeps {
  store: Pick<LeaseStore, "get" | "put">;
  publishOwed: OutboxPublisher;
  /** LEASE_MIN, as written: no extension adds less. */
  leaseMin: string;
  /** LEASE_MAX, as written: no lease runs longer from its start, extensions included. */
  leaseMax: string;
  /** LEASE_REMINDERS in milliseconds, longest first: the timers an early release takes back. */
  reminderOffsetsMs: readonly number[];
  now: () => Date;
  logger: Logger;
  verifyAccessToken: () => AccessTokenVerifier;
}

/**
 * The lease routes: extend, for the request's requester only (an operator who also approves would
 * otherwise approve their own extension), and release now, for the requester (their own) and
 * operators (any). Anyone else, like an unknown id or a request not approved yet, gets 404. Each is
 * one write conditional on the lease as read, owing its event; the answer is 202 once that write
 * holds, and what it owes is done at once, or by the sweeper when doing it fails.
 */
export const createLeaseApp = ({
  store,
  publishOwed,
  leaseMin,
  leaseMax,
  reminderOffsetsMs,
  now,
  logger,
  verifyAccessToken,
}: LeaseAppDeps) => {
  const app = createServiceApp(logger);

  /**
   * Changes the lease of `requestId` as `change` says for a caller in one of `roles`; refusals become
   * 404 (not theirs to see), 409 (not now) or 400 (naming the body's field). What the write owes is
   * then done, or left to the sweeper.
   */
  const changeFor = async <T extends Transition>(
    requestId: string,
    identity: Identity,
    roles: readonly CallerRole[],
    change: (record: LeaseRecord, role: CallerRole) => T,
  ): Promise<T> => {
    try {
      const { record, written, keys } = await changeLease(
        store,
        requestId,
        (read) => {
          const role = read.request && roleOf(read.request, identity);
          if (!role || !roles.includes(role))
            throw new ClientError(404, `No leased request ${requestId} of yours was found.`);
          return change(read, role);
        },
        now(),
      );
      // `change` returns a transition or throws: a lease read is always written or refused.
      if (!written) throw new TypeError(`The lease of ${requestId} was read but neither changed nor refused`);
      await publishOrLeaveToSweeper(publishOwed, record, keys, logger);
      return written;
    } catch (error) {
      if (!(error instanceof LeaseRefusedError)) throw error;
      if (error.field === undefined) throw new ClientError(409, error.message, undefined, { cause: error });
      throw new ClientError(
        400,
        `Request is invalid: ${error.field} ${error.message}`,
        [{ field: error.field, message: error.message }],
        { cause: error },
      );
    }
  };

  const extendMiddleware: [MiddlewareHandler<SignedInEnv>, MiddlewareHandler] = [
    admitTo(extendLeaseRoute, verifyAccessToken),
    acceptJsonBody,
  ];
  app.openapi({ ...extendLeaseRoute, middleware: extendMiddleware }, async (c) => {
    const { id: requestId } = c.req.valid("param");
    const { by, justification } = c.req.valid("json");
    const identity = c.get("identity");
    const { extension } = await changeFor(requestId, identity, ["requester"], (read) =>
      extensionTransition(read, {
        byMs: parseDuration(by),
        justification,
        caller: identity,
        min: leaseMin,
        max: leaseMax,
        now: now(),
      }),
    );
    logger.info("Extension requested", { requestId, n: extension.n, until: extension.until });
    const { n, from, until } = extension;
    return c.json({ requestId, n, from, until, status: "REQUESTED" as const }, 202);
  });

  const releaseMiddleware: [MiddlewareHandler<SignedInEnv>, MiddlewareHandler] = [
    admitTo(releaseNowRoute, verifyAccessToken),
    optionalJsonBody,
  ];
  app.openapi({ ...releaseNowRoute, middleware: releaseMiddleware }, async (c) => {
    const { id: requestId } = c.req.valid("param");
    const note = noteOf(c.req.valid("json")?.reason);
    const identity = c.get("identity");
    const { release } = await changeFor(requestId, identity, ["requester", "operator"], (read, role) =>
      releaseNowTransition(read, {
        caller: identity,
        role,
        ...(note !== undefined && { note }),
        offsetsMs: reminderOffsetsMs,
        now: now(),
      }),
    );
    logger.info("Released early", { requestId, reason: release.reason, action: release.action });
    return c.json(
      { requestId, status: "RELEASING" as const, action: release.action, reason: release.reason },
      202,
    );
  });

  return app;
};

/** The release's reason as the caller wrote it, trimmed; none when empty; 400 naming it when it is not fit. */
const noteOf = (raw: string | undefined): string | undefined => {
  const result = reasonSchema.safeParse(raw ?? "");
  if (!result.success) {
    const message = result.error.issues[0]?.message ?? "is not accepted";
    throw new ClientError(400, `Request is invalid: reason ${message}`, [{ field: "reason", message }]);
  }
  return result.data === "" ? undefined : result.data;
};

export const app = createLeaseApp({
  store,
  publishOwed,
  leaseMin: leaseLimits.min,
  leaseMax: leaseLimits.max,
  reminderOffsetsMs,
  now,
  logger: new Logger({ serviceName: "lease" }),
  verifyAccessToken: accessTokenVerifier,
});
