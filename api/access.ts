import type { RouteConfig } from "@hono/zod-openapi";

/**
 * Who may call which route, declared on the route itself: the services enforce it, the CDK puts the
 * JWT authorizer on exactly these routes, and the OpenAPI document shows it. Browser-safe.
 */

/** The identity provider's groups (Cognito groups on AWS, `LOCAL_USERS` locally). */
export const GROUPS = ["requesters", "approvers", "operators"] as const;
export type Group = (typeof GROUPS)[number];

/** The OpenAPI security scheme of a signed-in caller: an OIDC access token as a bearer token. */
export const BEARER_SCHEME = "bearerAuth";

const GROUPS_EXTENSION = "x-groups";

/** Fields of a route only a signed-in member of one of `groups` may call. */
export const signedIn = (...groups: [Group, ...Group[]]) => ({
  security: [{ [BEARER_SCHEME]: [] }],
  [GROUPS_EXTENSION]: groups,
});

/** The groups a route admits, or undefined for a route anyone may call. */
export const groupsAdmittedTo = (route: RouteConfig): readonly Group[] | undefined =>
  (route as RouteConfig & { [GROUPS_EXTENSION]?: readonly Group[] })[GROUPS_EXTENSION];
