import type { RouteConfig } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { createRemoteJWKSet } from "jose";
import { groupsAdmittedTo } from "../../api/access.ts";
import {
  type AccessTokenVerifier,
  createAccessTokenVerifier,
  type Identity,
  InvalidAccessTokenError,
} from "./access-token.ts";
import { env, loadConfig } from "./config.ts";
import { ClientError } from "./errors.ts";

/** What a signed-in route's handlers find in their context. */
export type SignedInEnv = { Variables: { identity: Identity } };

const REALM = "approvals";

/** A 401 that tells the client, in RFC 6750's words, to sign in (again). */
export class UnauthenticatedError extends ClientError {
  override readonly name = "UnauthenticatedError";
  constructor(problem?: InvalidAccessTokenError) {
    super(
      401,
      problem ? problem.message : "Sign in: this route needs an access token (Authorization: Bearer)",
      undefined,
      {
        cause: problem,
      },
    );
    this.headers["www-authenticate"] = problem
      ? `Bearer realm="${REALM}", error="invalid_token", error_description="${problem.message}"`
      : `Bearer realm="${REALM}"`;
  }
}

const bearerTokenOf = (c: Context): string | undefined => {
  const [scheme, token, ...rest] = (c.req.header("authorization") ?? "").trim().split(/\s+/);
  return scheme?.toLowerCase() === "bearer" && token && rest.length === 0 ? token : undefined;
};

/**
 * Admits a call to `route` only with a valid access token of a member of one of the route's groups:
 * 401 without one (or with an expired, tampered or foreign one), 403 for someone outside the groups.
 * A route that declares no groups is open. The identity is left in the context for the handler.
 */
export const admitTo =
  (route: RouteConfig, verify: () => AccessTokenVerifier): MiddlewareHandler<SignedInEnv> =>
  async (c, next) => {
    const groups = groupsAdmittedTo(route);
    if (!groups) return next();
    const token = bearerTokenOf(c);
    if (!token) throw new UnauthenticatedError();
    let identity: Identity;
    try {
      identity = await verify()(token);
    } catch (error) {
      if (error instanceof InvalidAccessTokenError) throw new UnauthenticatedError(error);
      throw error;
    }
    if (!identity.groups.some((group) => groups.includes(group))) {
      throw new ClientError(403, `Only members of ${groups.join(" or ")} may do this`);
    }
    c.set("identity", identity);
    return next();
  };

let configuredVerifier: AccessTokenVerifier | undefined;

/**
 * The verifier of this deployment's identity provider, built on first use so modules that serve no
 * signed-in route need no sign-in settings; the settings are read once and fail naming what is missing.
 */
export const accessTokenVerifier = (): AccessTokenVerifier => {
  if (!configuredVerifier) {
    const config = loadConfig({
      AUTH_ISSUER: env.url(),
      AUTH_AUDIENCE: env.text(),
      AUTH_JWKS_URL: env.url(),
    });
    configuredVerifier = createAccessTokenVerifier(
      { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE },
      createRemoteJWKSet(new URL(config.AUTH_JWKS_URL)),
    );
  }
  return configuredVerifier;
};
