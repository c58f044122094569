import { type User, UserManager } from "oidc-client-ts";
import { z } from "zod";
import { GROUPS, type Group } from "../../api/access.ts";
import { PORTAL_CONFIG_PATH, portalConfigSchema } from "../../api/portal-config.ts";

/** Where the provider sends the browser back with a code: the one page that needs no sign-in. */
export const CALLBACK_PATH = "/auth/callback";

/** Who is signed in, as the provider's ID token names them. */
export interface SignedInUser {
  name: string;
  email: string;
  groups: readonly Group[];
}

/** The signed-in browser: who it is, a current access token, and the ways out. */
export interface Session {
  user: SignedInUser;
  /** The access token to call the API with, renewed first if it has expired. */
  accessToken(): Promise<string>;
  /**
   * After the API refused the token: sends the browser to the provider and back to this very page,
   * never resolving. Resolves at once, staying, when the API refused even the token of that new
   * sign-in, as asking again would only loop.
   */
  signInAgain(): Promise<void>;
  /** The API took the token: a later refusal may sign in again. */
  tokenAccepted(): void;
  signOut(): Promise<void>;
}

export class PortalConfigError extends Error {
  override readonly name = "PortalConfigError";
}

/** Signing in came back with a refusal, or with an answer this browser did not ask for. */
export class SignInFailedError extends Error {
  override readonly name = "SignInFailedError";
}

const loadPortalConfig = async () => {
  const response = await fetch(PORTAL_CONFIG_PATH, { cache: "no-store" }).catch((cause: unknown) => {
    throw new PortalConfigError(`Cannot load ${PORTAL_CONFIG_PATH}`, { cause });
  });
  const parsed = portalConfigSchema.safeParse(await response.json().catch(() => undefined));
  if (!response.ok || !parsed.success)
    throw new PortalConfigError(`${PORTAL_CONFIG_PATH} does not say how to sign in (${response.status})`, {
      cause: parsed.error,
    });
  return parsed.data.signIn;
};

const claimsSchema = z.object({
  name: z.string().optional(),
  email: z.string(),
  // Cognito leaves the claim out for a user in no group.
  "cognito:groups": z.array(z.string()).default([]),
});

export const signedInUserOf = (profile: unknown): SignedInUser => {
  const claims = claimsSchema.parse(profile);
  return {
    name: claims.name ?? claims.email,
    email: claims.email,
    groups: GROUPS.filter((group) => claims["cognito:groups"].includes(group)),
  };
};

/** What the sign-in carries through the provider: the page the visitor asked for. */
const returnStateSchema = z.object({ returnTo: z.string() });

/** Only a path of this portal, so a forged state cannot send the browser elsewhere. */
export const returnPathOf = (state: unknown): string => {
  const returnTo = returnStateSchema.safeParse(state).data?.returnTo ?? "/";
  const isOwnPath = returnTo.startsWith("/") && !returnTo.startsWith("//") && !returnTo.startsWith("/\\");
  return isOwnPath && !returnTo.startsWith(CALLBACK_PATH) ? returnTo : "/";
};

/** Set while signing in again after a 401, until the API takes a token: survives the redirects. */
const SIGNING_IN_AGAIN_KEY = "approvals.signingInAgain";

/**
 * Signs the browser in with the provider `/config.json` names (authorization code with PKCE), or
 * finishes a sign-in on the callback page. Answers the session, or never resolves while the browser is
 * on its way to the provider. The refresh token renews the access token a minute before it expires; a
 * renewal that fails asks to sign in again rather than letting calls fail.
 */
export const startSession = async (): Promise<Session> => {
  const { authority, clientId, scope } = await loadPortalConfig();
  const origin = window.location.origin;
  const manager = new UserManager({
    authority,
    client_id: clientId,
    scope,
    response_type: "code",
    redirect_uri: `${origin}${CALLBACK_PATH}`,
    post_logout_redirect_uri: `${origin}/`,
    automaticSilentRenew: true,
  });
  const redirectToSignIn = async (): Promise<never> => {
    const { pathname, search, hash } = window.location;
    await manager.signinRedirect({ state: { returnTo: `${pathname}${search}${hash}` } });
    return new Promise<never>(() => undefined);
  };

  let user: User | null;
  if (window.location.pathname === CALLBACK_PATH) {
    user = await manager.signinRedirectCallback().catch((cause: unknown) => {
      throw new SignInFailedError(cause instanceof Error ? cause.message : "Signing in did not finish", {
        cause,
      });
    });
    window.history.replaceState(null, "", returnPathOf(user.state));
  } else {
    user = await manager.getUser();
    if (user?.expired) user = await manager.signinSilent().catch(() => null);
    if (!user) return redirectToSignIn();
  }

  manager.events.addUserLoaded((renewed) => {
    user = renewed;
  });
  manager.events.addSilentRenewError(() => void redirectToSignIn());
  return {
    user: signedInUserOf(user.profile),
    accessToken: async () => {
      if (!user || user.expired) user = await manager.signinSilent().catch(() => null);
      return user ? user.access_token : redirectToSignIn();
    },
    signInAgain: async () => {
      if (sessionStorage.getItem(SIGNING_IN_AGAIN_KEY)) return;
      sessionStorage.setItem(SIGNING_IN_AGAIN_KEY, "true");
      await manager.removeUser();
      await redirectToSignIn();
    },
    tokenAccepted: () => sessionStorage.removeItem(SIGNING_IN_AGAIN_KEY),
    signOut: () => manager.signoutRedirect(),
  };
};
