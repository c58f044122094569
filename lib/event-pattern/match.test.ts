import { describe, expect, it } from "vitest";
import { compileEventPattern, compileExplainingEventPattern, InvalidEventPatternError } from "./index.ts";
import { matches } from "./testing/verdicts.ts";

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

describe("compileExplainingEventPattern", () => {
  it("names the fields an event fails, per alternative", () => {
    const pattern = compileExplainingEventPattern({
      resource: { type: ["ec2"], instanceType: [{ prefix: "t3." }] },
      $or: [{ region: ["eu-west-1"] }, { requester: { groups: ["admins"] } }],
    });
    const event = { resource: { type: "ec2", instanceType: "m7i.large" }, requester: { groups: ["admins"] } };

    expect(pattern.matches(event)).toBe(false);
    expect(pattern.mismatches(event)).toEqual([
      ["resource.instanceType", "region"],
      ["resource.instanceType"],
    ]);
  });

  it("names no field of an alternative whose fields match only in different array elements", () => {
    const pattern = compileExplainingEventPattern({ items: { kind: ["cpu"], size: [100] } });
    const event = {
      items: [
        { kind: "cpu", size: 1 },
        { kind: "disk", size: 100 },
      ],
    };

    expect(pattern.matches(event)).toBe(false);
    expect(pattern.mismatches(event)).toEqual([[]]);
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
