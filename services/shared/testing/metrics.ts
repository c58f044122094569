import type { BusinessMetrics, CountMetric, DurationMetric, MetricDimensions } from "../observability.ts";

export interface RecordedMetric {
  metric: CountMetric | DurationMetric;
  value: number;
  dimensions?: MetricDimensions;
}

/** Business metrics that remember what a handler recorded, in order: counts as 1, durations in ms. */
export const recordingMetrics = (): BusinessMetrics & { recorded: RecordedMetric[] } => {
  const recorded: RecordedMetric[] = [];
  return {
    recorded,
    count: (metric, dimensions) => {
      recorded.push({ metric, value: 1, ...(dimensions && { dimensions }) });
    },
    duration: (metric, milliseconds, dimensions) => {
      recorded.push({ metric, value: milliseconds, ...(dimensions && { dimensions }) });
    },
  };
};
