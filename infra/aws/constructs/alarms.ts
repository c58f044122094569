import { ArnFormat, Duration, NestedStack, RemovalPolicy, Stack } from "aws-cdk-lib";
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  Stats,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type { Construct } from "constructs";
import { acknowledge } from "../nag.ts";
import { FlowDashboard } from "./dashboard.ts";
import { type FlowConstructs, PERIOD, watchedFlowOf } from "./watched-flow.ts";

const CLOUDWATCH = new ServicePrincipal("cloudwatch.amazonaws.com");

/** Where an alarm's email sends its reader: the section that says what each kind means and what to do. */
const RUNBOOK = 'docs/DEPLOYMENT.md, section "Alarms and the dashboard"';

const SES_RUNBOOK = 'docs/DEPLOYMENT.md, section "Bounces and complaints"';

/** SES publishes the account's rates about hourly, each over its recent sends. */
const SES_REPUTATION_PERIOD = Duration.hours(1);

/** SES's account-level reputation metrics, alarmed on (AWS's own guidance: under 5% and 0.1%). */
const SES_REPUTATION = [
  { name: "BounceRate", title: "SES bounce rate", threshold: 0.05, what: "bounce rate" },
  { name: "ComplaintRate", title: "SES complaint rate", threshold: 0.001, what: "complaint rate" },
] as const;

export interface AlarmsProps extends FlowConstructs {
  /** Subscribed to the alarms' topic when set (context `alarmEmail`). */
  email?: string;
}

/**
 * Everything that tells an operator the flow broke: an alarm per dead-letter queue, function, rule and
 * the API, each sending ALARM and OK to one SNS topic, and a dashboard of the flow. A nested stack of
 * its own: the application's stack is near CloudFormation's 500 resources, and these add one to four
 * per function, rule and queue.
 */
export class Alarms extends NestedStack {
  readonly topic: Topic;
  /** Every alarm: what a release's canary would roll back on. */
  readonly alarms: Alarm[] = [];
  readonly dashboard: FlowDashboard;
  private readonly action: SnsAction;
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id, {
      description: "Resource approvals: alarms of the flow to an SNS topic, and its dashboard",
    });
    const parent = Stack.of(scope);
    this.prefix = parent.stackName;
    const key = new Key(this, "TopicKey", {
      description: `${parent.stackName}: encrypts the alarms' SNS topic`,
      enableKeyRotation: true,
      // It encrypts notifications in flight only: nothing is left to read with it once the topic goes.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch publishes as itself, so it needs the key and the topic's permission (AWS's documented policy).
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [CLOUDWATCH],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
      }),
    );
    this.topic = new Topic(this, "Topic", {
      displayName: `${parent.stackName} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: "CloudWatchAlarmsOfThisAccount",
        principals: [CLOUDWATCH],
        actions: ["sns:Publish"],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { "aws:SourceAccount": this.account },
          ArnLike: {
            "aws:SourceArn": this.formatArn({
              service: "cloudwatch",
              resource: "alarm",
              resourceName: "*",
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (props.email) {
      const subscription = this.topic.addSubscription(new EmailSubscription(props.email));
      acknowledge(
        subscription,
        "Serverless-SNSRedrivePolicy",
        "An email that SNS cannot deliver needs no queue to be kept in: the alarm it was about stays in CloudWatch, with its state and history",
      );
    }
    this.action = new SnsAction(this.topic);

    const flow = watchedFlowOf(scope, props);
    for (const { id: queueId, queue, owner } of flow.queues) {
      this.alarm(`${queueId}-dead-letters`, {
        title: `dead letters of ${owner}`,
        metric: queue.metricApproximateNumberOfMessagesVisible({
          statistic: Stats.MAXIMUM,
          period: PERIOD,
        }),
        description: `Events that ${owner} did not handle are waiting in its dead-letter queue (${queue.queueName}). Read their error attributes, fix the cause, then redrive them (docs/DEPLOYMENT.md, section "Redrive"). The alarm stays on until the queue is empty.`,
      });
    }
    for (const { name, functions } of flow.functionGroups) {
      for (const [functionId, fn] of functions) {
        const where = `${name} ${functionId} (function ${fn.function.functionName})`;
        this.alarm(`${name}-${functionId}-errors`, {
          title: `${name} ${functionId} failed`,
          metric: fn.function.metricErrors({ statistic: Stats.SUM, period: PERIOD }),
          description: `${where} failed at least once in 5 minutes. Its log group has the error; an event consumer is retried, then dead-lettered (${RUNBOOK}).`,
        });
        this.alarm(`${name}-${functionId}-throttles`, {
          title: `${name} ${functionId} throttled`,
          metric: fn.function.metricThrottles({ statistic: Stats.SUM, period: PERIOD }),
          description:
            fn.reservedConcurrency === undefined
              ? `Lambda throttled ${where} at least once in 5 minutes: the account's concurrency is used up. Look at the account's concurrent executions (${RUNBOOK}).`
              : `Lambda throttled ${where} at least once in 5 minutes: the launcher's cap of ${fn.reservedConcurrency} launches at once (context launcherConcurrency) is reached. The events wait in Lambda's asynchronous queue and are retried; raise launcherConcurrency if it lasts (${RUNBOOK}).`,
        });
      }
    }
    for (const { id: ruleId, owner, metric } of flow.rules) {
      this.alarm(`${ruleId}-failed`, {
        title: `${owner} failed to deliver`,
        metric: metric("FailedInvocations"),
        description: `EventBridge gave up delivering events of ${owner} to its function after its retries. Check the function's permissions and state (${RUNBOOK}).`,
      });
      this.alarm(`${ruleId}-dead-lettered`, {
        title: `${owner} dead-lettered events`,
        metric: metric("InvocationsSentToDlq"),
        description: `EventBridge sent events of ${owner} to the dead-letter queue of its function: see that queue's alarm, and redrive (docs/DEPLOYMENT.md, section "Redrive").`,
      });
    }
    // A count, not a rate: the API's functions answer refusals with 4xx, so any 5xx is a fault, and a team's traffic is too low for a rate to mean much.
    this.alarm("api-5xx", {
      title: "the HTTP API answered 5xx",
      metric: flow.api.metricServerError({ statistic: Stats.SUM, period: PERIOD }),
      description: `The HTTP API (${flow.api.apiId}) answered with a server error at least once in 5 minutes. Its access log (ApiAccessLogs) names the route; the route's function's log has the error (${RUNBOOK}).`,
    });

    // The account's reputation, which SES reviews (and pauses sending on) past 10% bounces or 0.5% complaints:
    // these fire at half and a fifth of that, while there is time to act (SES_RUNBOOK).
    for (const { name, title, threshold, what } of SES_REPUTATION) {
      this.alarm(`ses-${name}`, {
        title,
        metric: new Metric({
          namespace: "AWS/SES",
          metricName: `Reputation.${name}`,
          statistic: Stats.MAXIMUM,
          period: SES_REPUTATION_PERIOD,
        }),
        threshold,
        description: `The account's SES ${what} reached ${threshold * 100}%. The notifier's log ("Address suppressed") and its suppressions table name the addresses; check the approvers and requesters in the directory are real, current addresses (${SES_RUNBOOK}).`,
      });
    }

    this.dashboard = new FlowDashboard(this, "Dashboard", { name: parent.stackName, flow });
  }

  /** An alarm on `metric` reaching `threshold` (1) in one period, to the topic and back when it clears; no data is no fault. */
  private alarm(
    id: string,
    {
      title,
      metric,
      description,
      threshold = 1,
    }: { title: string; metric: IMetric; description: string; threshold?: number },
  ) {
    const alarm = new Alarm(this, id, {
      alarmName: `${this.prefix}: ${title}`,
      alarmDescription: description,
      metric,
      threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
  }
}
