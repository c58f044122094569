/**
 * ISO 8601 durations of a fixed length, in milliseconds: `PnW`, or `PnDTnHnMnS` with any of its parts
 * (seconds may have a fraction, as in `PT0.5S`). A policy's waits are counted from any moment, so
 * years and months, whose length depends on the date they start from, are refused.
 *
 * Written here rather than taken from npm: the parsers there (iso8601-duration, tinyduration) find a
 * duration anywhere inside a text and accept negative parts, so each would need this same strict
 * pattern in front of it.
 */

export class InvalidDurationError extends Error {
  override readonly name = "InvalidDurationError";
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

const WEEKS = /^P(\d+)W$/;
const DAYS_AND_TIME = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;
/** Years or months, which come first when present (an M before the T is months): a calendar's units. */
const CALENDAR_PARTS = /^P\d+(?:[.,]\d+)?[YM]/;

const EXAMPLES = "such as PT30M, PT24H, P3D or P2W";

/** The duration's length in milliseconds; throws InvalidDurationError saying what is wrong. */
export const parseDuration = (text: string): number => {
  const weeks = WEEKS.exec(text);
  if (weeks) return Number(weeks[1]) * WEEK;
  const parts = DAYS_AND_TIME.exec(text);
  if (parts && text !== "P" && !text.endsWith("T")) {
    const [, days, hours, minutes, seconds] = parts;
    return (
      Number(days ?? 0) * DAY +
      Number(hours ?? 0) * HOUR +
      Number(minutes ?? 0) * MINUTE +
      Math.round(Number((seconds ?? "0").replace(",", ".")) * SECOND)
    );
  }
  if (CALENDAR_PARTS.test(text)) {
    throw new InvalidDurationError(
      "must not count years or months: their length depends on the date they start from; write days or weeks (P30D, P4W)",
    );
  }
  throw new InvalidDurationError(`must be an ISO 8601 duration ${EXAMPLES}`);
};
