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

  it("trusts the email the organization's identity provider gave a federated user", () => {
    expect(
      accessTokenClaimsOf({
        email: "ana@corp.example",
        identities: '[{"providerName":"Corporate","providerType":"OIDC"}]',
      }),
    ).toEqual({ email: "ana@corp.example" });
  });
});
