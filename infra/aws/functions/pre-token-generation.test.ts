import type { PreTokenGenerationV2TriggerEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { accessTokenClaimsOf, handler } from "./pre-token-generation.ts";

const eventFor = (userAttributes: Record<string, string>) =>
  ({
    version: "2",
    triggerSource: "TokenGeneration_HostedAuth",
    region: "eu-west-1",
    userPoolId: "eu-west-1_pool",
    userName: "ana",
    callerContext: { awsSdkVersion: "3", clientId: "portal" },
    request: { userAttributes, groupConfiguration: { groupsToOverride: ["requesters"] }, scopes: [] },
    response: { claimsAndScopeOverrideDetails: {} },
  }) as unknown as PreTokenGenerationV2TriggerEvent;

const identitiesOf = (providerName: string, providerType: "OIDC" | "SAML") =>
  JSON.stringify([{ userId: "u-1", providerName, providerType, primary: true, dateCreated: 1 }]);

describe("the pre token generation trigger", () => {
  it("adds the verified email and the name to the access token", async () => {
    const answer = await handler(
      eventFor({ sub: "s-1", email: "ana@example.com", email_verified: "true", name: "Ana Lima" }),
    );

    expect(answer.response.claimsAndScopeOverrideDetails).toEqual({
      accessTokenGeneration: { claimsToAddOrOverride: { email: "ana@example.com", name: "Ana Lima" } },
    });
  });

  it("leaves out an email nobody verified, so the API turns the token away", () => {
    expect(accessTokenClaimsOf({ email: "ana@example.com", email_verified: "false", name: "Ana" })).toEqual({
      name: "Ana",
    });
    expect(accessTokenClaimsOf({ email: "ana@example.com" })).toEqual({});
  });

  it("takes a federated user's email when their provider marked it verified", () => {
    expect(
      accessTokenClaimsOf({
        email: "ana@corp.example",
        email_verified: "true",
        identities: identitiesOf("Corporate", "OIDC"),
      }),
    ).toEqual({ email: "ana@corp.example" });
  });

  it("leaves out a federated user's email the provider did not mark verified, unless the operator trusts that provider", () => {
    const unmarked = { email: "ana@corp.example", identities: identitiesOf("Corporate", "SAML") };

    expect(accessTokenClaimsOf(unmarked)).toEqual({});
    expect(accessTokenClaimsOf({ ...unmarked, email_verified: "false" })).toEqual({});
    expect(accessTokenClaimsOf(unmarked, { trustedEmailProvider: "Corporate" })).toEqual({
      email: "ana@corp.example",
    });
  });

  it("trusts the operator's provider for its own users only, not for pool users or another provider's", () => {
    const trust = { trustedEmailProvider: "Corporate" };

    expect(accessTokenClaimsOf({ email: "ana@example.com" }, trust)).toEqual({});
    expect(
      accessTokenClaimsOf(
        { email: "ana@else.example", identities: identitiesOf("Elsewhere", "OIDC") },
        trust,
      ),
    ).toEqual({});
    expect(accessTokenClaimsOf({ email: "ana@corp.example", identities: "not json" }, trust)).toEqual({});
  });
});
