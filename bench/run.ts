import { formatTable } from "../cli/format-table.ts";
import { benchmarkAccessTokens } from "./access-token.bench.ts";
import { benchmarkBus } from "./bus.bench.ts";
import { benchmarkFlow } from "./flow.bench.ts";
import { benchmarkLambdaBundles } from "./lambda-bundles.bench.ts";
import { benchmarkPolicies } from "./policy.bench.ts";
import type { Benchmark } from "./types.ts";

/** Every benchmark of `npm run bench`; add an entry to measure something new. */
const BENCHMARKS: Benchmark[] = [
  {
    name: "bus",
    description: "local EventBridge, durable: 5,000 events through PutEvents to a handler",
    run: () => benchmarkBus(),
  },
  {
    name: "flow",
    description:
      "the whole product: 100 requests submitted, mailed, approved and provisioned through all six services",
    run: () => benchmarkFlow(),
  },
  {
    name: "lambda-bundles",
    description:
      "each Lambda handler bundled as the CDK stack bundles it: size, and module init in a fresh process",
    run: () => benchmarkLambdaBundles(),
  },
  {
    name: "access-token",
    description: "the API's sign-in check: a real local access token verified 5,000 times, the JWKS cached",
    run: () => benchmarkAccessTokens(),
  },
  {
    name: "policy",
    description:
      "choosing a request's approval policy among 100, every one tried before the last decides, with and without explaining why",
    run: () => benchmarkPolicies(),
  },
];

const wanted = process.argv.slice(2);
const selected = BENCHMARKS.filter((benchmark) => wanted.length === 0 || wanted.includes(benchmark.name));
if (selected.length === 0) {
  console.error(
    `No benchmark named ${wanted.join(", ")}; there are: ${BENCHMARKS.map((b) => b.name).join(", ")}`,
  );
  process.exit(1);
}

const figure = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const rows: string[][] = [];
for (const benchmark of selected) {
  console.error(`Running ${benchmark.name}: ${benchmark.description} ...`);
  for (const metric of await benchmark.run()) {
    rows.push([benchmark.name, metric.label, figure.format(metric.value), metric.unit]);
  }
}
console.log(formatTable(["BENCHMARK", "METRIC", "VALUE", "UNIT"], rows));
