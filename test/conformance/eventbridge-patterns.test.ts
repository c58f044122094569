import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  InvalidEventPatternError,
  matchesEventPattern,
  validateEventPattern,
} from "../../infra/local/eventbridge/pattern.ts";

interface ConformanceCase {
  name: string;
  expect: "match" | "no-match" | "invalid";
  pattern: unknown;
  event: Record<string, unknown>;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const conformanceFile = path.resolve(repoRoot, "..", "shared", "conformance", "eventbridge-patterns.json");
const { cases } = JSON.parse(readFileSync(conformanceFile, "utf8")) as { cases: ConformanceCase[] };

describe("EventBridge pattern conformance (AWS-validated cases)", () => {
  it("holds all 156 cases, so a truncated file cannot pass unnoticed", () => {
    expect(cases).toHaveLength(156);
  });

  it.each(cases.filter((testCase) => testCase.expect !== "invalid"))("$name: $expect", (testCase) => {
    const pattern = validateEventPattern(testCase.pattern);

    const matched = matchesEventPattern(pattern, testCase.event);

    expect(matched).toBe(testCase.expect === "match");
  });

  it.each(cases.filter((testCase) => testCase.expect === "invalid"))("$name: invalid", (testCase) => {
    expect(() => validateEventPattern(testCase.pattern)).toThrow(InvalidEventPatternError);
  });

  it("refuses every invalid case also when the pattern arrives as JSON text, as TestEventPattern sends it", () => {
    const invalid = cases.filter((testCase) => testCase.expect === "invalid");

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
