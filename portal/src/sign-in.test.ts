import { describe, expect, it } from "vitest";
import { returnPathOf, signedInUserOf } from "./sign-in.ts";

describe("signing in to the portal", () => {
  it("reads who is signed in from the ID token's claims, keeping only the groups the portal knows", () => {
    expect(
      signedInUserOf({
        sub: "a1",
        email: "oakley@example.com",
        name: "Oakley Operator",
        "cognito:groups": ["operators", "eu-west-1_pool_Google"],
      }),
    ).toEqual({ name: "Oakley Operator", email: "oakley@example.com", groups: ["operators"] });
  });

  it("names a user without a name by their email, and a user in no group with no groups", () => {
    expect(signedInUserOf({ sub: "a1", email: "ana@example.com" })).toEqual({
      name: "ana@example.com",
      email: "ana@example.com",
      groups: [],
    });
  });

  it.each([
    [{ returnTo: "/my?status=REJECTED#top" }, "/my?status=REJECTED#top"],
    [{ returnTo: "/requests/req_1" }, "/requests/req_1"],
    [{ returnTo: "https://evil.example/" }, "/"],
    [{ returnTo: "//evil.example/" }, "/"],
    [{ returnTo: "/\\evil.example/" }, "/"],
    [{ returnTo: "/auth/callback?code=x" }, "/"],
    [undefined, "/"],
    ["/my", "/"],
  ])("comes back from signing in with state %o to %s", (state, path) => {
    expect(returnPathOf(state)).toBe(path);
  });
});
