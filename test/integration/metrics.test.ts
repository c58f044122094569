import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METRICS_NAMESPACE } from "../../services/shared/observability.ts";
import { localUsersEnv, waitForStatus } from "../support/flow.ts";
import { submitAndApprove } from "../support/launches.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

interface EmfLine {
  service: string;
  _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] };
  [field: string]: unknown;
}

/** The EMF lines the stack printed, each as `service metric=value` of every metric it holds. */
const metricsPrintedBy = (stack: StackUnderTest): string[] =>
  stack
    .output()
    .split("\n")
    .flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as EmfLine;
        return parsed._aws?.CloudWatchMetrics ? [parsed] : [];
      } catch {
        return [];
      }
    })
    .flatMap((emf) =>
      emf._aws.CloudWatchMetrics.flatMap(({ Namespace, Metrics }) =>
        Namespace === METRICS_NAMESPACE
          ? Metrics.map(({ Name }) => `${emf.service} ${Name}${emf.outcome ? ` outcome=${emf.outcome}` : ""}`)
          : [],
      ),
    );

describe("the business metrics on the local stack", () => {
  let stack: StackUnderTest;
  beforeAll(async () => {
    // What `npm start` does, which the test environment turns off elsewhere.
    stack = await startStack({ env: { POWERTOOLS_METRICS_DISABLED: "false", ...localUsersEnv() } });
  });
  afterAll(async () => {
    await stack?.destroy();
  });

  it("prints each step of a request's flow as an EMF line, from its submission to its resource", async () => {
    const requestId = await submitAndApprove(stack, { type: "s3", bucketName: "metered-reports" });
    await waitForStatus(stack, requestId, "PROVISIONED");

    const printed = await stack.eventually(
      async () => metricsPrintedBy(stack),
      (names) => names.includes("notifier EmailsSent"),
    );
    expect(printed).toEqual(
      expect.arrayContaining([
        "intake RequestsSubmitted",
        "intake RequestsAccepted",
        "approval-mail ApprovalsAsked",
        "approval-mail EmailsSent",
        "decision ApprovalsDecided outcome=approved",
        "decision TimeToDecision",
        "s3-launcher ProvisioningStarted",
        "s3-launcher ProvisioningSucceeded",
        "s3-launcher TimeToProvision",
        "notifier EmailsSent",
      ]),
    );
  });
});
