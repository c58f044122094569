import { describe, expect, it } from "vitest";
import {
  InvalidEventPatternError,
  matchesEventPattern,
  validateEventPattern,
} from "../../lib/event-pattern/index.ts";
import { conformanceCases } from "./cases.ts";

describe("EventBridge pattern conformance (AWS-validated cases)", () => {
  it("holds all 156 cases, so a truncated file cannot pass unnoticed", () => {
    expect(conformanceCases).toHaveLength(156);
  });

  it.each(conformanceCases.filter((testCase) => testCase.expect !== "invalid"))(
    "$name: $expect",
    (testCase) => {
      const pattern = validateEventPattern(testCase.pattern);

      const matched = matchesEventPattern(pattern, testCase.event);

      expect(matched).toBe(testCase.expect === "match");
    },
  );

  it.each(conformanceCases.filter((testCase) => testCase.expect === "invalid"))(
    "$name: invalid",
    (testCase) => {
      expect(() => validateEventPattern(testCase.pattern)).toThrow(InvalidEventPatternError);
    },
  );

  it("refuses every invalid case also when the pattern arrives as JSON text, as TestEventPattern sends it", () => {
    const invalid = conformanceCases.filter((testCase) => testCase.expect === "invalid");

    const accepted = invalid.filter((testCase) => {
      try {
        validateEventPattern(JSON.stringify(testCase.pattern));
        return true;
      } catch (error) {
        if (error instanceof InvalidEventPatternError) return false;
        throw error;
      }
    });

    expect(accepted.map((testCase) => testCase.name)).toEqual([]);
  });
});
