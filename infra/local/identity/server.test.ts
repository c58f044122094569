import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LOCAL_PORTAL_CLIENT_ID } from "./portal-client.ts";
import { type RunningIdentityProvider, startIdentityProvider } from "./server.ts";
import {
  exchangeCode,
  refreshTokens,
  SignInProtocolError,
  signInAsLocalUser,
  TokenRequestError,
} from "./sign-in-client.ts";
import { DEFAULT_LOCAL_USERS, type LocalUser, subjectOf } from "./users.ts";

const PUBLIC_URL = "http://localhost:3999";

let dataDir: string;
let running: RunningIdentityProvider[] = [];

const start = async (users: readonly LocalUser[] = DEFAULT_LOCAL_USERS) => {
  const provider = await startIdentityProvider({
    host: "127.0.0.1",
    port: 0,
    dataDir,
    publicUrl: PUBLIC_URL,
    users,
  });
  running.push(provider);
  return provider;
};

const verify = (provider: RunningIdentityProvider, token: string) =>
  jwtVerify(token, createRemoteJWKSet(new URL(`${provider.url}/jwks`)), { issuer: provider.url });

/** A browser's first steps: the authorization request, then the sign-in page it is sent to. */
const openSignIn = async (provider: RunningIdentityProvider) => {
  const cookies = new Map<string, string>();
  const go = async (url: string, init: RequestInit = {}) => {
    const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const answer = await fetch(url, { ...init, redirect: "manual", headers: { ...init.headers, cookie } });
    for (const set of answer.headers.getSetCookie()) {
      const [name = "", value = ""] = (set.split(";")[0] ?? "").split("=");
      cookies.set(name, value);
    }
    return answer;
  };
  const authorization = new URL(`${provider.url}/auth`);
  authorization.search = new URLSearchParams({
    client_id: LOCAL_PORTAL_CLIENT_ID,
    response_type: "code",
    scope: "openid email profile",
    code_challenge: createHash("sha256").update(randomBytes(32)).digest("base64url"),
    code_challenge_method: "S256",
  }).toString();
  const interactionUrl = (await go(authorization.href)).headers.get("location") ?? "";
  const page = await go(new URL(interactionUrl, provider.url).href);
  return { go, interactionUrl: new URL(interactionUrl, provider.url).href, page };
};

const requestWithHost = (provider: RunningIdentityProvider, host: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: "127.0.0.1",
        port: provider.port,
        path: "/.well-known/openid-configuration",
        headers: { host },
      },
      (answer) => {
        let body = "";
        answer.on("data", (chunk) => {
          body += chunk;
        });
        answer.on("end", () => resolve({ status: answer.statusCode ?? 0, body }));
      },
    );
    outgoing.on("error", reject).end();
  });

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "identity-"));
});

afterEach(async () => {
  await Promise.all(running.map((provider) => provider.close()));
  running = [];
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the local OpenID Provider", () => {
  it("advertises the authorization code flow with S256 PKCE only, and its JWKS", async () => {
    const provider = await start();

    const discovery = await (await fetch(`${provider.url}/.well-known/openid-configuration`)).json();

    expect(discovery).toMatchObject({
      issuer: provider.url,
      response_types_supported: ["code"],
      code_challenge_methods_supported: ["S256"],
      jwks_uri: `${provider.url}/jwks`,
      end_session_endpoint: `${provider.url}/session/end`,
    });
    expect(discovery.grant_types_supported).toEqual(
      expect.arrayContaining(["authorization_code", "refresh_token"]),
    );
    expect(discovery.grant_types_supported).not.toContain("implicit");
    expect(discovery.grant_types_supported).not.toContain("password");
    const jwks = await (await fetch(discovery.jwks_uri)).json();
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: "RSA", alg: "RS256", use: "sig" })]);
    expect(jwks.keys[0]).not.toHaveProperty("d");
  });

  it("issues a user an access token with Cognito's claims, signed by a key of its JWKS", async () => {
    const provider = await start();

    const tokens = await exchangeCode(
      await signInAsLocalUser({ idpUrl: provider.url, email: "approver2@example.com" }),
    );
    const { payload, protectedHeader } = await verify(provider, tokens.access_token);

    expect(protectedHeader.alg).toBe("RS256");
    expect(payload).toMatchObject({
      iss: provider.url,
      sub: subjectOf("approver2@example.com"),
      client_id: LOCAL_PORTAL_CLIENT_ID,
      token_use: "access",
      scope: "openid email profile",
      email: "approver2@example.com",
      email_verified: true,
      name: "Alex Approver",
      "cognito:groups": ["approvers"],
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
    expect(tokens.expires_in).toBe(3600);
  });

  it("puts the user's email, name and groups in the ID token too", async () => {
    const provider = await start();

    const tokens = await exchangeCode(
      await signInAsLocalUser({ idpUrl: provider.url, email: "operator@example.com" }),
    );
    const { payload } = await verify(provider, tokens.id_token ?? "");

    expect(payload).toMatchObject({
      aud: LOCAL_PORTAL_CLIENT_ID,
      token_use: "id",
      email: "operator@example.com",
      name: "Oakley Operator",
      "cognito:groups": ["operators"],
    });
  });

  it("refuses a code exchanged with another PKCE verifier than the one it was requested with", async () => {
    const provider = await start();
    const grant = await signInAsLocalUser({ idpUrl: provider.url, email: "requester@example.com" });

    const exchange = exchangeCode(grant, randomBytes(32).toString("base64url"));

    await expect(exchange).rejects.toThrow(TokenRequestError);
    await expect(exchange).rejects.toMatchObject({ error: "invalid_grant" });
  });

  it("refuses an authorization request without PKCE, and one for a redirect URI the portal did not register", async () => {
    const provider = await start();
    const ask = (parameters: Record<string, string>) =>
      fetch(
        `${provider.url}/auth?${new URLSearchParams({
          client_id: LOCAL_PORTAL_CLIENT_ID,
          response_type: "code",
          scope: "openid email profile",
          ...parameters,
        })}`,
        { redirect: "manual" },
      );

    const withoutPkce = await ask({});
    const back = new URL(withoutPkce.headers.get("location") ?? "", provider.url);
    expect(`${back.origin}${back.pathname}`).toBe(`${PUBLIC_URL}/auth/callback`);
    expect(back.searchParams.get("error")).toBe("invalid_request");

    const challenge = createHash("sha256").update(randomBytes(32)).digest("base64url");
    const elsewhere = await ask({
      code_challenge: challenge,
      code_challenge_method: "S256",
      redirect_uri: "https://attacker.example/callback",
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.headers.get("location")).toBeNull();
  });

  it("is told apart from a server that is no OpenID Provider, whatever that server answers", async () => {
    const notAProvider = createServer((_, answer) =>
      answer.writeHead(200, { "content-type": "text/html" }).end("<p>hi"),
    );
    notAProvider.listen(0, "127.0.0.1");
    await once(notAProvider, "listening");
    const { port } = notAProvider.address() as AddressInfo;
    try {
      await expect(
        signInAsLocalUser({ idpUrl: `http://127.0.0.1:${port}`, email: "requester@example.com" }),
      ).rejects.toThrow(SignInProtocolError);
    } finally {
      notAProvider.close();
    }
  });

  it("refreshes: a refresh token buys a new access token for the same user, and is rotated", async () => {
    const provider = await start();
    const grant = await signInAsLocalUser({ idpUrl: provider.url, email: "requester@example.com" });
    const first = await exchangeCode(grant);

    const refreshed = await refreshTokens(grant, first.refresh_token ?? "");

    const { payload } = await verify(provider, refreshed.access_token);
    expect(payload).toMatchObject({
      sub: subjectOf("requester@example.com"),
      "cognito:groups": ["requesters"],
    });
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(first.refresh_token);
  });

  it("keeps its signing key and sessions across a restart on the same data directory", async () => {
    const before = await start();
    const grant = await signInAsLocalUser({ idpUrl: before.url, email: "approver@example.com" });
    const tokens = await exchangeCode(grant);
    await before.close();

    const after = await startIdentityProvider({
      host: "127.0.0.1",
      port: before.port,
      dataDir,
      publicUrl: PUBLIC_URL,
      users: DEFAULT_LOCAL_USERS,
    });
    running.push(after);

    await expect(verify(after, tokens.access_token)).resolves.toMatchObject({
      payload: { email: "approver@example.com" },
    });
    const refreshed = await refreshTokens(grant, tokens.refresh_token ?? "");
    expect(decodeJwt(refreshed.access_token).email).toBe("approver@example.com");
    expect(statSync(join(dataDir, "identity", "signing-key.json")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, "identity", "cookie-keys.json")).mode & 0o777).toBe(0o600);
  });

  it("answers 421 to a Host other than localhost, 127.0.0.1 and PUBLIC_URL's, against DNS rebinding", async () => {
    const provider = await start();

    const rebound = await requestWithHost(provider, `rebind.example:${provider.port}`);

    expect(rebound.status).toBe(421);
    expect(JSON.parse(rebound.body)).toMatchObject({ error: "misdirected_request" });
    expect((await requestWithHost(provider, `127.0.0.1:${provider.port}`)).status).toBe(200);
    expect((await requestWithHost(provider, `localhost:${provider.port}`)).status).toBe(200);
  });
});

describe("the local sign-in page", () => {
  it("lists every local user with a Sign in button, names escaped, never cached nor framed", async () => {
    const users: LocalUser[] = [
      { email: "kim@example.com", name: "Kim <script>alert(1)</script> & Co", groups: ["requesters"] },
      { email: "lee@example.com", name: "Lee", groups: ["approvers", "operators"] },
    ];
    const provider = await start(users);

    const { page } = await openSignIn(provider);
    const markup = await page.text();

    expect(page.status).toBe(200);
    expect(markup).toContain("Kim &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co");
    expect(markup).not.toContain("<script>");
    expect(markup).toContain('value="kim@example.com"');
    expect(markup).toContain('value="lee@example.com"');
    expect(markup.match(/>Sign in<\/button>/g)).toHaveLength(2);
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });

  it("refuses a form naming no local user, listing the users again", async () => {
    const provider = await start();
    const { go, interactionUrl } = await openSignIn(provider);

    const refused = await go(`${interactionUrl}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "email=mallory%40example.com",
    });

    expect(refused.status).toBe(400);
    const markup = await refused.text();
    expect(markup).toContain("mallory@example.com is not a local user");
    expect(markup).toContain('value="requester@example.com"');
  });

  it("sends the browser back to the portal with access_denied when the user cancels", async () => {
    const provider = await start();
    const { go, interactionUrl } = await openSignIn(provider);

    const resume = await go(`${interactionUrl}/abort`, { method: "POST" });
    const callback = await go(new URL(resume.headers.get("location") ?? "", provider.url).href);

    const location = new URL(callback.headers.get("location") ?? "");
    expect(`${location.origin}${location.pathname}`).toBe(`${PUBLIC_URL}/auth/callback`);
    expect(location.searchParams.get("error")).toBe("access_denied");
  });
});
