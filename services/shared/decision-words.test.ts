import { describe, expect, it } from "vitest";
import { approvalInWords, listInWords, policyNameOf, rejectionInWords } from "./decision-words.ts";

describe("who decided, in words", () => {
  it("names the policy of a policy actor, and none for a person", () => {
    expect(policyNameOf("policy:small-dev-boxes")).toBe("small-dev-boxes");
    expect(policyNameOf("bob@example.com")).toBeUndefined();
    expect(policyNameOf(undefined)).toBeUndefined();
  });

  it.each([
    [[], ""],
    [["A"], "A"],
    [["A", "B"], "A and B"],
    [["A", "B", "C"], "A, B and C"],
  ])("lists %j as %j", (items, words) => {
    expect(listInWords(items)).toBe(words);
  });

  it("says a policy auto-approved, with its reason", () => {
    expect(approvalInWords({ approver: "policy:small-dev-boxes", reason: "small burstable instance" })).toBe(
      "auto-approved by policy small-dev-boxes: small burstable instance",
    );
  });

  it("names every counted approval of a quorum, once each, and a delegate's principal", () => {
    expect(
      approvalInWords({
        approver: "cy@example.com",
        approvals: [
          { approver: "bob@example.com" },
          { approver: "cy@example.com", onBehalfOf: "dee@example.com" },
        ],
      }),
    ).toBe("approved by bob@example.com and cy@example.com on behalf of dee@example.com");
  });

  it("names the one approver when the outcome lists no approvals", () => {
    expect(approvalInWords({ approver: "bob@example.com" })).toBe("approved by bob@example.com");
  });

  it("says a policy refused, with its reason; a person rejected; or nobody was asked", () => {
    expect(rejectionInWords({ approver: "policy:no-huge-volumes", reason: "capacity planning" })).toBe(
      "refused by policy no-huge-volumes: capacity planning",
    );
    expect(rejectionInWords({ approver: "bob@example.com", reason: "not now" })).toBe(
      "rejected by bob@example.com",
    );
    expect(rejectionInWords({ reason: "nobody" })).toBe("refused before any approver was asked");
  });
});
