import type { PreTokenGenerationV2TriggerEvent } from "aws-lambda";

type StringMap = Record<string, string>;

/**
 * The environment variable naming the identity provider whose email addresses count as verified for
 * every user (the context's `identityProvider.trustEmails`; set by infra/aws/constructs/sign-in.ts).
 */
export const TRUSTED_EMAIL_PROVIDER = "TRUSTED_EMAIL_PROVIDER";

/** What the stack tells the trigger. */
export interface TrustSettings {
  /** The identity provider whose addresses count as verified for every user (`trustEmails`). */
  trustedEmailProvider?: string;
}

/** The providers a federated user signed in through, from Cognito's `identities` attribute. */
const providersOf = (identities: string | undefined): string[] => {
  if (identities === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(identities);
    return Array.isArray(parsed)
      ? parsed.flatMap((identity) =>
          typeof identity?.providerName === "string" ? [identity.providerName as string] : [],
        )
      : [];
  } catch {
    // Cognito writes the attribute itself; anything unreadable vouches for nothing.
    return [];
  }
};

/**
 * Cognito's pre token generation trigger (event version V2_0): copies who the user is into the access
 * token, which is the only token the API sees (services/shared/access-token.ts reads `email`, `name`
 * and `cognito:groups`; Cognito puts the groups there itself).
 *
 * The email goes in only when someone vouched for it, since the API acts on it (who requested, who
 * approves): `email_verified` is true (Cognito verified a pool user's address, or the federated
 * provider marked its user's address verified through the attribute mapping), or the user signed in
 * through the provider the operator vouches for (`trustEmails`). Otherwise the token carries no email
 * and the API refuses it with 401.
 */
export const accessTokenClaimsOf = (attributes: StringMap, trust: TrustSettings = {}): StringMap => {
  const vouched =
    attributes.email_verified === "true" ||
    (trust.trustedEmailProvider !== undefined &&
      providersOf(attributes.identities).includes(trust.trustedEmailProvider));
  return {
    ...(vouched && attributes.email && { email: attributes.email }),
    ...(attributes.name && { name: attributes.name }),
  };
};

const trust: TrustSettings = { trustedEmailProvider: process.env[TRUSTED_EMAIL_PROVIDER] || undefined };

export const handler = async (
  event: PreTokenGenerationV2TriggerEvent,
): Promise<PreTokenGenerationV2TriggerEvent> => {
  event.response = {
    claimsAndScopeOverrideDetails: {
      accessTokenGeneration: {
        claimsToAddOrOverride: accessTokenClaimsOf(event.request.userAttributes, trust),
      },
    },
  };
  return event;
};
