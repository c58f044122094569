import type { Dashboard, DashboardQuery } from "../../api/dashboard.ts";
import type { RequestView, TimelineEntry } from "../../api/schemas.ts";
import { policyActorSchema } from "../../events/approval-policy.ts";
import {
  type EventContract,
  ProvisioningFailed,
  RequestAccepted,
  RequestApproved,
  RequestCancelled,
  RequestExpired,
  RequestInvalid,
  RequestRejected,
  ResourceProvisioned,
} from "../../events/index.ts";
import type { RequestStatus } from "../../events/request-status.ts";
import { awaitedApproversOf, extensionRoundOf } from "./approval.ts";
import { emailKeyOf } from "./domain.ts";

/**
 * The dashboard's aggregates: each audited event adds to a few counters of the day it happened (UTC),
 * so a range of days is read, never the requests themselves. Counters are only ever added to, each
 * event at most once (the store sees to that), so they hold however events arrive and repeat.
 */

/** What the dashboard counts by: a metric, and what it is broken down by. */
export type Metric = "status" | "decision-minutes" | "cost-by-requester" | "cost-by-type";

/** One step of one counter: on `day`, the `metric` of `dimension` grows by `by`. */
export interface Increment {
  day: string;
  metric: Metric;
  dimension: string;
  by: number;
}

/** A counter as the store reads it back. */
export type Counter = Omit<Increment, "by"> & { value: number };

/** The status each event brings a request to, as the dashboard counts requests by status. */
const STATUS_REACHED = new Map<string, RequestStatus>(
  (
    [
      [RequestAccepted, "SUBMITTED"],
      [RequestInvalid, "INVALID"],
      [RequestApproved, "APPROVED"],
      [RequestRejected, "REJECTED"],
      [RequestExpired, "EXPIRED"],
      [RequestCancelled, "CANCELLED"],
      [ResourceProvisioned, "PROVISIONED"],
      [ProvisioningFailed, "FAILED"],
    ] as const satisfies readonly (readonly [EventContract, RequestStatus])[]
  ).map(([contract, status]) => [contract.detailType, status]),
);

/**
 * The upper bounds, in minutes, of the time-to-decision histogram's buckets: a minute up to 30 days,
 * closer together where most decisions fall. A last bucket takes what is longer. Fixed, so the days'
 * histograms add up over any range and its percentiles come from the sum.
 */
export const DECISION_BUCKETS_MINUTES = [
  1, 5, 15, 30, 60, 120, 240, 480, 720, 1440, 2880, 4320, 7200, 10080, 20160, 43200,
] as const;

/** The dimension of the bucket past the last bound. */
const LONGER = "longer";

const bucketOf = (minutes: number): string =>
  String(DECISION_BUCKETS_MINUTES.find((bound) => minutes <= bound) ?? LONGER);

const dayOf = (time: string): string => new Date(time).toISOString().slice(0, 10);

/** The decider of a decision event, if a person: policies decide at once and would hide the wait. */
const personDeciding = (detail: unknown): string | undefined => {
  const approver = (detail as { approver?: unknown }).approver;
  return typeof approver === "string" && !policyActorSchema.safeParse(approver).success
    ? approver
    : undefined;
};

/**
 * What an audited event adds to the counters: the status it brings its request to, how long a person
 * took to decide since `submittedAt` (the request's first event), and the estimated monthly cost of a
 * resource provisioned. Events about an extension of a lease count for none of it.
 */
export const incrementsOf = (entry: TimelineEntry, submittedAt: string | undefined): Increment[] => {
  const status = STATUS_REACHED.get(entry.type);
  if (status === undefined || extensionRoundOf(entry.detail) !== undefined) return [];
  const day = dayOf(entry.time);
  const increments: Increment[] = [{ day, metric: "status", dimension: status, by: 1 }];
  const decided = status === "APPROVED" || status === "REJECTED";
  if (decided && submittedAt !== undefined && personDeciding(entry.detail) !== undefined) {
    const minutes = Math.max(0, (Date.parse(entry.time) - Date.parse(submittedAt)) / 60_000);
    increments.push({ day, metric: "decision-minutes", dimension: bucketOf(minutes), by: 1 });
  }
  if (status === "PROVISIONED") {
    const { request } = ResourceProvisioned.schema.parse(entry.detail);
    const cost = request.estimatedMonthlyCostUsd;
    if (cost) {
      increments.push(
        { day, metric: "cost-by-requester", dimension: emailKeyOf(request.requester.email), by: cost },
        { day, metric: "cost-by-type", dimension: request.resource.type, by: cost },
      );
    }
  }
  return increments;
};

/** Every day from `from` to `to`, both included, oldest first. */
export const daysOf = ({ from, to }: DashboardQuery): string[] => {
  const days: string[] = [];
  for (let day = new Date(`${from}T00:00:00Z`); dayOf(day.toISOString()) <= to; ) {
    days.push(dayOf(day.toISOString()));
    day = new Date(day.getTime() + 86_400_000);
  }
  return days;
};

/** Counts per bucket, in the order of `DECISION_BUCKETS_MINUTES`, the longer ones last. */
type Histogram = number[];

const emptyHistogram = (): Histogram => new Array(DECISION_BUCKETS_MINUTES.length + 1).fill(0);

const bucketIndexOf = (dimension: string): number => {
  const index = DECISION_BUCKETS_MINUTES.findIndex((bound) => String(bound) === dimension);
  return index < 0 ? DECISION_BUCKETS_MINUTES.length : index;
};

/**
 * The `p` percentile (0 to 1) of a histogram: the upper bound of the bucket the p-th decision falls
 * in; null with no decisions, or when it falls past the last bound.
 */
export const percentileOf = (histogram: Histogram, p: number): number | null => {
  const total = histogram.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const [index, count] of histogram.entries()) {
    seen += count;
    if (seen >= rank) return DECISION_BUCKETS_MINUTES[index] ?? null;
  }
  return null;
};

const timeToDecisionOf = (histogram: Histogram) => ({
  decisions: histogram.reduce((sum, count) => sum + count, 0),
  p50Minutes: percentileOf(histogram, 0.5),
  p90Minutes: percentileOf(histogram, 0.9),
});

const cents = (usd: number) => Math.round(usd * 100) / 100;

/** A breakdown's totals, most first, then by name. */
const mostFirst = (totals: Map<string, number>): [string, number][] =>
  [...totals].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));

const addTo = (totals: Map<string, number>, key: string, by: number) =>
  totals.set(key, (totals.get(key) ?? 0) + by);

/**
 * The dashboard over a range, from its days' counters and the requests pending approval now (whom
 * each waits for, counted per approver whatever the case of their address).
 */
export const dashboardOf = (
  range: DashboardQuery,
  counters: Counter[],
  pending: RequestView[],
): Dashboard => {
  const days = daysOf(range);
  const dayIndex = new Map(days.map((day, index) => [day, index]));
  const byStatus = new Map<RequestStatus, number[]>();
  const daily = days.map(emptyHistogram);
  const costByRequester = new Map<string, number>();
  const costByType = new Map<string, number>();
  for (const { day, metric, dimension, value } of counters) {
    const index = dayIndex.get(day);
    if (index === undefined) continue;
    if (metric === "status") {
      const status = dimension as RequestStatus;
      const counts = byStatus.get(status) ?? days.map(() => 0);
      counts[index] = (counts[index] ?? 0) + value;
      byStatus.set(status, counts);
    } else if (metric === "decision-minutes") {
      const histogram = daily[index] as Histogram;
      const bucket = bucketIndexOf(dimension);
      histogram[bucket] = (histogram[bucket] ?? 0) + value;
    } else if (metric === "cost-by-requester") addTo(costByRequester, dimension, value);
    else addTo(costByType, dimension, value);
  }
  const whole = daily.reduce(
    (sum, histogram) => sum.map((count, bucket) => count + (histogram[bucket] ?? 0)),
    emptyHistogram(),
  );
  const total = (status: RequestStatus) =>
    (byStatus.get(status) ?? []).reduce((sum, count) => sum + count, 0);
  const [succeeded, failed] = [total("PROVISIONED"), total("FAILED")];
  const pendingByApprover = new Map<string, number>();
  for (const view of pending) {
    for (const approver of new Set((awaitedApproversOf(view) ?? []).map(emailKeyOf))) {
      addTo(pendingByApprover, approver, 1);
    }
  }
  return {
    ...range,
    days,
    requestsByStatus: [...STATUS_REACHED.values()]
      .filter((status) => byStatus.has(status))
      .map((status) => ({ status, counts: byStatus.get(status) ?? [] })),
    timeToDecision: { ...timeToDecisionOf(whole), daily: daily.map(timeToDecisionOf) },
    pendingByApprover: mostFirst(pendingByApprover).map(([approver, count]) => ({
      approver,
      pending: count,
    })),
    provisioning: {
      succeeded,
      failed,
      successRate: succeeded + failed === 0 ? null : succeeded / (succeeded + failed),
    },
    costByRequester: mostFirst(costByRequester).map(([requester, usd]) => ({
      requester,
      monthlyUsd: cents(usd),
    })),
    costByResourceType: mostFirst(costByType).map(([resourceType, usd]) => ({
      resourceType,
      monthlyUsd: cents(usd),
    })),
  };
};
