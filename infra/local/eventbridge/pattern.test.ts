import { describe, expect, it } from "vitest";
import {
  compileEventPattern,
  InvalidEventPatternError,
  matchesEventPattern,
  validateEventPattern,
} from "./pattern.ts";

const matches = (pattern: unknown, event: Record<string, unknown>): boolean =>
  matchesEventPattern(validateEventPattern(pattern), event);

/** The reason AWS would give for refusing the pattern, or undefined when it is accepted. */
const refusalOf = (pattern: unknown): string | undefined => {
  try {
    validateEventPattern(pattern);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error.reason;
    throw error;
  }
};

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

describe("compileEventPattern", () => {
  it("compiles once into a matcher that decides many events", () => {
    const isEc2 = compileEventPattern({ detail: { resource: { type: ["ec2"] } } });

    expect(isEc2({ detail: { resource: { type: "ec2" } } })).toBe(true);
    expect(isEc2({ detail: { resource: { type: "rds" } } })).toBe(false);
  });

  it("refuses an invalid pattern like validateEventPattern", () => {
    expect(() => compileEventPattern({ source: [] })).toThrow(InvalidEventPatternError);
  });
});

describe("exact matching", () => {
  it("matches strings case-sensitively, keys included", () => {
    expect(matches({ source: ["aws.ec2"] }, { source: "aws.ec2" })).toBe(true);
    expect(matches({ source: ["aws.ec2"] }, { source: "AWS.EC2" })).toBe(false);
    expect(matches({ Source: ["aws.ec2"] }, { source: "aws.ec2" })).toBe(false);
  });

  it("matches any value of the list", () => {
    const pattern = { source: ["aws.ec2", "aws.fargate"] };

    expect(matches(pattern, { source: "aws.fargate" })).toBe(true);
    expect(matches(pattern, { source: "aws.s3" })).toBe(false);
  });

  it("compares numbers by value and never with strings", () => {
    const event = JSON.parse('{"detail": {"count": 3.0e2, "text": "300"}}');

    expect(matches({ detail: { count: [300] } }, event)).toBe(true);
    expect(matches({ detail: { count: ["300"] } }, event)).toBe(false);
    expect(matches({ detail: { text: [300] } }, event)).toBe(false);
  });

  it("matches booleans only as booleans", () => {
    expect(matches({ detail: { on: [true] } }, { detail: { on: true } })).toBe(true);
    expect(matches({ detail: { on: [true] } }, { detail: { on: "true" } })).toBe(false);
  });

  it("matches null only against a null value, not a missing field or the text null", () => {
    const pattern = { detail: { reason: [null] } };

    expect(matches(pattern, { detail: { reason: null } })).toBe(true);
    expect(matches(pattern, { detail: {} })).toBe(false);
    expect(matches(pattern, { detail: { reason: "null" } })).toBe(false);
  });

  it("matches the empty string only against an empty string", () => {
    const pattern = { detail: { note: [""] } };

    expect(matches(pattern, { detail: { note: "" } })).toBe(true);
    expect(matches(pattern, { detail: {} })).toBe(false);
    expect(matches(pattern, { detail: { note: null } })).toBe(false);
  });

  it("matches an IP address however the event writes it", () => {
    expect(matches({ ip: ["2001:db8::1"] }, { ip: "2001:0db8:0000:0000:0000:0000:0000:0001" })).toBe(true);
    expect(matches({ ip: ["10.0.0.1"] }, { ip: "10.0.0.1" })).toBe(true);
    expect(matches({ ip: ["10.0.0.1"] }, { ip: "10.0.0.2" })).toBe(false);
  });
});

describe("nested objects and dotted paths", () => {
  it("requires every field of the pattern, at its nesting", () => {
    const pattern = { source: ["s"], detail: { resource: { type: ["ec2"] } } };

    expect(matches(pattern, { source: "s", detail: { resource: { type: "ec2" } } })).toBe(true);
    expect(matches(pattern, { source: "s", detail: { type: "ec2" } })).toBe(false);
    expect(matches(pattern, { detail: { resource: { type: "ec2" } } })).toBe(false);
  });

  it("treats dots in keys like nesting, in the pattern and in the event", () => {
    expect(
      matches({ detail: { "state.status": ["running"] } }, { detail: { state: { status: "running" } } }),
    ).toBe(true);
    expect(
      matches({ detail: { state: { status: ["running"] } } }, { detail: { "state.status": "running" } }),
    ).toBe(true);
  });

  it("never treats an object as a value", () => {
    expect(matches({ detail: [{ exists: true }] }, { detail: { a: 1 } })).toBe(false);
  });

  it("does not look inside a detail that arrives as JSON text", () => {
    expect(matches({ detail: { state: ["on"] } }, { detail: '{"state": "on"}' })).toBe(false);
  });
});

describe("arrays", () => {
  it("matches an event array when any element matches any pattern value", () => {
    const pattern = { resources: ["arn:a", "arn:b"] };

    expect(matches(pattern, { resources: ["arn:x", "arn:b"] })).toBe(true);
    expect(matches(pattern, { resources: ["arn:x", "arn:y"] })).toBe(false);
  });

  it("finds values in arrays of arrays", () => {
    expect(matches({ tags: ["c"] }, { tags: [["a", "b"], ["c"]] })).toBe(true);
  });

  it("finds fields inside arrays of objects", () => {
    expect(matches({ items: { id: ["2"] } }, { items: [{ id: "1" }, { id: "2" }] })).toBe(true);
  });

  it("requires the fields it reaches through one event array to match in the same element", () => {
    const pattern = { items: { kind: ["disk"], size: [100] } };

    expect(
      matches(pattern, {
        items: [
          { kind: "cpu", size: 100 },
          { kind: "disk", size: 100 },
        ],
      }),
    ).toBe(true);
    expect(
      matches(pattern, {
        items: [
          { kind: "disk", size: 20 },
          { kind: "cpu", size: 100 },
        ],
      }),
    ).toBe(false);
  });

  it("lets fields under different arrays match in any elements", () => {
    const pattern = { disks: { kind: ["ssd"] }, nics: { kind: ["eth"] } };

    expect(matches(pattern, { disks: [{ kind: "hdd" }, { kind: "ssd" }], nics: [{ kind: "eth" }] })).toBe(
      true,
    );
  });

  it("finds no value in an empty event array", () => {
    expect(matches({ resources: [null] }, { resources: [] })).toBe(false);
    expect(matches({ resources: [{ exists: true }] }, { resources: [] })).toBe(false);
  });
});

describe("prefix and suffix", () => {
  it("matches the start or the end of a string", () => {
    expect(matches({ time: [{ prefix: "2024-05" }] }, { time: "2024-05-01T00:00:00Z" })).toBe(true);
    expect(matches({ time: [{ prefix: "2024-06" }] }, { time: "2024-05-01T00:00:00Z" })).toBe(false);
    expect(matches({ file: [{ suffix: ".png" }] }, { file: "a.png" })).toBe(true);
    expect(matches({ file: [{ suffix: ".png" }] }, { file: "a.PNG" })).toBe(false);
  });

  it("only ever matches strings, even with an empty prefix", () => {
    expect(matches({ value: [{ prefix: "" }] }, { value: "anything" })).toBe(true);
    expect(matches({ value: [{ prefix: "" }] }, { value: 12 })).toBe(false);
    expect(matches({ value: [{ prefix: "1" }] }, { value: 12 })).toBe(false);
    expect(matches({ value: [{ suffix: "" }] }, { value: null })).toBe(false);
  });

  it("ignores case when asked to", () => {
    expect(
      matches({ service: [{ prefix: { "equals-ignore-case": "EventB" } }] }, { service: "eventbridge" }),
    ).toBe(true);
    expect(matches({ file: [{ suffix: { "equals-ignore-case": ".png" } }] }, { file: "A.PnG" })).toBe(true);
    expect(matches({ file: [{ suffix: { "equals-ignore-case": ".png" } }] }, { file: "a.jpg" })).toBe(false);
  });

  it.each([
    [{ prefix: 1 }, "prefix match pattern must be a string"],
    [{ suffix: [".png"] }, "suffix match pattern must be a string"],
    [{ prefix: { wildcard: "a*" } }, "Unsupported prefix pattern: wildcard"],
    [{ suffix: {} }, "Suffix expression name not found"],
    [{ prefix: { "equals-ignore-case": 1 } }, "equals-ignore-case match pattern must be a string"],
  ])("refuses %j", (expression, reason) => {
    expect(refusalOf({ value: [expression] })).toBe(reason);
  });
});

describe("equals-ignore-case", () => {
  it("matches strings whatever their case, and nothing else", () => {
    const pattern = { name: [{ "equals-ignore-case": "alice" }] };

    expect(matches(pattern, { name: "ALICE" })).toBe(true);
    expect(matches(pattern, { name: "alicia" })).toBe(false);
    expect(matches({ count: [{ "equals-ignore-case": "5" }] }, { count: 5 })).toBe(false);
  });

  it("refuses anything but a single string", () => {
    expect(refusalOf({ name: [{ "equals-ignore-case": ["alice"] }] })).toBe(
      "equals-ignore-case match pattern must be a string",
    );
  });
});

describe("anything-but", () => {
  it("matches any present value that is not excluded, null included, but never a missing field", () => {
    const pattern = { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } };

    expect(matches(pattern, { detail: { state: "running" } })).toBe(true);
    expect(matches(pattern, { detail: { state: null } })).toBe(true);
    expect(matches(pattern, { detail: { state: "stopped" } })).toBe(false);
    expect(matches(pattern, { detail: {} })).toBe(false);
  });

  it("excludes numbers by value and never values of another type", () => {
    const pattern = { limit: [{ "anything-but": [100, 200] }] };

    expect(matches(pattern, JSON.parse('{"limit": 1.0e2}'))).toBe(false);
    expect(matches(pattern, { limit: 150 })).toBe(true);
    expect(matches(pattern, { limit: "100" })).toBe(true);
    expect(matches({ limit: [{ "anything-but": "100" }] }, { limit: 100 })).toBe(true);
  });

  it("matches an event array that holds any value not excluded", () => {
    const pattern = { states: [{ "anything-but": "stopped" }] };

    expect(matches(pattern, { states: ["stopped", "running"] })).toBe(true);
    expect(matches(pattern, { states: ["stopped"] })).toBe(false);
  });

  it("excludes by prefix, suffix, case-insensitive value or wildcard, keeping non-strings", () => {
    expect(matches({ region: [{ "anything-but": { prefix: "us-" } }] }, { region: "eu-west-1" })).toBe(true);
    expect(matches({ region: [{ "anything-but": { prefix: "us-" } }] }, { region: "us-east-1" })).toBe(false);
    expect(matches({ file: [{ "anything-but": { suffix: [".png", ".jpg"] } }] }, { file: "a.jpg" })).toBe(
      false,
    );
    expect(
      matches({ state: [{ "anything-but": { "equals-ignore-case": "Init" } }] }, { state: "INIT" }),
    ).toBe(false);
    expect(matches({ path: [{ "anything-but": { wildcard: "*/lib/*" } }] }, { path: "/usr/lib/x" })).toBe(
      false,
    );
    expect(matches({ path: [{ "anything-but": { wildcard: "*/lib/*" } }] }, { path: "/usr/bin/x" })).toBe(
      true,
    );
    expect(matches({ path: [{ "anything-but": { wildcard: "*/lib/*" } }] }, { path: 7 })).toBe(true);
  });

  it.each([
    [
      { "anything-but": [1, "a"] },
      "Inside anything but list, either all values are number or string, mixed type is not supported",
    ],
    [
      { "anything-but": [] },
      "Inside anything but list, either all values are number or string, mixed type is not supported",
    ],
    [{ "anything-but": [true] }, "Inside anything but list, start|null|boolean is not supported."],
    [{ "anything-but": false }, "Value of anything-but must be an array or single string/number value."],
    [{ "anything-but": { numeric: [">", 1] } }, "Unsupported anything-but pattern: numeric"],
    [{ "anything-but": {} }, "Anything-But expression name not found"],
    [{ "anything-but": { prefix: "" } }, "Null prefix/suffix not allowed"],
    [{ "anything-but": { wildcard: "a**" } }, "Consecutive wildcard characters at pos 2"],
    [{ "anything-but": 6e9 }, "Value must be between -5.0E9 and 5.0E9, inclusive"],
    [{ "anything-but": "a", prefix: "b" }, "Too many elements in numeric expression"],
  ])("refuses %j", (expression, reason) => {
    expect(refusalOf({ value: [expression] })).toBe(reason);
  });
});

describe("numeric", () => {
  it.each([
    [[">", 10], 10, false],
    [[">", 10], 10.5, true],
    [[">=", 10], 10, true],
    [["<", 10], 10, false],
    [["<", 10], 9.999999, true],
    [["<=", 10], 10, true],
    [["=", 301.8], 301.8, true],
    [["=", 301.8], 301.81, false],
    [[">", 0, "<=", 5], 0, false],
    [[">", 0, "<=", 5], 5, true],
    [[">=", 0, "<", 5], 0, true],
    [[">=", 0, "<", 5], 5, false],
    [[">=", -5e9, "<=", 5e9], -5e9, true],
  ])("%j against %d matches: %s", (range, value, expected) => {
    expect(matches({ amount: [{ numeric: range }] }, { amount: value })).toBe(expected);
  });

  it("only matches JSON numbers inside the range AWS compares", () => {
    const pattern = { amount: [{ numeric: [">", 0] }] };

    expect(matches(pattern, { amount: "5" })).toBe(false);
    expect(matches(pattern, { amount: null })).toBe(false);
    expect(matches(pattern, { amount: true })).toBe(false);
    expect(matches(pattern, { amount: 6e9 })).toBe(false);
  });

  it.each([
    [10, "Value of numeric must be an array."],
    [[], "Invalid member in numeric match: ]"],
    [[5, ">"], "Invalid member in numeric match: 5"],
    [["!=", 5], "Unrecognized numeric range operator: !="],
    [[">", "5"], "Value of > must be numeric"],
    [["="], "Value of equals must be numeric"],
    [["=", 5, "<", 9], "Too many elements in numeric expression"],
    [["<", 5, ">", 1], "Too many elements in numeric expression"],
    [[">", 0, ">", 5], "Bad numeric range operator: >"],
    [[">", 0, 5], "Bad value in numeric range: 5"],
    [[">", 0, "<"], "Value of < must be numeric"],
    [[">", 0, "<", 5, "<"], "Too many terms in numeric range expression"],
    [[">", 5, "<", 5], "Bottom must be less than top"],
    [[">", 5e9 + 1], "Value must be between -5.0E9 and 5.0E9, inclusive"],
    [["=", 0.1234567], "Only values upto 6 decimals are supported"],
  ])("refuses %j", (range, reason) => {
    expect(refusalOf({ amount: [{ numeric: range }] })).toBe(reason);
  });

  it("refuses a second operator beside numeric", () => {
    expect(refusalOf({ amount: [{ numeric: [">", 0], exists: true }] })).toBe(
      "Too many elements in numeric expression",
    );
  });
});

describe("cidr", () => {
  it("matches IPv4 addresses inside the block, bounds included", () => {
    const pattern = { ip: [{ cidr: "10.0.0.0/24" }] };

    expect(matches(pattern, { ip: "10.0.0.0" })).toBe(true);
    expect(matches(pattern, { ip: "10.0.0.255" })).toBe(true);
    expect(matches(pattern, { ip: "10.0.1.0" })).toBe(false);
    expect(matches(pattern, { ip: "10.0.0.256" })).toBe(false);
  });

  it("matches IPv6 addresses however they are written", () => {
    const pattern = { ip: [{ cidr: "2001:db8:1234:1a00::/64" }] };

    expect(matches(pattern, { ip: "2001:db8:1234:1a00::42" })).toBe(true);
    expect(matches(pattern, { ip: "2001:0DB8:1234:1A00:FFFF:FFFF:FFFF:FFFF" })).toBe(true);
    expect(matches(pattern, { ip: "2001:db8:1234:1a01::" })).toBe(false);
  });

  it("never matches another address family or a non-string", () => {
    expect(matches({ ip: [{ cidr: "0.0.0.0/0" }] }, { ip: "2001:db8::1" })).toBe(false);
    expect(matches({ ip: [{ cidr: "::/0" }] }, { ip: "2001:db8::1" })).toBe(true);
    expect(matches({ ip: [{ cidr: "0.0.0.0/0" }] }, { ip: 167772161 })).toBe(false);
  });

  it("starts the block at the address as written, like AWS", () => {
    const pattern = { ip: [{ cidr: "10.0.0.5/24" }] };

    expect(matches(pattern, { ip: "10.0.0.4" })).toBe(false);
    expect(matches(pattern, { ip: "10.0.0.5" })).toBe(true);
  });

  it.each([
    ["10.0.0.0", "Malformed CIDR, one '/' required"],
    ["10.0.0.0/x", "Malformed CIDR, mask bits must be an integer"],
    ["10.0.0.0/-1", "Malformed CIDR, mask bits must not be negative"],
    ["10.0.0.1/32", "IPv4 mask bits must be < 32"],
    ["::1/128", "IPv6 mask bits must be < 128"],
    ["300.0.0.0/8", "Invalid IP address: 300.0.0.0"],
    ["host.example/8", "Nonstandard IP address: host.example"],
  ])("refuses %s", (cidr, reason) => {
    expect(refusalOf({ ip: [{ cidr }] })).toBe(reason);
  });
});

describe("exists", () => {
  it("exists: true matches any value, null included, but not a missing field or an object", () => {
    const pattern = { detail: { state: [{ exists: true }] } };

    expect(matches(pattern, { detail: { state: "on" } })).toBe(true);
    expect(matches(pattern, { detail: { state: null } })).toBe(true);
    expect(matches(pattern, { detail: {} })).toBe(false);
    expect(matches(pattern, { detail: { state: { code: 16 } } })).toBe(false);
  });

  it("exists: false matches a missing field, a missing parent or an empty array, not a present value", () => {
    const pattern = { detail: { state: [{ exists: false }] } };

    expect(matches(pattern, { detail: {} })).toBe(true);
    expect(matches(pattern, { source: "s" })).toBe(true);
    expect(matches(pattern, { detail: { state: [] } })).toBe(true);
    expect(matches(pattern, { detail: { state: null } })).toBe(false);
  });

  it("combines with other matchers of the same list", () => {
    const pattern = { state: [{ "anything-but": "stopped" }, { exists: false }] };

    expect(matches(pattern, {})).toBe(true);
    expect(matches(pattern, { state: "running" })).toBe(true);
    expect(matches(pattern, { state: "stopped" })).toBe(false);
  });

  it("refuses anything but a boolean", () => {
    expect(refusalOf({ state: [{ exists: "true" }] })).toBe(
      "exists match pattern must be either true or false.",
    );
  });
});

describe("wildcard", () => {
  it.each([
    ["*.png", "a.png", true],
    ["*.png", ".png", true],
    ["*.png", "a.png.bak", false],
    ["dir/*/file", "dir/a/b/file", true],
    ["a*b*c", "abc", true],
    ["a*b*c", "acb", false],
    ["", "", true],
    ["", "a", false],
    ["a\\*b", "a*b", true],
    ["a\\*b", "axb", false],
    ["a\\\\b", "a\\b", true],
  ])("%s against %s matches: %s", (wildcard, value, expected) => {
    expect(matches({ file: [{ wildcard }] }, { file: value })).toBe(expected);
  });

  it("only matches strings", () => {
    expect(matches({ value: [{ wildcard: "*" }] }, { value: 1 })).toBe(false);
    expect(matches({ value: [{ wildcard: "*" }] }, { value: "" })).toBe(true);
  });

  it.each([
    ["a**", "Consecutive wildcard characters at pos 2"],
    ["a\\b", "Invalid escape character at pos 2"],
    ["é\\", "Invalid escape character at pos 3"],
  ])("refuses %s", (wildcard, reason) => {
    expect(refusalOf({ file: [{ wildcard }] })).toBe(reason);
  });

  it("refuses wildcards that together get too complex for one field, while the same ones pass on separate fields", () => {
    const suffixes = ["*.png", "*.jpg", "*.gif", "*.txt", "*.pdf", "*.doc"];

    expect(refusalOf({ file: suffixes.map((wildcard) => ({ wildcard })) })).toMatch(/^Rule is too complex/);
    expect(refusalOf({ file: suffixes.slice(0, 5).map((wildcard) => ({ wildcard })) })).toBeUndefined();
    expect(
      refusalOf({
        a: suffixes.slice(0, 3).map((wildcard) => ({ wildcard })),
        b: suffixes.slice(3).map((wildcard) => ({ wildcard })),
      }),
    ).toBeUndefined();
  });

  it("counts anything-but wildcards toward the same limit", () => {
    expect(refusalOf({ path: [{ "anything-but": { wildcard: "*:*:*:*:*:event-bus/*" } }] })).toMatch(
      /^Rule is too complex/,
    );
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
