import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { LOCAL_PORTAL_CLIENT_ID } from "./portal-client.ts";

/**
 * Signs in to the local provider as a browser would, through the real protocol: the authorization
 * request with PKCE, the sign-in page's form for the chosen user, the code at the token endpoint.
 * For `npm run token` and for tests; the portal signs in with its own OIDC client.
 */

export class IdentityProviderUnreachableError extends Error {
  override readonly name = "IdentityProviderUnreachableError";
}

export class UnknownLocalUserError extends Error {
  override readonly name = "UnknownLocalUserError";
  constructor(
    readonly email: string,
    readonly localUsers: readonly string[],
  ) {
    super(`${email} is not a local user; the local users are: ${localUsers.join(", ")}`);
  }
}

/** The provider answered a step of the protocol with something other than what the step expects. */
export class SignInProtocolError extends Error {
  override readonly name = "SignInProtocolError";
}

/** The token endpoint refused, with the OAuth error code it gave (`invalid_grant`, ...). */
export class TokenRequestError extends Error {
  override readonly name = "TokenRequestError";
  constructor(
    readonly error: string,
    description: string | undefined,
  ) {
    super(`The token endpoint refused: ${error}${description ? ` (${description})` : ""}`);
  }
}

const discoverySchema = z.object({
  issuer: z.string(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
});

const tokenResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.string(),
  expires_in: z.number(),
  id_token: z.string().optional(),
  refresh_token: z.string().optional(),
  scope: z.string().optional(),
});
export type TokenResponse = z.output<typeof tokenResponseSchema>;

const tokenErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

/** A code obtained for a user, and what its exchange at the token endpoint needs. */
export interface AuthorizationCodeGrant {
  tokenEndpoint: string;
  clientId: string;
  code: string;
  redirectUri: string;
  codeVerifier: string;
}

/** The provider's cookies for one sign-in, as a browser keeps them. */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  keep(response: Response) {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ""] = cookie.split(";");
      const separator = pair.indexOf("=");
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      if (value) this.cookies.set(name, value);
      else this.cookies.delete(name);
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

const HTML_ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&#39;": "'",
};
const unescapeHtml = (text: string) =>
  text.replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => HTML_ENTITIES[entity] ?? entity);

/** The sign-in page's forms: one per local user, each posting the user's email to the same action. */
const signInFormsOf = (page: string) => ({
  action: unescapeHtml(/<form method="post" action="([^"]+\/login)"/.exec(page)?.[1] ?? ""),
  emails: [...page.matchAll(/<input type="hidden" name="email" value="([^"]*)">/g)].map((match) =>
    unescapeHtml(match[1] ?? ""),
  ),
});

const base64url = (bytes: Buffer) => bytes.toString("base64url");

const fetchOrExplain = async (url: string, init: RequestInit, idpUrl: string) => {
  try {
    return await fetch(url, { ...init, redirect: "manual" });
  } catch (cause) {
    throw new IdentityProviderUnreachableError(
      `No identity provider answers at ${idpUrl} (${(cause as Error).cause ?? (cause as Error).message}). ` +
        "Is local mode running (npm start)? Set IDP_URL to use another.",
      { cause },
    );
  }
};

/** Signs `email` in at the provider at `idpUrl` and returns the authorization code it issued. */
export const signInAsLocalUser = async ({
  idpUrl,
  email,
  clientId = LOCAL_PORTAL_CLIENT_ID,
}: {
  idpUrl: string;
  email: string;
  clientId?: string;
}): Promise<AuthorizationCodeGrant> => {
  const discoveryAnswer = await fetchOrExplain(`${idpUrl}/.well-known/openid-configuration`, {}, idpUrl);
  // Whatever answered may not speak JSON at all: that too means it is no OpenID Provider.
  const discovery = discoverySchema.safeParse(
    discoveryAnswer.ok ? await discoveryAnswer.json().catch(() => undefined) : undefined,
  );
  if (!discovery.success)
    throw new SignInProtocolError(
      `${idpUrl} is not an OpenID Provider (discovery answered ${discoveryAnswer.status})`,
    );
  const { issuer, authorization_endpoint, token_endpoint } = discovery.data;
  const providerOrigin = new URL(authorization_endpoint).origin;

  const codeVerifier = base64url(randomBytes(32));
  const state = base64url(randomBytes(16));
  const authorization = new URL(authorization_endpoint);
  authorization.search = new URLSearchParams({
    client_id: clientId,
    response_type: "code",
    scope: "openid email profile",
    code_challenge: base64url(createHash("sha256").update(codeVerifier).digest()),
    code_challenge_method: "S256",
    state,
  }).toString();

  const cookies = new CookieJar();
  /** Follows the provider's redirects until it shows a page or sends the browser back to the client. */
  const browse = async (url: string, init: RequestInit = {}) => {
    let answer = await fetchOrExplain(
      url,
      { ...init, headers: { ...init.headers, cookie: cookies.header() } },
      idpUrl,
    );
    for (;;) {
      cookies.keep(answer);
      const location = answer.headers.get("location");
      if (answer.status < 300 || answer.status >= 400 || !location) return { page: answer };
      const next = new URL(location, answer.url || url);
      if (next.origin !== providerOrigin) return { callback: next };
      answer = await fetchOrExplain(next.href, { headers: { cookie: cookies.header() } }, idpUrl);
    }
  };

  const signInPage = await browse(authorization.href);
  if (!signInPage.page?.ok)
    throw new SignInProtocolError(
      `The authorization request did not lead to a sign-in page (${signInPage.page?.status})`,
    );
  const forms = signInFormsOf(await signInPage.page.text());
  const chosen = forms.emails.find((listed) => listed.toLowerCase() === email.toLowerCase());
  if (!chosen) throw new UnknownLocalUserError(email, forms.emails);

  const signedIn = await browse(new URL(forms.action, providerOrigin).href, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email: chosen }).toString(),
  });
  const callback = signedIn.callback;
  if (!callback)
    throw new SignInProtocolError(
      `Signing in as ${chosen} ended on a page (${signedIn.page?.status}), not the client`,
    );
  const params = callback.searchParams;
  if (params.get("error"))
    throw new SignInProtocolError(
      `Sign-in refused: ${params.get("error_description") ?? params.get("error")}`,
    );
  if (params.get("state") !== state || params.get("iss") !== issuer)
    throw new SignInProtocolError("The callback's state or issuer is not this sign-in's");
  return {
    tokenEndpoint: token_endpoint,
    clientId,
    code: params.get("code") ?? "",
    redirectUri: `${callback.origin}${callback.pathname}`,
    codeVerifier,
  };
};

const requestTokens = async (tokenEndpoint: string, form: Record<string, string>): Promise<TokenResponse> => {
  const answer = await fetchOrExplain(
    tokenEndpoint,
    {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
    },
    new URL(tokenEndpoint).origin,
  );
  const body: unknown = await answer.json().catch(() => undefined);
  if (!answer.ok) {
    const refusal = tokenErrorSchema.safeParse(body);
    throw new TokenRequestError(
      refusal.data?.error ?? `HTTP ${answer.status}`,
      refusal.data?.error_description,
    );
  }
  const tokens = tokenResponseSchema.safeParse(body);
  if (!tokens.success)
    throw new SignInProtocolError("The token endpoint answered without the expected tokens");
  return tokens.data;
};

/** The code's exchange; `codeVerifier` replaces the one the code was requested with (to see it refused). */
export const exchangeCode = (grant: AuthorizationCodeGrant, codeVerifier = grant.codeVerifier) =>
  requestTokens(grant.tokenEndpoint, {
    grant_type: "authorization_code",
    client_id: grant.clientId,
    code: grant.code,
    redirect_uri: grant.redirectUri,
    code_verifier: codeVerifier,
  });

/** New tokens for a refresh token (which the provider rotates: use the returned one next). */
export const refreshTokens = (
  grant: Pick<AuthorizationCodeGrant, "tokenEndpoint" | "clientId">,
  refreshToken: string,
) =>
  requestTokens(grant.tokenEndpoint, {
    grant_type: "refresh_token",
    client_id: grant.clientId,
    refresh_token: refreshToken,
  });
