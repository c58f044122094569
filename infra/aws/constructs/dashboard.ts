import { Aws, Duration } from "aws-cdk-lib";
import { Dashboard, GraphWidget, type IMetric, Stats, TextWidget } from "aws-cdk-lib/aws-cloudwatch";
import type { Construct } from "constructs";
import { PERIOD, type WatchedFlow } from "./watched-flow.ts";

/** Each widget's share of the dashboard's 24 columns: three graphs a row. */
const THIRD = 8;

export interface FlowDashboardProps {
  /** The stack's name: the dashboard is named after it and its region (dashboards are one namespace per account). */
  name: string;
  flow: WatchedFlow;
}

const graph = (title: string, left: IMetric[]) =>
  new GraphWidget({ title, left, width: THIRD, height: 6, period: PERIOD });

/**
 * The flow on one page, in its order: the API that takes requests, each service's functions, the bus's
 * rules that carry events between them, and the dead-letter queues where what failed waits.
 */
export class FlowDashboard extends Dashboard {
  constructor(scope: Construct, id: string, { name, flow }: FlowDashboardProps) {
    super(scope, id, { dashboardName: `${name}-flow-${Aws.REGION}`, defaultInterval: Duration.days(1) });
    const { api } = flow;
    const statistic = { statistic: Stats.SUM, period: PERIOD };
    this.addWidgets(
      new TextWidget({
        markdown: `# ${name}: the flow\nAlarms: docs/DEPLOYMENT.md, "Alarms and the dashboard"`,
        width: 24,
        height: 2,
      }),
      graph("API: requests", [api.metricCount({ ...statistic, label: "requests" })]),
      graph("API: 4xx and 5xx", [
        api.metricClientError({ ...statistic, label: "4xx" }),
        api.metricServerError({ ...statistic, label: "5xx" }),
      ]),
      graph("API: latency", [
        api.metricLatency({ statistic: Stats.p(50), period: PERIOD, label: "p50" }),
        api.metricLatency({ statistic: Stats.p(90), period: PERIOD, label: "p90" }),
      ]),
    );
    for (const group of flow.functionGroups) {
      const functions = [...group.functions];
      this.addWidgets(
        graph(
          `${group.name}: invocations`,
          functions.map(([id, fn]) => fn.function.metricInvocations({ ...statistic, label: id })),
        ),
        graph(
          `${group.name}: errors`,
          functions.map(([id, fn]) => fn.function.metricErrors({ ...statistic, label: id })),
        ),
        graph(
          `${group.name}: duration (p90)`,
          functions.map(([id, fn]) =>
            fn.function.metricDuration({ statistic: Stats.p(90), period: PERIOD, label: id }),
          ),
        ),
      );
    }
    this.addWidgets(
      graph(
        "Rules: invocations",
        flow.rules.map((rule) => rule.metric("Invocations").with({ label: rule.id })),
      ),
      graph("Rules: failed and dead-lettered", [
        ...flow.rules.map((rule) => rule.metric("FailedInvocations").with({ label: `${rule.id} failed` })),
        ...flow.rules.map((rule) =>
          rule.metric("InvocationsSentToDlq").with({ label: `${rule.id} dead-lettered` }),
        ),
      ]),
      graph(
        "Dead-letter queues: messages waiting",
        flow.queues.map(({ id: queueId, queue }) =>
          queue.metricApproximateNumberOfMessagesVisible({
            statistic: Stats.MAXIMUM,
            period: PERIOD,
            label: queueId,
          }),
        ),
      ),
    );
  }
}
