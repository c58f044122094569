import { describe, expect, it } from "vitest";
import { clientPerRegion } from "./regional-clients.ts";

describe("clientPerRegion", () => {
  it("makes a region's client on first use and hands the same one back after", () => {
    const made: string[] = [];
    const clientFor = clientPerRegion((region) => {
      made.push(region);
      return { region };
    });

    const first = clientFor("eu-west-1");
    const again = clientFor("eu-west-1");
    const other = clientFor("us-east-1");

    expect(again).toBe(first);
    expect(other).toEqual({ region: "us-east-1" });
    expect(made).toEqual(["eu-west-1", "us-east-1"]);
  });
});
