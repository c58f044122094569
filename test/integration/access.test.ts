import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { groupsAdmittedTo } from "../../api/access.ts";
import { API_ROUTES } from "../../api/contract.ts";
import { LOCAL_PORTAL_CLIENT_ID } from "../../infra/local/identity/portal-client.ts";
import { subjectOf } from "../../infra/local/identity/users.ts";
import {
  ANA,
  getRequest,
  localUsersEnv,
  OPERATOR_EMAIL,
  signedInAs,
  submit,
  validRequest,
  waitForStatus,
} from "../support/flow.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

/** Local mode's default users besides Ana: another requester, the approver asked, one not asked. */
const RILEY = "requester@example.com";
const ASKED_APPROVER = "approver@example.com";
const OTHER_APPROVER = "approver2@example.com";
const ONE_APPROVER_POLICY = fileURLToPath(new URL("../fixtures/policies/one-approver.json", import.meta.url));

describe("who may call the API, through tokens of the local provider", () => {
  let stack: StackUnderTest;
  /** Ana's request, which the only approver configured is asked to decide, and Riley's. */
  let anasRequest: string;
  let rileysRequest: string;

  beforeAll(async () => {
    // Its policy asks ASKED_APPROVER alone, though OTHER_APPROVER is in the group "approvers" too.
    stack = await startStack({ env: { APPROVAL_POLICIES: ONE_APPROVER_POLICY, ...localUsersEnv() } });
    const submitted = await submit(stack, validRequest({ requester: undefined }));
    const byRiley = await submit(stack, validRequest({ requester: undefined }), {}, RILEY);
    expect([submitted.status, byRiley.status]).toEqual([202, 202]);
    anasRequest = String(submitted.body.requestId);
    rileysRequest = String(byRiley.body.requestId);
    await waitForStatus(stack, anasRequest, "PENDING_APPROVAL");
    await waitForStatus(stack, rileysRequest, "PENDING_APPROVAL");
  });
  afterAll(() => stack?.destroy());

  const call = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${stack.portalUrl}${path}`, init);
    return {
      status: response.status,
      challenge: response.headers.get("www-authenticate"),
      body: (await response.json()) as Record<string, unknown>,
    };
  };
  const read = (path: string, as: string) => signedInAs(stack, as).then((headers) => call(path, { headers }));
  const listedFor = async (as: string) =>
    ((await read("/api/requests?limit=100", as)).body.items as { requestId: string }[]).map(
      (item) => item.requestId,
    );

  /** A token as the local provider shapes them, signed by `key` (its own, read from DATA_DIR, by default). */
  const mintToken = async ({
    claims = {},
    expiresIn = "1h",
    key,
  }: {
    claims?: JWTPayload;
    expiresIn?: string;
    key?: CryptoKey;
  } = {}) => {
    const providerKey = JSON.parse(
      await readFile(join(stack.dataDir, "identity", "signing-key.json"), "utf8"),
    ) as JWK;
    return new SignJWT({
      token_use: "access",
      client_id: LOCAL_PORTAL_CLIENT_ID,
      email: ANA.email,
      name: ANA.name,
      "cognito:groups": ["requesters", "operators"],
      ...claims,
    })
      .setProtectedHeader({ alg: "RS256", kid: String(providerKey.kid) })
      .setIssuer(`http://localhost:${stack.ports.identity}`)
      .setSubject("someone")
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(key ?? ((await importJWK(providerKey, "RS256")) as CryptoKey));
  };

  describe("signing in", () => {
    const signedInRoutes = API_ROUTES.filter((route) => groupsAdmittedTo(route));

    it("declares groups on every route but the health check and the OpenAPI document", () => {
      const open = API_ROUTES.filter((route) => !groupsAdmittedTo(route)).map(
        (route) => `${route.method.toUpperCase()} ${route.path}`,
      );
      expect(open.sort()).toEqual(["GET /api/health", "GET /api/openapi.json"]);
    });

    it.each(signedInRoutes.map((route) => [`${route.method.toUpperCase()} ${route.path}`, route] as const))(
      "answers %s with 401 and a Bearer challenge without a token",
      async (_, route) => {
        const path = route.path.replace(/\{\w+\}/g, "walk-1");
        const answer = await call(path, {
          method: route.method.toUpperCase(),
          ...(route.method !== "get" && { headers: { "content-type": "application/json" }, body: "{}" }),
        });

        expect(answer.status).toBe(401);
        expect(answer.challenge).toMatch(/^Bearer realm="approvals"$/);
        expect(answer.body).toEqual({ error: expect.stringContaining("Authorization: Bearer") });
      },
    );

    it("answers 401 with invalid_token for an expired, a tampered and another client's token", async () => {
      const refusals = [
        ["expired", await mintToken({ expiresIn: "-1m" }), "has expired"],
        [
          "tampered",
          await mintToken({ key: (await generateKeyPair("RS256")).privateKey }),
          "signature does not verify",
        ],
        [
          "another client's",
          await mintToken({ claims: { client_id: "other-app" } }),
          "issued for another client",
        ],
      ] as const;

      for (const [kind, token, problem] of refusals) {
        const answer = await call(`/api/requests/${anasRequest}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect({ kind, ...answer }).toEqual({
          kind,
          status: 401,
          challenge: expect.stringMatching(
            /^Bearer realm="approvals", error="invalid_token", error_description=".+"$/,
          ),
          body: { error: expect.stringContaining(problem) },
        });
      }
    });

    it("takes a token it minted the same way with the provider's own key (so the refusals above are the token's faults)", async () => {
      const answer = await call(`/api/requests/${anasRequest}`, {
        headers: { authorization: `Bearer ${await mintToken()}` },
      });

      expect(answer.status).toBe(200);
    });

    it("answers 403 in JSON to a signed-in user outside the route's groups: an operator submitting", async () => {
      const answer = await submit(stack, validRequest({ requester: undefined }), {}, OPERATOR_EMAIL);

      expect(answer).toEqual({ status: 403, body: { error: "Only members of requesters may do this" } });
    });
  });

  describe("identity decides, not input", () => {
    it("files the request under the signed-in requester, as the provider names her", async () => {
      const view = await getRequest(stack, anasRequest);

      expect(view?.requester).toEqual({ email: ANA.email, name: ANA.name, subject: subjectOf(ANA.email) });
    });

    it("refuses a body naming another requester with 400 naming requester", async () => {
      const answer = await submit(stack, validRequest({ requester: { email: RILEY, name: "Riley" } }));

      expect(answer.status).toBe(400);
      expect(answer.body.fieldErrors).toEqual([{ field: "requester", message: expect.any(String) }]);
    });

    it("accepts a body naming the signed-in requester in another case", async () => {
      const answer = await submit(stack, validRequest({ requester: { email: ANA.email.toUpperCase() } }));

      expect(answer.status).toBe(202);
    });
  });

  describe("who sees which request", () => {
    it("answers another user's request with 404, exactly as an unknown id", async () => {
      const others = await read(`/api/requests/${anasRequest}`, RILEY);
      const unknown = await read("/api/requests/no-such-request", RILEY);

      expect(others).toEqual({
        status: 404,
        challenge: null,
        body: { error: `No request with id ${anasRequest}` },
      });
      expect(unknown).toEqual({
        status: 404,
        challenge: null,
        body: { error: "No request with id no-such-request" },
      });
    });

    it("lists a requester's own requests only, even when they ask for someone else's", async () => {
      expect(await listedFor(RILEY)).toEqual([rileysRequest]);
      expect(
        (await read(`/api/requests?requester=${encodeURIComponent(ANA.email)}`, RILEY)).body.items,
      ).toEqual([]);
      expect(await listedFor(ANA.email)).not.toContain(rileysRequest);
      expect(await listedFor(ANA.email)).toContain(anasRequest);
    });

    it("shows an approver the requests they are asked to decide, and not to an approver who is not asked", async () => {
      expect((await read(`/api/requests/${anasRequest}`, ASKED_APPROVER)).status).toBe(200);
      expect(await listedFor(ASKED_APPROVER)).toEqual(expect.arrayContaining([anasRequest, rileysRequest]));

      expect((await read(`/api/requests/${anasRequest}`, OTHER_APPROVER)).status).toBe(404);
      expect(await listedFor(OTHER_APPROVER)).toEqual([]);
    });

    it("shows an operator every request", async () => {
      expect(await listedFor(OPERATOR_EMAIL)).toEqual(expect.arrayContaining([anasRequest, rileysRequest]));
      expect((await read(`/api/requests/${rileysRequest}`, OPERATOR_EMAIL)).status).toBe(200);
    });
  });
});
