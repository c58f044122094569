import { evaluate, parsePolicies, parsePolicyRequest } from "../policy/index.ts";
import { BenchmarkFailedError } from "./bus.bench.ts";
import { type Metric, percentile } from "./types.ts";

const WARM_UP_EVALUATIONS = 1_000;

export interface PolicyBenchmarkOptions {
  policies?: number;
  evaluations?: number;
}

/**
 * One policy of a large file: patterns of every kind the language offers (prefixes, numeric ranges,
 * anything-but, groups, `$or`), none of which the benchmark's request matches.
 */
const policyNumber = (index: number) => {
  const patterns = [
    { resource: { instanceType: [{ prefix: `x${index}.` }] } },
    { resource: { volume: { sizeGiB: [{ numeric: [">", 16_000 + index] }] } } },
    { requester: { groups: [`team-${index}`] } },
    {
      resource: { os: [{ "anything-but": ["ubuntu-24.04", "amazon-linux-2023"] }] },
      region: [`eu-west-${index}`],
    },
    {
      $or: [
        { justification: [{ prefix: `ticket-${index}` }] },
        { requester: { email: [{ suffix: `@team-${index}.example.com` }] } },
      ],
    },
  ];
  return {
    name: `policy-${index}`,
    match: patterns[index % patterns.length],
    stages: [{ approvers: { groups: ["approvers"] }, quorum: 1 }],
  };
};

/**
 * What choosing a policy costs a request: a file of `policies` policies, where every one but the last
 * is tried and skipped; then the same with the explanation of each skip.
 */
export const benchmarkPolicies = async ({
  policies = 100,
  evaluations = 10_000,
}: PolicyBenchmarkOptions = {}): Promise<Metric[]> => {
  const file = JSON.stringify({
    policies: [
      ...Array.from({ length: policies - 1 }, (_, index) => policyNumber(index)),
      { name: "default", stages: [{ approvers: { groups: ["approvers"] }, quorum: 1 }] },
    ],
  });
  const loadStart = performance.now();
  const policySet = parsePolicies(file, "the benchmark's policies");
  const loadMs = performance.now() - loadStart;
  const request = parsePolicyRequest(
    {
      requester: { email: "requester@example.com", groups: ["requesters"] },
      resource: {
        type: "ec2",
        instanceType: "m7i.large",
        os: "ubuntu-24.04",
        volume: { sizeGiB: 100, type: "gp3" },
      },
      justification: "load tests for the release",
    },
    "the benchmark's request",
  );
  if (evaluate(policySet, request).policy.name !== "default") {
    throw new BenchmarkFailedError(
      "A policy before the last matched: the benchmark would measure less than it says",
    );
  }
  // The decision service only decides; `npm run policy -- explain` reads the explanation too.
  const decide = () => evaluate(policySet, request);
  const decideAndExplain = () => evaluate(policySet, request).why;
  const measure = (run: () => unknown): number[] => {
    for (let index = 0; index < WARM_UP_EVALUATIONS; index++) run();
    const durations: number[] = [];
    for (let index = 0; index < evaluations; index++) {
      const before = performance.now();
      run();
      durations.push(performance.now() - before);
    }
    return durations;
  };
  const decisions = measure(decide);
  const explained = measure(decideAndExplain);
  return [
    {
      label: `evaluation p50 (${policies} policies, the last decides)`,
      value: percentile(decisions, 50) * 1000,
      unit: "µs",
    },
    { label: "evaluation p99", value: percentile(decisions, 99) * 1000, unit: "µs" },
    { label: "evaluation with its explanation p50", value: percentile(explained, 50) * 1000, unit: "µs" },
    { label: "evaluation with its explanation p99", value: percentile(explained, 99) * 1000, unit: "µs" },
    { label: `load and compile ${policies} policies`, value: loadMs, unit: "ms" },
  ];
};
