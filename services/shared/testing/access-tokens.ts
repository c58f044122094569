import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import type { Group } from "../../../api/access.ts";
import { type AccessTokenVerifier, createAccessTokenVerifier } from "../access-token.ts";

/**
 * An identity provider for tests of one service in process: a key pair of its own, the verifier an
 * app under test checks tokens with, and access tokens shaped as Cognito (and the local provider)
 * issue them. Integration tests sign in at the real local provider instead.
 */

export const TEST_ISSUER = "https://idp.test";
export const TEST_AUDIENCE = "portal";

export interface TestUser {
  email: string;
  name?: string;
  groups: readonly Group[];
}

export const REQUESTER: TestUser = { email: "ana@example.com", name: "Ana", groups: ["requesters"] };
export const APPROVER: TestUser = { email: "approver@example.com", name: "Abe", groups: ["approvers"] };
export const OPERATOR: TestUser = { email: "operator@example.com", name: "Ops", groups: ["operators"] };

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export interface TokenOptions {
  /** Sign with another key than the provider's, as a forger would. */
  key?: KeyPair;
  /** jose's time span, e.g. "1h" or "-1m" for one that has expired. */
  expiresIn?: string;
  /** Claims to replace or add, e.g. another `client_id`. */
  claims?: JWTPayload;
}

export const startTestIdentityProvider = async () => {
  const signingKey = await generateKeyPair("RS256");
  const jwks = createLocalJWKSet({
    keys: [{ ...(await exportJWK(signingKey.publicKey)), kid: "test-key", alg: "RS256" }],
  });
  const verifier = createAccessTokenVerifier({ issuer: TEST_ISSUER, audience: TEST_AUDIENCE }, jwks);

  const accessToken = (user: TestUser, { key = signingKey, expiresIn = "1h", claims }: TokenOptions = {}) =>
    new SignJWT({
      token_use: "access",
      client_id: TEST_AUDIENCE,
      email: user.email,
      ...(user.name && { name: user.name }),
      "cognito:groups": [...user.groups],
      ...claims,
    })
      .setProtectedHeader({ alg: "RS256", kid: "test-key" })
      .setIssuer(TEST_ISSUER)
      .setSubject(`sub-${user.email.toLowerCase()}`)
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(key.privateKey);

  return {
    /** What an app takes as its `verifyAccessToken`. */
    verifyAccessToken: (): AccessTokenVerifier => verifier,
    accessToken,
    /** The Authorization header of `user`. */
    authorizationOf: async (user: TestUser, options?: TokenOptions) => ({
      authorization: `Bearer ${await accessToken(user, options)}`,
    }),
  };
};

export type TestIdentityProvider = Awaited<ReturnType<typeof startTestIdentityProvider>>;
