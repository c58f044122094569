import type { DashboardQuery } from "../../api/dashboard.ts";

/** How many days the dashboard shows when first opened: the last 30, today (UTC) included. */
export const DEFAULT_DAYS = 30;

const dayOf = (time: number) => new Date(time).toISOString().slice(0, 10);

/** The last `DEFAULT_DAYS` days up to `now`'s, as the API reads days: in UTC. */
export const defaultRange = (now: Date): DashboardQuery => ({
  from: dayOf(now.getTime() - (DEFAULT_DAYS - 1) * 86_400_000),
  to: dayOf(now.getTime()),
});

/**
 * A percentile of the time to decision as the histogram knows it: at most its bucket's bound, or more
 * than the last bound (null), and nothing with no decisions.
 */
export const percentileInWords = (minutes: number | null, decisions: number): string => {
  if (decisions === 0) return "no decisions";
  if (minutes === null) return "over 30 days";
  if (minutes < 60) return `up to ${minutes} min`;
  if (minutes < 1440) return `up to ${minutes / 60} h`;
  return `up to ${minutes / 1440} ${minutes === 1440 ? "day" : "days"}`;
};

/** A success rate as a whole percentage; none while nothing finished provisioning. */
export const rateInWords = (rate: number | null): string =>
  rate === null ? "none finished" : `${Math.round(rate * 100)}%`;
