import type { PreTokenGenerationV2TriggerEvent } from "aws-lambda";

type StringMap = Record<string, string>;

/**
 * Cognito's pre token generation trigger (event version V2_0): copies who the user is into the access
 * token, which is the only token the API sees (services/shared/access-token.ts reads `email`, `name`
 * and `cognito:groups`; Cognito puts the groups there itself).
 *
 * The email goes in only when someone vouched for it: Cognito verified it, or the organization's
 * identity provider the user signed in through gave it (a federated user has `identities`). An
 * unvouched address would let anyone named in it act as its owner, so such a token carries no email
 * and the API turns it away.
 */
export const accessTokenClaimsOf = (attributes: StringMap): StringMap => {
  const vouched = attributes.email_verified === "true" || attributes.identities !== undefined;
  return {
    ...(vouched && attributes.email && { email: attributes.email }),
    ...(attributes.name && { name: attributes.name }),
  };
};

export const handler = async (
  event: PreTokenGenerationV2TriggerEvent,
): Promise<PreTokenGenerationV2TriggerEvent> => {
  event.response = {
    claimsAndScopeOverrideDetails: {
      accessTokenGeneration: { claimsToAddOrOverride: accessTokenClaimsOf(event.request.userAttributes) },
    },
  };
  return event;
};
