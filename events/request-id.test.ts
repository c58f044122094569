import { describe, expect, it } from "vitest";
import { sampleRequestContent } from "../test/support/fixtures.ts";
import { requestIdSchema } from "./request.ts";
import { deriveRequestId, givenRequestIdOf, refusalIdOf, requestIdOf } from "./request-id.ts";
import { RequestInvalid } from "./request-invalid.ts";

const EVENT_ID = "0d7c1a9e-5b7a-4c1e-9f57-2f1f3c1f0a11";

describe("the id of a refused submission", () => {
  it("is a request id of its own, recognisable as a refusal", () => {
    const refusalId = refusalIdOf(EVENT_ID);

    expect(refusalId).toMatch(/^refused-[0-9a-f]{32}$/);
    expect(requestIdSchema.safeParse(refusalId).success).toBe(true);
  });

  it("is the same for every delivery of one event, and differs between events", () => {
    expect(refusalIdOf(EVENT_ID)).toBe(refusalIdOf(EVENT_ID));
    expect(refusalIdOf("another-event")).not.toBe(refusalIdOf(EVENT_ID));
  });
});

describe("the id a detail goes by", () => {
  it("is the given id of a valid detail, else the one derived from its content", () => {
    expect(requestIdOf({ ...sampleRequestContent(), requestId: "ci-build-42" })).toBe("ci-build-42");
    expect(requestIdOf(sampleRequestContent())).toBe(deriveRequestId(sampleRequestContent()));
  });

  it.each([
    ["a valid detail", { ...sampleRequestContent(), requestId: "ci-build-42" }, "ci-build-42"],
    ["an invalid detail", { requestId: "ci-build-42", justification: "" }, "ci-build-42"],
    ["a malformed id", { requestId: "no spaces please" }, undefined],
    ["no id", sampleRequestContent(), undefined],
    ["garbage", "please give me a server", undefined],
  ])("is named, for %s, only when the id is well formed", (_case, detail, expected) => {
    expect(givenRequestIdOf(detail)).toBe(expected);
  });
});

describe("RequestInvalid", () => {
  const refusal = {
    requestId: refusalIdOf(EVENT_ID),
    errors: [{ field: "requestId", message: "was already used for a request with different content" }],
    sourceEventId: EVENT_ID,
    rejectedAt: "2025-01-01T00:00:00.000Z",
  };

  it("names the id the refused detail went by, when it had one", () => {
    expect(RequestInvalid.schema.parse({ ...refusal, givenRequestId: "ci-build-42" })).toEqual({
      ...refusal,
      givenRequestId: "ci-build-42",
    });
    expect(RequestInvalid.schema.parse(refusal)).toEqual(refusal);
  });

  it("refuses a malformed given id, naming the field", () => {
    const parsed = RequestInvalid.schema.safeParse({ ...refusal, givenRequestId: "a/b" });

    expect(parsed.error?.issues.map((issue) => issue.path.join("."))).toEqual(["givenRequestId"]);
  });
});
