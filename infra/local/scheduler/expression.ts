/**
 * EventBridge Scheduler's schedule expressions, as far as local mode runs them: one-time `at(...)` and
 * `rate(...)`. The grammar is AWS's as measured against CreateSchedule: keywords in any case, `at()` a
 * wall-clock time with no zone suffix (the zone is ScheduleExpressionTimezone), `rate()` a positive
 * whole number and minute(s), hour(s) or day(s), singular and plural alike.
 */

/** AWS's refusal of any expression it cannot read, word for word. */
export class InvalidScheduleExpressionError extends Error {
  override readonly name = "InvalidScheduleExpressionError";
  constructor(expression: string) {
    super(`Invalid Schedule Expression ${expression}.`);
  }
}

/** A valid AWS expression local mode does not run (`cron(...)`): said plainly rather than as invalid. */
export class UnsupportedScheduleExpressionError extends Error {
  override readonly name = "UnsupportedScheduleExpressionError";
}

export class InvalidTimezoneError extends Error {
  override readonly name = "InvalidTimezoneError";
  constructor(timezone: string) {
    super(
      `Invalid Schedule Expression Timezone ${timezone}: it must be an IANA time zone such as UTC or Europe/Paris.`,
    );
  }
}

export type ScheduleExpression =
  | { kind: "at" /** The wall-clock time, as epoch ms read as if it were UTC. */; wallClockMs: number }
  | { kind: "rate"; intervalMs: number };

const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?\)$/i;
const RATE = /^rate\((\d+) (minutes?|hours?|days?)\)$/i;
const CRON = /^cron\(.*\)$/i;

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

const wallClockOf = (expression: string, match: RegExpExecArray): number => {
  // Seconds may be left out: their group is then undefined, read as 0.
  const [year, month, day, hour, minute, second] = match
    .slice(1)
    .map((part) => Number(part ?? 0)) as number[];
  const ms = Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
  const date = new Date(ms);
  // Date.UTC rolls 2030-02-30 over into March: a date that does not round-trip does not exist.
  const exists =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === (month as number) - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  if (!exists) throw new InvalidScheduleExpressionError(expression);
  return ms;
};

export const parseScheduleExpression = (expression: string): ScheduleExpression => {
  const at = AT.exec(expression);
  if (at) return { kind: "at", wallClockMs: wallClockOf(expression, at) };
  const rate = RATE.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = (rate[2] as string).toLowerCase().replace(/s$/, "");
    if (value < 1) throw new InvalidScheduleExpressionError(expression);
    return { kind: "rate", intervalMs: value * (UNIT_MS[unit] as number) };
  }
  if (CRON.test(expression)) {
    throw new UnsupportedScheduleExpressionError(
      `The local Scheduler runs at(...) and rate(...) expressions only, not ${expression}.`,
    );
  }
  throw new InvalidScheduleExpressionError(expression);
};

const formatterOf = (timezone: string): Intl.DateTimeFormat => {
  try {
    return new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch (cause) {
    throw Object.assign(new InvalidTimezoneError(timezone), { cause });
  }
};

/** Throws InvalidTimezoneError unless the zone is one the time zone database knows. */
export const checkTimezone = (timezone: string): void => {
  formatterOf(timezone);
};

/** How far the zone's clocks are ahead of UTC at the instant `utcMs`. */
const offsetAt = (formatter: Intl.DateTimeFormat, utcMs: number): number => {
  const parts = Object.fromEntries(
    formatter.formatToParts(new Date(utcMs)).map((part) => [part.type, Number(part.value)]),
  );
  const wallClock = Date.UTC(
    parts.year as number,
    (parts.month as number) - 1,
    parts.day,
    parts.hour,
    parts.minute,
    parts.second,
  );
  return wallClock - (utcMs - (((utcMs % 1000) + 1000) % 1000));
};

/**
 * The instant a wall-clock time names in a zone. Two passes settle the offset on either side of a
 * daylight-saving change; a time the change skips lands an hour later, as clocks moved on.
 */
export const instantOf = (wallClockMs: number, timezone: string): number => {
  const formatter = formatterOf(timezone);
  const guess = wallClockMs - offsetAt(formatter, wallClockMs);
  return wallClockMs - offsetAt(formatter, guess);
};
