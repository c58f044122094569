import { describe, expect, it } from "vitest";
import { matches, refusalOf } from "./testing/verdicts.ts";

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
