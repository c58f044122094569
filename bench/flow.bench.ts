import { setTimeout as sleep } from "node:timers/promises";
import {
  decide,
  decisionLinks,
  localUsersEnv,
  OPERATOR_EMAIL,
  signedInAs,
  submit,
  validRequest,
} from "../test/support/flow.ts";
import { type StackUnderTest, startStack } from "../test/support/stack.ts";
import { BenchmarkFailedError } from "./bus.bench.ts";
import { type Metric, percentile } from "./types.ts";

export interface FlowBenchmarkOptions {
  requests?: number;
  /** Submissions, and then approvals, kept in flight at once. */
  concurrency?: number;
  maxDurationMs?: number;
}

// Polling reads the whole mailbox from the stack under test; more often would load the very process measured.
const POLL_MS = 250;

/** Runs `work` over `items` with at most `concurrency` in flight. */
const inParallel = async <T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
};

/** Polls until every id has been seen, noting when each first was; `seen` returns the ids visible now. */
const watchArrivals = async (
  ids: readonly string[],
  deadline: number,
  seen: () => Promise<Iterable<string>>,
) => {
  const arrivals = new Map<string, number>();
  while (arrivals.size < ids.length) {
    if (Date.now() > deadline)
      throw new BenchmarkFailedError(`Only ${arrivals.size} of ${ids.length} arrived in time`);
    for (const id of await seen()) if (!arrivals.has(id)) arrivals.set(id, performance.now());
    await sleep(POLL_MS);
  }
  return arrivals;
};

const provisionedIds = async (stack: StackUnderTest) => {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ status: "PROVISIONED", limit: "100", ...(cursor && { cursor }) });
    const headers = await signedInAs(stack, OPERATOR_EMAIL);
    const page = (await (await fetch(`${stack.portalUrl}/api/requests?${query}`, { headers })).json()) as {
      items: { requestId: string }[];
      nextCursor?: string;
    };
    ids.push(...page.items.map((item) => item.requestId));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
};

/**
 * The whole product under load, through all six services as a user drives them: requests submitted
 * over HTTP, approval emails read from the mailbox, links pressed, instances launched and audited.
 * The local EC2 boots instantly here so the figures are the services' own, not the emulated boot.
 */
export const benchmarkFlow = async ({
  requests = 100,
  concurrency = 10,
  maxDurationMs = 180_000,
}: FlowBenchmarkOptions = {}): Promise<Metric[]> => {
  const stack = await startStack({
    env: { EC2_BOOT_DELAY_MS: "0", POWERTOOLS_LOG_LEVEL: "ERROR", ...localUsersEnv() },
  });
  try {
    const deadline = Date.now() + maxDurationMs;
    const submittedAt = new Map<string, number>();
    const started = performance.now();
    await inParallel(
      Array.from({ length: requests }, (_, index) => index),
      concurrency,
      async (index) => {
        const before = performance.now();
        const answer = await submit(
          stack,
          validRequest({
            requestId: `bench-${index}`,
            resource: { type: "ec2", instanceType: "t3.micro", os: "amazon-linux-2023" },
          }),
        );
        if (answer.status !== 202) throw new BenchmarkFailedError(`Submit answered ${answer.status}`);
        submittedAt.set(String(answer.body.requestId), before);
      },
    );
    const ids = [...submittedAt.keys()];

    const approvalEmails = new Map<string, string>();
    const mailedAt = await watchArrivals(ids, deadline, async () => {
      for (const email of await stack.emails()) {
        const id = /\(request ([A-Za-z0-9_-]+)\)|request ([A-Za-z0-9_-]+)/.exec(email.subject);
        const requestId = id?.[1] ?? id?.[2];
        if (requestId && submittedAt.has(requestId) && (email.body.html ?? "").includes("/decisions/")) {
          approvalEmails.set(requestId, decisionLinks(email).approve);
        }
      }
      return approvalEmails.keys();
    });

    const approvedAt = new Map<string, number>();
    const provisioned = watchArrivals(ids, deadline, () => provisionedIds(stack));
    await inParallel(ids, concurrency, async (id) => {
      approvedAt.set(id, performance.now());
      const decision = await decide(approvalEmails.get(id) as string);
      if (decision.status !== 200) throw new BenchmarkFailedError(`Approve answered ${decision.status}`);
    });
    const provisionedAt = await provisioned;
    const finished = Math.max(...provisionedAt.values());

    const toMail = ids.map((id) => (mailedAt.get(id) as number) - (submittedAt.get(id) as number));
    const toProvisioned = ids.map((id) => (provisionedAt.get(id) as number) - (approvedAt.get(id) as number));
    return [
      {
        label: `requests through all six services (${requests}, ${concurrency} at once)`,
        value: requests / ((finished - started) / 1000),
        unit: "requests/s",
      },
      { label: "submit -> approval mail p50", value: percentile(toMail, 50), unit: "ms" },
      { label: "submit -> approval mail p99", value: percentile(toMail, 99), unit: "ms" },
      { label: "approve -> PROVISIONED p50", value: percentile(toProvisioned, 50), unit: "ms" },
      { label: "approve -> PROVISIONED p99", value: percentile(toProvisioned, 99), unit: "ms" },
    ];
  } finally {
    await stack.destroy();
  }
};
