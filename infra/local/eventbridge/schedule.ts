import { newBusEvent } from "./envelope.ts";
import { type BusEvent, LOCAL_ACCOUNT_ID } from "./types.ts";

export class InvalidScheduleExpressionError extends Error {
  override readonly name = "InvalidScheduleExpressionError";
}

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const RATE_EXPRESSION = /^rate\((\d+) (minute|hour|day)(s?)\)$/;

/**
 * The period of a `rate(...)` expression. As EventBridge does, the unit is singular for 1 and plural
 * otherwise. `cron(...)` is not supported locally.
 */
export const rateIntervalMs = (expression: string): number => {
  const match = RATE_EXPRESSION.exec(expression);
  const value = Number(match?.[1]);
  const unit = match?.[2] as keyof typeof UNIT_MS | undefined;
  if (!unit || value < 1 || (value === 1) !== (match?.[3] === "")) {
    throw new InvalidScheduleExpressionError(
      `'${expression}' is not a supported schedule: use rate(1 minute), rate(N minutes), rate(1 hour), rate(N hours), rate(1 day) or rate(N days)`,
    );
  }
  return value * UNIT_MS[unit];
};

export const ruleArn = (region: string, ruleName: string) =>
  `arn:aws:events:${region}:${LOCAL_ACCOUNT_ID}:rule/${ruleName}`;

/** The event EventBridge sends a scheduled rule's target; its time has second precision, as AWS's. */
export const scheduledEvent = (region: string, ruleName: string, firedAt: Date): BusEvent =>
  newBusEvent({
    source: "aws.events",
    detailType: "Scheduled Event",
    detail: {},
    region,
    resources: [ruleArn(region, ruleName)],
    time: firedAt,
  });

/**
 * Calls `fire` on every multiple of the interval since the epoch, so a restart neither shifts nor
 * postpones the next tick. Returns the function that stops it.
 */
export const everyInterval = (intervalMs: number, fire: (firedAt: Date) => void): (() => void) => {
  let timer: NodeJS.Timeout;
  const scheduleNext = () => {
    timer = setTimeout(
      () => {
        scheduleNext();
        fire(new Date());
      },
      intervalMs - (Date.now() % intervalMs),
    );
  };
  scheduleNext();
  return () => clearTimeout(timer);
};
