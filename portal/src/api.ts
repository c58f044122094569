import type { RouteConfig } from "@hono/zod-openapi";
import { groupsAdmittedTo } from "../../api/access.ts";
import { type ApiClient, ApiError, createApiClient, type RouteInput } from "../../api/client.ts";
import type { RequestView, RequestWithTimeline } from "../../api/schemas.ts";
import type { Session, SignedInUser } from "./sign-in.ts";

let session: Session | undefined;

/** Every call from now on carries this session's access token. */
export const useSession = (signedIn: Session) => {
  session = signedIn;
};

/** A call before `useSession`: the portal's start is out of order, nothing the user did. */
class NoSessionError extends Error {
  override readonly name = "NoSessionError";
}

/** The portal is served from the API's own origin; each call asks the session for a current token. */
const client = createApiClient(window.location.origin, fetch, () => {
  if (!session) throw new NoSessionError("The portal called the API before signing in");
  return session.accessToken();
});

/**
 * The API as the signed-in user. A 401 means the API no longer takes the token (revoked, or its keys
 * changed): the user signs in again and comes back to the page, instead of reading a refusal.
 */
export const api: ApiClient = {
  call: async <R extends RouteConfig>(route: R, input: RouteInput<R>) => {
    try {
      const answer = await client.call(route, input);
      // Only a route that checks the token says it is good.
      if (groupsAdmittedTo(route)) session?.tokenAccepted();
      return answer;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401 && session) await session.signInAgain();
      throw error;
    }
  },
};

/**
 * Whether the API lets `user` call `route`, by the groups the route itself declares: the portal offers
 * only what the API would do for them.
 */
export const admits = (route: RouteConfig, user: SignedInUser): boolean => {
  const groups = groupsAdmittedTo(route);
  return groups === undefined || groups.some((group) => user.groups.includes(group));
};

/** A request the request page can show: the audit API's view, or what the form has just submitted. */
export type ShownRequest = Pick<RequestView, "requestId" | "status"> & Partial<RequestWithTimeline>;
