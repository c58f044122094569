import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { createAccessTokenVerifier, InvalidAccessTokenError } from "./access-token.ts";

const ISSUER = "https://idp.example.com";
const AUDIENCE = "portal";

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
let signingKey: KeyPair;
let strangerKey: KeyPair;
let verify: ReturnType<typeof createAccessTokenVerifier>;

beforeAll(async () => {
  signingKey = await generateKeyPair("RS256");
  strangerKey = await generateKeyPair("RS256");
  const jwks = createLocalJWKSet({
    keys: [{ ...(await exportJWK(signingKey.publicKey)), kid: "k1", alg: "RS256" }],
  });
  verify = createAccessTokenVerifier({ issuer: ISSUER, audience: AUDIENCE }, jwks);
});

/** An access token as Cognito issues it (client_id, no aud), with `claims` changed. */
const accessToken = (claims: JWTPayload = {}, { key = signingKey, expiresIn = "1h" } = {}) =>
  new SignJWT({
    token_use: "access",
    client_id: AUDIENCE,
    email: "ana@example.com",
    name: "Ana",
    "cognito:groups": ["requesters", "beta-testers"],
    ...claims,
  })
    .setProtectedHeader({ alg: "RS256", kid: "k1" })
    .setIssuer(ISSUER)
    .setSubject("user-ana")
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(key.privateKey);

const refusalOf = async (token: string) => {
  const error = await verify(token).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(InvalidAccessTokenError);
  return (error as Error).message;
};

describe("verifying an access token", () => {
  it("reads the identity the provider gives, keeping only the groups the API knows", async () => {
    expect(await verify(await accessToken())).toEqual({
      subject: "user-ana",
      email: "ana@example.com",
      name: "Ana",
      groups: ["requesters"],
    });
  });

  it("accepts the client in aud as well as in client_id, as API Gateway's JWT authorizer does", async () => {
    const identity = await verify(await accessToken({ client_id: undefined, aud: ["api", AUDIENCE] }));
    expect(identity.subject).toBe("user-ana");
  });

  it("refuses a token of another client", async () => {
    expect(await refusalOf(await accessToken({ client_id: "other-app" }))).toBe(
      "The access token was issued for another client",
    );
  });

  it("refuses an expired token", async () => {
    expect(await refusalOf(await accessToken({}, { expiresIn: "-1m" }))).toBe("The access token has expired");
  });

  it("refuses a token signed by another key, and a tampered one", async () => {
    expect(await refusalOf(await accessToken({}, { key: strangerKey }))).toBe(
      "The access token's signature does not verify",
    );
    const [header, , signature] = (await accessToken()).split(".");
    const forgedPayload = Buffer.from(
      JSON.stringify({ sub: "admin", "cognito:groups": ["operators"] }),
    ).toString("base64url");
    expect(await refusalOf(`${header}.${forgedPayload}.${signature}`)).toBe(
      "The access token's signature does not verify",
    );
  });

  it("refuses a token of another issuer, an ID token and a token without an email", async () => {
    const foreign = await new SignJWT({ token_use: "access", client_id: AUDIENCE, email: "ana@example.com" })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer("https://elsewhere.example.com")
      .setSubject("user-ana")
      .setExpirationTime("1h")
      .sign(signingKey.privateKey);
    expect(await refusalOf(foreign)).toBe("The access token's iss is not accepted");
    expect(await refusalOf(await accessToken({ token_use: "id" }))).toBe(
      "The access token is not an access token",
    );
    expect(await refusalOf(await accessToken({ email: undefined }))).toBe(
      "The access token holds no email address",
    );
  });

  it("refuses what is not a JWT at all", async () => {
    expect(await refusalOf("not-a-token")).toBe("The access token is malformed");
  });
});
