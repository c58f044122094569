/** One figure a benchmark measured. */
export interface Metric {
  label: string;
  value: number;
  unit: string;
}

/** An entry of `npm run bench`: `name` selects it on the command line (`npm run bench -- bus`). */
export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<Metric[]>;
}

/** The value below which `percent` percent of the samples fall (nearest rank). */
export const percentile = (samples: readonly number[], percent: number): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((percent / 100) * sorted.length) - 1)] ?? Number.NaN;
};
