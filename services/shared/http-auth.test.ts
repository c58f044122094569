import { createRoute, z } from "@hono/zod-openapi";
import { generateKeyPair } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { signedIn } from "../../api/access.ts";
import { silentLogger } from "../../test/support/fakes.ts";
import { createServiceApp } from "./http.ts";
import { admitTo } from "./http-auth.ts";
import {
  APPROVER,
  OPERATOR,
  REQUESTER,
  startTestIdentityProvider,
  type TestIdentityProvider,
} from "./testing/access-tokens.ts";

const whoAmIRoute = createRoute({
  method: "get",
  path: "/who-am-i",
  ...signedIn("requesters", "approvers"),
  responses: {
    200: { description: "The caller", content: { "application/json": { schema: z.looseObject({}) } } },
  },
});

const openRoute = createRoute({
  method: "get",
  path: "/open",
  responses: {
    200: { description: "Anyone", content: { "application/json": { schema: z.looseObject({}) } } },
  },
});

let identityProvider: TestIdentityProvider;
let app: ReturnType<typeof createServiceApp>;

beforeAll(async () => {
  identityProvider = await startTestIdentityProvider();
  app = createServiceApp(silentLogger());
  const middleware = admitTo(whoAmIRoute, identityProvider.verifyAccessToken);
  app.openapi({ ...whoAmIRoute, middleware }, (c) => {
    const { groups, ...identity } = c.get("identity");
    return c.json({ ...identity, groups: [...groups] }, 200);
  });
  const openMiddleware = admitTo(openRoute, () => {
    throw new Error("an open route must not verify anything");
  });
  // An open route has no identity to hand on: the context holds none.
  app.openapi({ ...openRoute, middleware: openMiddleware }, (c) =>
    c.json({ identity: c.var.identity ?? null }, 200),
  );
});

const call = (authorization?: string) =>
  app.request("/who-am-i", { headers: authorization === undefined ? {} : { authorization } });

/** A refusal's status, challenge and body. */
const refusalOf = async (response: Response) => ({
  status: response.status,
  challenge: response.headers.get("www-authenticate"),
  body: (await response.json()) as { error: string },
});

describe("admitTo", () => {
  it("admits a member of one of the route's groups and hands the handler their identity", async () => {
    const response = await call(`Bearer ${await identityProvider.accessToken(APPROVER)}`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      subject: `sub-${APPROVER.email}`,
      email: APPROVER.email,
      name: APPROVER.name,
      groups: ["approvers"],
    });
  });

  it("reads the Bearer scheme whatever its case", async () => {
    const response = await call(`bearer ${await identityProvider.accessToken(REQUESTER)}`);

    expect(response.status).toBe(200);
  });

  it("answers 401 with a bare Bearer challenge when no token is sent", async () => {
    expect(await refusalOf(await call())).toEqual({
      status: 401,
      challenge: 'Bearer realm="approvals"',
      body: { error: expect.stringContaining("Authorization: Bearer") },
    });
  });

  it("answers 401 to credentials of another scheme, or a header with more than a token", async () => {
    const token = await identityProvider.accessToken(REQUESTER);

    for (const authorization of [
      `Basic ${Buffer.from("ana:secret").toString("base64")}`,
      `Bearer ${token} x`,
    ]) {
      const { status, challenge } = await refusalOf(await call(authorization));
      expect({ authorization, status, challenge }).toEqual({
        authorization,
        status: 401,
        challenge: 'Bearer realm="approvals"',
      });
    }
  });

  it.each([
    ["an expired token", { expiresIn: "-1m" }, "The access token has expired"],
    ["a token of another client", { claims: { client_id: "other-app" } }, "issued for another client"],
    ["an ID token rather than an access token", { claims: { token_use: "id" } }, "is not an access token"],
  ] as const)("answers 401 with invalid_token for %s", async (_, options, problem) => {
    const token = await identityProvider.accessToken(REQUESTER, options);

    const { status, challenge, body } = await refusalOf(await call(`Bearer ${token}`));

    expect(status).toBe(401);
    expect(challenge).toMatch(/^Bearer realm="approvals", error="invalid_token", error_description="/);
    expect(challenge).toContain(problem);
    expect(body.error).toContain(problem);
  });

  it("answers 401 for a token signed by another key, and for one whose claims were changed", async () => {
    const forged = await identityProvider.accessToken(OPERATOR, { key: await generateKeyPair("RS256") });
    const [header, , signature] = (await identityProvider.accessToken(REQUESTER)).split(".");
    const promoted = Buffer.from(
      JSON.stringify({ ...REQUESTER, token_use: "access", "cognito:groups": ["approvers"] }),
    ).toString("base64url");

    for (const token of [forged, `${header}.${promoted}.${signature}`]) {
      const { status, challenge } = await refusalOf(await call(`Bearer ${token}`));
      expect(status).toBe(401);
      expect(challenge).toContain("The access token's signature does not verify");
    }
  });

  it("answers 403 in JSON, without a challenge, to a signed-in user outside the route's groups", async () => {
    const { status, challenge, body } = await refusalOf(
      await call(`Bearer ${await identityProvider.accessToken(OPERATOR)}`),
    );

    expect({ status, challenge, body }).toEqual({
      status: 403,
      challenge: null,
      body: { error: "Only members of requesters or approvers may do this" },
    });
  });

  it("lets anyone call a route that declares no groups, without verifying anything", async () => {
    const response = await app.request("/open", { headers: { authorization: "Bearer not-a-token" } });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ identity: null });
  });
});
