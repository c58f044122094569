import { describe, expect, it } from "vitest";
import { InvalidDurationError, parseDuration } from "./duration.ts";

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;

describe("parseDuration", () => {
  it("reads days and times of day in milliseconds", () => {
    expect(parseDuration("P3D")).toBe(3 * DAY);
    expect(parseDuration("PT24H")).toBe(24 * HOUR);
    expect(parseDuration("PT30M")).toBe(30 * 60 * SECOND);
    expect(parseDuration("PT45S")).toBe(45 * SECOND);
    expect(parseDuration("P1DT2H3M4S")).toBe(DAY + 2 * HOUR + 3 * 60 * SECOND + 4 * SECOND);
  });

  it("reads weeks on their own", () => {
    expect(parseDuration("P2W")).toBe(14 * DAY);
  });

  it("reads a fraction of a second, with a point or a comma", () => {
    expect(parseDuration("PT0.5S")).toBe(500);
    expect(parseDuration("PT1,25S")).toBe(1250);
  });

  it("refuses years and months, saying they have no fixed length", () => {
    for (const calendar of ["P1Y", "P2M", "P1Y2M3D", "P1M2DT3H"]) {
      expect(() => parseDuration(calendar)).toThrow(InvalidDurationError);
      expect(() => parseDuration(calendar)).toThrow(
        "must not count years or months: their length depends on the date they start from; write days or weeks (P30D, P4W)",
      );
    }
  });

  it("refuses what is not an ISO 8601 duration, with examples", () => {
    for (const text of [
      "",
      "P",
      "PT",
      "P1DT",
      "3 days",
      "PT24h",
      "-P1D",
      "P-1D",
      "P1D ",
      " P1D",
      "P1W2D",
      "PT1.5H",
    ]) {
      expect(() => parseDuration(text), text).toThrow(
        "must be an ISO 8601 duration such as PT30M, PT24H, P3D or P2W",
      );
    }
  });

  it("reads the time after T only: PT1M is a minute", () => {
    expect(parseDuration("PT1M")).toBe(60 * SECOND);
  });
});
