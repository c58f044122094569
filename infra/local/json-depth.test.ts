import { describe, expect, it } from "vitest";
import { nestsDeeperThan } from "./json-depth.ts";

const nestedArrays = (depth: number): unknown => JSON.parse(`${"[".repeat(depth)}1${"]".repeat(depth)}`);

describe("nestsDeeperThan", () => {
  it("counts the top-level object or array as depth 1 and scalars as no depth", () => {
    expect(nestsDeeperThan({ a: 1 }, 1)).toBe(false);
    expect(nestsDeeperThan({ a: { b: 1 } }, 1)).toBe(true);
    expect(nestsDeeperThan("text", 0)).toBe(false);
  });

  it("finds the deepest branch wherever it is", () => {
    const value = { shallow: [1, 2], deep: { list: [{ leaf: [true] }] } };

    expect(nestsDeeperThan(value, 5)).toBe(false);
    expect(nestsDeeperThan(value, 4)).toBe(true);
  });

  it("walks a value nested far beyond what recursion survives", () => {
    const deep = nestedArrays(200_000);

    expect(nestsDeeperThan(deep, 200_000)).toBe(false);
    expect(nestsDeeperThan(deep, 199_999)).toBe(true);
  });
});
