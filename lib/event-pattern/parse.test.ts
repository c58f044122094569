import { describe, expect, it } from "vitest";
import { InvalidEventPatternError, validateEventPattern } from "./index.ts";
import { matches, refusalOf } from "./testing/verdicts.ts";

describe("validateEventPattern", () => {
  it("accepts JSON text, as TestEventPattern sends it, and returns the pattern object", () => {
    const pattern = validateEventPattern('{"source": ["approvals.intake"]}');

    expect(pattern).toEqual({ source: ["approvals.intake"] });
  });

  it("refuses with a named error whose message reads like AWS's", () => {
    const refuse = () => validateEventPattern({ source: "approvals.intake" });

    expect(refuse).toThrow(InvalidEventPatternError);
    expect(refuse).toThrow('Event pattern is not valid. Reason: "source" must be an object or an array');
    expect(refuse).toThrow(expect.objectContaining({ name: "InvalidEventPatternError" }));
  });

  it.each([
    ["text that is not JSON", "{source: [x]}", /^Filter is not valid JSON/],
    ["a JSON array", "[]", "Filter is not an object"],
    ["a JSON number", "5", "Filter is not an object"],
    ["null", null, "Filter is not an object"],
    ["an empty pattern", {}, "Empty objects are not allowed"],
    ["an empty nested object", { detail: {} }, "Empty objects are not allowed"],
    ["a bare value instead of a list", { source: "a" }, '"source" must be an object or an array'],
    ["a bare number", { detail: { count: 5 } }, '"count" must be an object or an array'],
    ["an empty value list", { source: [] }, "Empty arrays are not allowed"],
    [
      "a list inside the value list",
      { source: [["a"]] },
      "Match value must be String, number, true, false, or null",
    ],
    ["an empty match expression", { source: [{}] }, "Match expression name not found"],
    ["an unknown operator", { source: [{ contains: "a" }] }, "Unrecognized match type contains"],
    ["an operator in another case", { source: [{ Prefix: "a" }] }, "Unrecognized match type Prefix"],
    [
      "two operators in one object",
      { source: [{ prefix: "a", suffix: "b" }] },
      "Only one key allowed in match expression",
    ],
  ])("refuses %s", (_, pattern, reason) => {
    expect(refusalOf(pattern)).toMatch(reason);
  });

  it("refuses a pattern nested deeper than AWS's JSON parser allows, and accepts a deep but legal one", () => {
    const nested = (depth: number): Record<string, unknown> => {
      let pattern: Record<string, unknown> = { leaf: ["x"] };
      for (let level = 1; level < depth; level += 1) pattern = { level: pattern };
      return pattern;
    };

    expect(refusalOf(nested(1001))).toMatch(/nesting depth/);
    expect(refusalOf(nested(200))).toBeUndefined();
  });
});

describe("$or", () => {
  it("matches when any alternative matches, with the fields outside applying to every alternative", () => {
    const pattern = {
      source: ["aws.cloudwatch"],
      $or: [{ metricName: ["CPUUtilization"] }, { namespace: ["AWS/EC2"], metricType: ["MetricType"] }],
    };

    expect(matches(pattern, { source: "aws.cloudwatch", metricName: "CPUUtilization" })).toBe(true);
    expect(
      matches(pattern, { source: "aws.cloudwatch", namespace: "AWS/EC2", metricType: "MetricType" }),
    ).toBe(true);
    expect(matches(pattern, { source: "aws.cloudwatch", namespace: "AWS/EC2" })).toBe(false);
    expect(matches(pattern, { source: "aws.s3", metricName: "CPUUtilization" })).toBe(false);
  });

  it("works nested in a field and inside another $or", () => {
    const pattern = {
      detail: {
        $or: [{ count: [{ numeric: [">", 10] }] }, { $or: [{ state: ["failed"] }, { state: ["expired"] }] }],
      },
    };

    expect(matches(pattern, { detail: { count: 11 } })).toBe(true);
    expect(matches(pattern, { detail: { state: "expired" } })).toBe(true);
    expect(matches(pattern, { detail: { count: 1, state: "ok" } })).toBe(false);
  });

  it.each([
    [{ $or: [{ a: ["1"] }] }, "There must have at least 2 Objects in $or relationship."],
    [{ $or: { a: ["1"] } }, "It must be an Array followed with $or."],
    [{ $or: [{ a: ["1"] }, ["b"]] }, "Only JSON object is allowed in array of $or relationship."],
    [{ $or: [{ a: ["1"] }, {}] }, "Empty objects are not allowed"],
    [
      { $or: [{ a: ["1"] }, { prefix: ["b"] }] },
      "prefix is Ruler reserved fieldName which cannot be used inside $or.",
    ],
    [
      { $or: [{ a: ["1"] }, { b: { numeric: ["x"] } }] },
      "numeric is Ruler reserved fieldName which cannot be used inside $or.",
    ],
  ])("refuses %j", (pattern, reason) => {
    expect(refusalOf(pattern)).toBe(reason);
  });

  it("matches every combination of several $or, each field taking either alternative", () => {
    const eitherXOrY = (field: string) => ({ [field]: { $or: [{ x: [1] }, { y: [2] }] } });
    const pattern = { ...eitherXOrY("a"), ...eitherXOrY("b"), ...eitherXOrY("c") };

    expect(matches(pattern, { a: { x: 1 }, b: { y: 2 }, c: { x: 1 } })).toBe(true);
    expect(matches(pattern, { a: { y: 2 }, b: { y: 2 }, c: { y: 2 } })).toBe(true);
    expect(matches(pattern, { a: { x: 1 }, b: { x: 2 }, c: { x: 1 } })).toBe(false);
    expect(matches(pattern, { a: { x: 1 }, b: { y: 2 } })).toBe(false);
  });

  it("refuses a pattern whose $or expand into more than 1,000 alternatives, and accepts 512", () => {
    const independentOrs = (count: number) =>
      Object.fromEntries(
        Array.from({ length: count }, (_, index) => [`f${index}`, { $or: [{ x: [1] }, { y: [2] }] }]),
      );

    expect(refusalOf(independentOrs(9))).toBeUndefined();
    expect(refusalOf(independentOrs(10))).toMatch(/^Rule is too complex - try using fewer \$or/);
    expect(refusalOf(independentOrs(18))).toMatch(/^Rule is too complex - try using fewer \$or/);
  });

  it("allows operator names as field names outside $or", () => {
    expect(matches({ detail: { prefix: ["x"] } }, { detail: { prefix: "x" } })).toBe(true);
  });
});
