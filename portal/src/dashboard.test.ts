import { describe, expect, it } from "vitest";
import { defaultRange, percentileInWords, rateInWords } from "./dashboard.ts";

describe("the operators' dashboard, in words", () => {
  it("opens on the last 30 days, today included, in UTC", () => {
    expect(defaultRange(new Date("2026-03-01T23:30:00-05:00"))).toEqual({
      from: "2026-02-01",
      to: "2026-03-02",
    });
  });

  it("words a percentile as the bound of its bucket, in the unit that reads best", () => {
    expect(percentileInWords(15, 4)).toBe("up to 15 min");
    expect(percentileInWords(120, 4)).toBe("up to 2 h");
    expect(percentileInWords(1440, 4)).toBe("up to 1 day");
    expect(percentileInWords(10080, 4)).toBe("up to 7 days");
    expect(percentileInWords(null, 4)).toBe("over 30 days");
    expect(percentileInWords(null, 0)).toBe("no decisions");
  });

  it("words a success rate as a whole percentage, and none before anything finished", () => {
    expect(rateInWords(2 / 3)).toBe("67%");
    expect(rateInWords(null)).toBe("none finished");
  });
});
