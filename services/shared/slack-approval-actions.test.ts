import { describe, expect, it } from "vitest";
import { decodeButtonValue, encodeButtonValue } from "./slack-approval-actions.ts";

describe("an approval button's value", () => {
  it("names the request, the stage and the extension round it was posted for, and reads back the same", () => {
    const value = { requestId: "req-123", stage: 1, extension: 2 };
    expect(decodeButtonValue(encodeButtonValue(value))).toEqual(value);
    expect(decodeButtonValue(encodeButtonValue({ requestId: "req-123", stage: 0 }))).toEqual({
      requestId: "req-123",
      stage: 0,
    });
  });

  it("is not one of ours when it is not JSON, misses a field or carries more", () => {
    expect(decodeButtonValue("approve")).toBeUndefined();
    expect(decodeButtonValue(JSON.stringify({ requestId: "req-123" }))).toBeUndefined();
    expect(decodeButtonValue(JSON.stringify({ requestId: "req-123", stage: -1 }))).toBeUndefined();
    expect(
      decodeButtonValue(JSON.stringify({ requestId: "req-123", stage: 0, approver: "x" })),
    ).toBeUndefined();
  });
});
