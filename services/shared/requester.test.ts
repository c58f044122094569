import { describe, expect, it } from "vitest";
import { sampleRequest } from "../../test/support/fixtures.ts";
import { isRequesterOf } from "./requester.ts";

describe("who is the requester", () => {
  const request = sampleRequest({ requester: { email: "ana@example.com", name: "Ana", subject: "sub-ana" } });

  it("is judged by subject when the request names one: the same address under another identity is not", () => {
    expect(isRequesterOf(request, { email: "bob@example.com", subject: "sub-ana" })).toBe(true);
    expect(isRequesterOf(request, { email: "ana@example.com", subject: "sub-impostor" })).toBe(false);
  });

  it("is judged by the address whatever its case when the request names no subject", () => {
    const unsigned = sampleRequest();
    expect(isRequesterOf(unsigned, { email: "Ana@Example.com", subject: "sub-any" })).toBe(true);
    expect(isRequesterOf(unsigned, { email: "bob@example.com", subject: "sub-any" })).toBe(false);
  });

  it("is never another mailbox that folds to the same one: plus-addressing names another account", () => {
    const unsigned = sampleRequest();
    expect(isRequesterOf(unsigned, { email: "ana+mallory@example.com", subject: "sub-mallory" })).toBe(false);
    expect(isRequesterOf(unsigned, { email: "a.na@example.com", subject: "sub-mallory" })).toBe(false);
  });
});
