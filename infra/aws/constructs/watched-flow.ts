import { Duration, Fn, Stack } from "aws-cdk-lib";
import type { HttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import { Metric, Stats } from "aws-cdk-lib/aws-cloudwatch";
import type { Rule } from "aws-cdk-lib/aws-events";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import type { IConstruct } from "constructs";
import { DEFAULT_BUS } from "../../../events/contract.ts";
import type { Subscription } from "../../../services/shared/manifest.ts";
import { HandlerFunction } from "./handler-function.ts";
import type { Schedules } from "./schedules.ts";
import type { Service } from "./service.ts";

/** The window an alarm looks at, and one point of the dashboard's graphs. */
export const PERIOD = Duration.minutes(5);

/** The functions drawn together: a service's, or those another part of the stack made, by id. */
export interface FunctionGroup {
  name: string;
  functions: ReadonlyMap<string, HandlerFunction>;
}

/** A dead-letter queue, and whose failures it keeps in words (`notifier's on-request-news`). */
export interface WatchedQueue {
  id: string;
  queue: IQueue;
  owner: string;
}

/** A rule, its owner in words, and the metrics EventBridge keeps of it by name (`FailedInvocations`). */
export interface WatchedRule {
  id: string;
  rule: Rule;
  owner: string;
  metric: (metricName: string) => Metric;
}

/** What the stack runs, as its alarms and its dashboard see it. */
export interface WatchedFlow {
  functionGroups: readonly FunctionGroup[];
  queues: readonly WatchedQueue[];
  rules: readonly WatchedRule[];
  api: HttpApi;
}

/** The constructs the flow is read from. */
export interface FlowConstructs {
  services: readonly Service[];
  schedules?: Schedules;
  api: HttpApi;
}

/** The bus a subscription's rule is on: a schedule's rule is on the account's default bus. */
const busOf = (subscription: Subscription) =>
  subscription.kind === "event" ? subscription.eventBusName : DEFAULT_BUS;

/**
 * A rule's metrics. EventBridge names a default-bus rule by `RuleName` alone and a custom bus's rule
 * by `EventBusName` and `RuleName`; both names are read off the ARN (`rule/[bus/]name`), since
 * CloudFormation's Ref of a custom bus's rule is `bus|name`, not the name the metrics carry, and the
 * bus's name is the stage's (context.ts, stagedName), not the catalog's.
 */
const ruleMetricsOf =
  (rule: Rule, eventBusName: string) =>
  (metricName: string): Metric => {
    const onDefaultBus = eventBusName === DEFAULT_BUS;
    const arnParts = Fn.split("/", rule.ruleArn);
    const ruleName = Fn.select(onDefaultBus ? 1 : 2, arnParts);
    return new Metric({
      namespace: "AWS/Events",
      metricName,
      dimensionsMap: onDefaultBus
        ? { RuleName: ruleName }
        : { EventBusName: Fn.select(1, arnParts), RuleName: ruleName },
      statistic: Stats.SUM,
      period: PERIOD,
    });
  };

/**
 * The stack's functions by service, then those made outside any service (sign-in's trigger), grouped by
 * the construct that made them: every HandlerFunction of the stack, none listed by hand.
 */
const functionGroupsOf = (stack: Stack, services: readonly Service[]): FunctionGroup[] => {
  const inServices = new Set(services.flatMap((service) => [...service.functions.values()]));
  const others = new Map<string, Map<string, HandlerFunction>>();
  for (const construct of stack.node.findAll()) {
    if (!(construct instanceof HandlerFunction) || inServices.has(construct)) continue;
    const owner = construct.node.scope?.node.id ?? stack.stackName;
    others.set(owner, (others.get(owner) ?? new Map()).set(construct.node.id, construct));
  }
  return [
    ...services.map((service) => ({ name: service.name, functions: service.functions })),
    ...[...others].map(([name, functions]) => ({ name, functions })),
  ];
};

/** The flow of the stack `scope` is in: its functions, its consumers' and schedules' dead letters, its rules, its API. */
export const watchedFlowOf = (
  scope: IConstruct,
  { services, schedules, api }: FlowConstructs,
): WatchedFlow => ({
  functionGroups: functionGroupsOf(Stack.of(scope), services),
  queues: [
    ...services.flatMap((service) =>
      [...service.deadLetterQueues].map(([functionId, queue]) => ({
        id: `${service.name}-${functionId}`,
        queue,
        owner: `${service.name}'s ${functionId}`,
      })),
    ),
    ...(schedules ? [{ id: "schedules", queue: schedules.deadLetters, owner: "the stack's schedules" }] : []),
  ],
  rules: services.flatMap((service) =>
    service.rules.map(({ rule, subscription }) => ({
      id: `${service.name}-${subscription.name}`,
      rule,
      owner: `${service.name}'s rule ${subscription.name} (${busOf(subscription)} bus)`,
      metric: ruleMetricsOf(rule, busOf(subscription)),
    })),
  ),
  api,
});
