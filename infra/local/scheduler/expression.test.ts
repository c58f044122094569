import { describe, expect, it } from "vitest";
import {
  checkTimezone,
  InvalidScheduleExpressionError,
  InvalidTimezoneError,
  instantOf,
  parseScheduleExpression,
  UnsupportedScheduleExpressionError,
} from "./expression.ts";

describe("parseScheduleExpression", () => {
  it("reads at() as a wall-clock time, with or without seconds, keyword in any case", () => {
    expect(parseScheduleExpression("at(2030-01-02T03:04:05)")).toEqual({
      kind: "at",
      wallClockMs: Date.UTC(2030, 0, 2, 3, 4, 5),
    });
    expect(parseScheduleExpression("AT(2030-01-02T03:04)")).toEqual({
      kind: "at",
      wallClockMs: Date.UTC(2030, 0, 2, 3, 4, 0),
    });
  });

  it("reads rate() in minutes, hours and days, singular and plural alike, as Scheduler does", () => {
    expect(parseScheduleExpression("rate(1 minute)")).toEqual({ kind: "rate", intervalMs: 60_000 });
    expect(parseScheduleExpression("rate(1 minutes)")).toEqual({ kind: "rate", intervalMs: 60_000 });
    expect(parseScheduleExpression("rate(2 hours)")).toEqual({ kind: "rate", intervalMs: 7_200_000 });
    expect(parseScheduleExpression("Rate(3 day)")).toEqual({ kind: "rate", intervalMs: 259_200_000 });
  });

  it.each([
    "at(2030-01-01T00:00:00Z)",
    "at(2030-13-01T00:00:00)",
    "at(2031-02-29T00:00:00)",
    "at(2030-01-01T24:00:00)",
    "rate(0 hours)",
    "rate(5 weeks)",
    "rate(5  minutes)",
  ])("refuses %s with AWS's message", (expression) => {
    expect(() => parseScheduleExpression(expression)).toThrow(new InvalidScheduleExpressionError(expression));
    expect(new InvalidScheduleExpressionError(expression).message).toBe(
      `Invalid Schedule Expression ${expression}.`,
    );
  });

  it("takes a leap day that exists", () => {
    expect(parseScheduleExpression("at(2032-02-29T12:00:00)")).toMatchObject({ kind: "at" });
  });

  it("tells cron() apart from a wrong expression: valid on AWS, not run locally", () => {
    expect(() => parseScheduleExpression("cron(0 12 * * ? *)")).toThrow(UnsupportedScheduleExpressionError);
  });
});

describe("instantOf", () => {
  it("is the wall-clock time itself in UTC", () => {
    expect(instantOf(Date.UTC(2030, 5, 1, 12, 0, 0), "UTC")).toBe(Date.UTC(2030, 5, 1, 12, 0, 0));
  });

  it("follows a zone's daylight saving time", () => {
    // Paris is UTC+1 in winter and UTC+2 in summer.
    expect(instantOf(Date.UTC(2030, 0, 15, 9, 0, 0), "Europe/Paris")).toBe(Date.UTC(2030, 0, 15, 8, 0, 0));
    expect(instantOf(Date.UTC(2030, 6, 15, 9, 0, 0), "Europe/Paris")).toBe(Date.UTC(2030, 6, 15, 7, 0, 0));
    expect(instantOf(Date.UTC(2030, 0, 15, 9, 0, 0), "America/New_York")).toBe(
      Date.UTC(2030, 0, 15, 14, 0, 0),
    );
  });

  it("moves a time the spring change skips an hour on, as the clocks did", () => {
    // 2030-03-31 02:30 never happens in Paris: clocks go from 02:00 to 03:00 (01:00 UTC).
    expect(instantOf(Date.UTC(2030, 2, 31, 2, 30, 0), "Europe/Paris")).toBe(Date.UTC(2030, 2, 31, 1, 30, 0));
  });
});

describe("checkTimezone", () => {
  it("takes IANA zones and refuses anything else", () => {
    expect(() => checkTimezone("Asia/Tokyo")).not.toThrow();
    expect(() => checkTimezone("Mars/Olympus")).toThrow(InvalidTimezoneError);
  });
});
