import { errors, type JWTVerifyGetKey, jwtVerify } from "jose";
import { z } from "zod";
import { GROUPS, type Group } from "../../api/access.ts";

/** Who a verified access token says the caller is, as the identity provider gives it. */
export interface Identity {
  /** The provider's stable id of the user (`sub`): what identities are compared by. */
  subject: string;
  email: string;
  name: string;
  groups: readonly Group[];
}

/** Why a bearer token was not accepted, in words fit for a `WWW-Authenticate` error description. */
export class InvalidAccessTokenError extends Error {
  override readonly name = "InvalidAccessTokenError";
}

export interface AccessTokenSettings {
  /** The identity provider's issuer (`iss`), e.g. a Cognito user pool's URL. */
  issuer: string;
  /** The app client the token must be for: its `aud`, or its `client_id` (Cognito's access tokens). */
  audience: string;
}

/**
 * The claims our API needs, under the names Cognito uses (the local provider issues the same ones).
 * Groups the API does not know are ignored rather than refused: a user may belong to others.
 */
const claimsSchema = z.object({
  // OpenID Connect bounds a subject at 255 characters; a longer one could not travel as the requester's.
  sub: z.string().min(1).max(255),
  token_use: z.literal("access", "is not an access token"),
  email: z.email({ error: "holds no email address" }),
  name: z.string().trim().min(1).optional(),
  "cognito:groups": z
    .array(z.string())
    .default([])
    .transform((groups) =>
      groups.filter((group): group is Group => (GROUPS as readonly string[]).includes(group)),
    ),
  aud: z.union([z.string(), z.array(z.string())]).optional(),
  client_id: z.string().optional(),
});

const describeFailure = (cause: unknown): string => {
  if (cause instanceof errors.JWTExpired) return "The access token has expired";
  if (cause instanceof errors.JWTClaimValidationFailed)
    return `The access token's ${cause.claim} is not accepted`;
  if (cause instanceof errors.JWSSignatureVerificationFailed || cause instanceof errors.JWKSNoMatchingKey)
    return "The access token's signature does not verify";
  return "The access token is malformed";
};

/**
 * Verifies a bearer token as API Gateway's JWT authorizer does: signature against the provider's keys,
 * issuer, expiry and audience (`aud`, else `client_id`); then reads the identity from its claims. The
 * keys come from `keys`, in production jose's remote JWKS, fetched once and cached.
 */
export const createAccessTokenVerifier =
  ({ issuer, audience }: AccessTokenSettings, keys: JWTVerifyGetKey) =>
  async (token: string): Promise<Identity> => {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, keys, { issuer, algorithms: ["RS256"] }));
    } catch (cause) {
      throw new InvalidAccessTokenError(describeFailure(cause), { cause });
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) {
      const [issue] = claims.error.issues;
      throw new InvalidAccessTokenError(`The access token ${issue?.message ?? "has unreadable claims"}`, {
        cause: claims.error,
      });
    }
    const { sub, email, name, aud, client_id: clientId } = claims.data;
    if (![aud].flat().includes(audience) && clientId !== audience) {
      throw new InvalidAccessTokenError("The access token was issued for another client");
    }
    return { subject: sub, email, name: name ?? email, groups: claims.data["cognito:groups"] };
  };

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;
