import { Logger } from "@aws-lambda-powertools/logger";
import type { MiddlewareHandler } from "hono";
import {
  clearMyDelegationsRoute,
  getMyDelegationsRoute,
  setMyDelegationRoute,
} from "../../api/delegations.ts";
import { DelegationChanged } from "../../events/delegation-changed.ts";
import type { Publisher } from "../../events/publish.ts";
import type { AccessTokenVerifier } from "../shared/access-token.ts";
import { ClientError } from "../shared/errors.ts";
import { publisher } from "../shared/events.ts";
import { acceptJsonBody, createServiceApp } from "../shared/http.ts";
import { accessTokenVerifier, admitTo, type SignedInEnv } from "../shared/http-auth.ts";
import { checkWindow, DelegationRefusedError, type Delegations, withWindow } from "./domain.ts";
import { type DelegationStore, delegationStore } from "./store.ts";

export interface DelegationAppDeps {
  store: DelegationStore;
  publish: Publisher["publish"];
  now: () => Date;
  logger: Logger;
  verifyAccessToken: () => AccessTokenVerifier;
}

const UNANNOUNCED = {
  error: "The change is saved but the services that route requests were not told: send it again",
};
const RETRY_LATER = { "Retry-After": "5" };

/**
 * The approvers' delegation routes. A change is saved, then published as DelegationChanged (decision
 * keeps its own copy from it); if publishing fails the answer is 503, and sending the same change
 * again saves and publishes it anew, newer, so no consumer keeps the stale copy.
 */
export const createDelegationApp = ({
  store,
  publish,
  now,
  logger,
  verifyAccessToken,
}: DelegationAppDeps) => {
  const app = createServiceApp(logger);
  const signedInApprover = (route: Parameters<typeof admitTo>[0]) => admitTo(route, verifyAccessToken);

  const current = async (approver: string, at: Date): Promise<Delegations> => {
    const stored = await store.get(approver);
    // Ended windows are history nobody routes by: they are left out of every answer.
    const windows = (stored?.windows ?? []).filter(({ to }) => Date.parse(to) > at.getTime());
    return { approver, windows, changedAt: stored?.changedAt ?? at.toISOString() };
  };

  /** Saves the change, then publishes it; whether it went out (it is saved either way). */
  const saveAndAnnounce = async (delegations: Delegations): Promise<boolean> => {
    await store.put(delegations);
    try {
      await publish(DelegationChanged, delegations);
      return true;
    } catch (error) {
      logger.error("Delegation saved but not published", { approver: delegations.approver, error });
      return false;
    }
  };

  app.openapi(
    { ...getMyDelegationsRoute, middleware: signedInApprover(getMyDelegationsRoute) },
    async (c) => {
      const { approver, windows } = await current(c.get("identity").email.toLowerCase(), now());
      return c.json({ approver, windows }, 200);
    },
  );

  const setMiddleware: [MiddlewareHandler<SignedInEnv>, MiddlewareHandler] = [
    signedInApprover(setMyDelegationRoute),
    acceptJsonBody,
  ];
  app.openapi({ ...setMyDelegationRoute, middleware: setMiddleware }, async (c) => {
    const at = now();
    const approver = c.get("identity").email.toLowerCase();
    const body = c.req.valid("json");
    const window = { from: body.from, to: body.to, delegate: body.delegate.toLowerCase() };
    try {
      checkWindow({ approver, window, now: at, delegateDelegations: await store.get(window.delegate) });
    } catch (error) {
      if (error instanceof DelegationRefusedError) {
        throw new ClientError(
          400,
          `Request is invalid: ${error.message}`,
          [{ field: error.field, message: error.problem }],
          { cause: error },
        );
      }
      throw error;
    }
    const { windows } = await current(approver, at);
    const changed = { approver, windows: withWindow(windows, window, at), changedAt: at.toISOString() };
    if (!(await saveAndAnnounce(changed))) return c.json(UNANNOUNCED, 503, RETRY_LATER);
    return c.json({ approver, windows: changed.windows }, 200);
  });

  app.openapi(
    { ...clearMyDelegationsRoute, middleware: signedInApprover(clearMyDelegationsRoute) },
    async (c) => {
      const approver = c.get("identity").email.toLowerCase();
      if (!(await saveAndAnnounce({ approver, windows: [], changedAt: now().toISOString() })))
        return c.json(UNANNOUNCED, 503, RETRY_LATER);
      return c.json({ approver, windows: [] }, 200);
    },
  );

  return app;
};

export const app = createDelegationApp({
  store: delegationStore,
  publish: publisher.publish,
  now: () => new Date(),
  logger: new Logger({ serviceName: "delegation" }),
  verifyAccessToken: accessTokenVerifier,
});
