import { join } from "node:path";
// On Node.js 20, importing oidc-provider prints "WARNING: Unsupported runtime": its lib/index.js checks
// at load that `process.release.lts` is Node 22's ("Jod") or later, as its maintainer supports only the
// current LTS lines. No option or variable turns the check off, and faking the runtime or muting
// console.warn would hide real warnings, so local mode lets it print; it goes away on Node.js 22.
import Provider, { type Account, type Configuration, errors } from "oidc-provider";
import { fileAdapter } from "./file-adapter.ts";
import { type IdentityKeys, SIGNING_ALGORITHM } from "./keys.ts";
import { messagePage, signOutPage } from "./pages.ts";
import { LOCAL_PORTAL_CLIENT_ID, PORTAL_CALLBACK_PATH } from "./portal-client.ts";
import { type LocalUser, subjectOf } from "./users.ts";

const ACCESS_TOKEN_TTL_SECONDS = 60 * 60;
// Cognito's default for refresh tokens: a month of staying signed in.
const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;
const SIGN_IN_TTL_SECONDS = 10 * 60;
// As Cognito's managed login: after an hour, signing in again asks who you are (so you can switch user).
const BROWSER_SESSION_TTL_SECONDS = 60 * 60;

/** What a Cognito access token for the portal carries as `scope`, and all the portal asks for. */
const PORTAL_SCOPES = "openid email profile";

export interface LocalProviderOptions {
  issuer: string;
  publicUrl: string;
  users: readonly LocalUser[];
  keys: IdentityKeys;
  dataDir: string;
}

/** The claims Cognito puts in tokens about a user, and which our API reads. */
const userClaims = (user: LocalUser) => ({
  email: user.email,
  email_verified: true,
  name: user.name,
  "cognito:groups": [...user.groups],
});

/**
 * An OpenID Provider configured as Cognito's managed login behaves for the portal: authorization code
 * with PKCE (S256) for one public client, JWT access tokens carrying Cognito's claims, refresh tokens,
 * end-session. Consent is not asked: the portal is first-party (see the interaction routes).
 */
export const createLocalProvider = ({ issuer, publicUrl, users, keys, dataDir }: LocalProviderOptions) => {
  const usersBySubject = new Map(users.map((user) => [subjectOf(user.email), user]));
  // The API as a resource: every access token is for it, so every access token is a JWT.
  const apiResource = `${publicUrl}/api`;

  const findAccount = (subject: string): Account | undefined => {
    const user = usersBySubject.get(subject);
    if (!user) return undefined;
    return {
      accountId: subject,
      claims: (use) => ({
        sub: subject,
        ...userClaims(user),
        ...(use === "id_token" && { token_use: "id" }),
      }),
    };
  };

  const configuration: Configuration = {
    adapter: fileAdapter(join(dataDir, "identity", "store.json")),
    jwks: { keys: [keys.signingKey] },
    cookies: { keys: keys.cookieKeys },
    clients: [
      {
        client_id: LOCAL_PORTAL_CLIENT_ID,
        client_name: "Resource approvals portal",
        application_type: "web",
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        redirect_uris: [`${publicUrl}${PORTAL_CALLBACK_PATH}`],
        post_logout_redirect_uris: [`${publicUrl}/`],
        id_token_signed_response_alg: SIGNING_ALGORITHM,
      },
    ],
    clientAuthMethods: ["none"],
    responseTypes: ["code"],
    pkce: { required: () => true },
    scopes: PORTAL_SCOPES.split(" "),
    claims: {
      openid: ["sub", "cognito:groups", "token_use"],
      email: ["email", "email_verified"],
      profile: ["name"],
    },
    // As Cognito: the ID token carries the user's claims, not only `sub`.
    conformIdTokenClaims: false,
    findAccount: (_ctx, subject) => findAccount(subject),
    extraTokenClaims: (_ctx, token) => {
      const user = "accountId" in token ? usersBySubject.get(token.accountId) : undefined;
      return user && { token_use: "access", ...userClaims(user) };
    },
    // Cognito issues a refresh token with every code; it has no offline_access scope to ask for one.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    // Tokens live their own lifetimes (sign-out still revokes them), as Cognito's outlive its login session.
    expiresWithSession: () => false,
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => apiResource,
        // The portal never names the resource: its code and refresh token are for the API.
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== apiResource) throw new errors.InvalidTarget(`the only resource is ${apiResource}`);
          return {
            scope: PORTAL_SCOPES,
            // The client id, as API Gateway's JWT authorizer compares `aud` (else `client_id`) with it.
            audience: LOCAL_PORTAL_CLIENT_ID,
            accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: SIGNING_ALGORITHM } },
          };
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.type = "html";
          ctx.body = signOutPage(form).value;
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.type = "html";
          ctx.body = messagePage("Signed out", "You are signed out.").value;
        },
      },
    },
    clientBasedCORS: (_ctx, origin, client) =>
      client.redirectUris?.some((uri) => new URL(uri).origin === origin) ?? false,
    renderError: (ctx, out) => {
      ctx.type = "html";
      ctx.body = messagePage("Sign-in failed", out.error_description ?? out.error).value;
    },
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL_SECONDS,
      AuthorizationCode: 60,
      IdToken: ACCESS_TOKEN_TTL_SECONDS,
      // A refresh rotates the token but keeps its end: a month after sign-in, as Cognito's.
      RefreshToken: (ctx) =>
        ctx?.oidc?.entities.RotatedRefreshToken?.remainingTTL ?? REFRESH_TOKEN_TTL_SECONDS,
      Grant: REFRESH_TOKEN_TTL_SECONDS,
      Session: BROWSER_SESSION_TTL_SECONDS,
      Interaction: SIGN_IN_TTL_SECONDS,
    },
  };
  return new Provider(issuer, configuration);
};
