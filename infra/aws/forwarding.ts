import { Stack, type StackProps } from "aws-cdk-lib";
import { EventBus, Rule } from "aws-cdk-lib/aws-events";
import { EventBus as EventBusTarget } from "aws-cdk-lib/aws-events-targets";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { DEFAULT_BUS } from "../../events/contract.ts";
import { SesEmailBounced } from "../../events/ses-feedback.ts";
import type { EventSubscription, ServiceManifest } from "../../services/shared/manifest.ts";
import { DEAD_LETTER_RETENTION, toCdkPattern } from "./constructs/service.ts";
import { DeploymentContextError } from "./context.ts";
import { acknowledge } from "./nag.ts";

/** SES reports on the emails the stack sends, from the stack's own region: nothing to forward. */
const HOME_REGION_SOURCES = new Set([SesEmailBounced.source]);

/**
 * The subscriptions to AWS's own events (EC2 state changes, RDS instance events): AWS puts them on the
 * default bus of the resource's region, so a resource of another allowed region reports there.
 */
export const defaultBusSubscriptionsOf = (services: readonly ServiceManifest[]): EventSubscription[] =>
  services.flatMap((service) =>
    service.subscriptions.filter(
      (subscription): subscription is EventSubscription =>
        subscription.kind === "event" &&
        subscription.eventBusName === DEFAULT_BUS &&
        !isOfHomeRegionOnly(subscription),
    ),
  );

const isOfHomeRegionOnly = ({ pattern }: EventSubscription) => {
  const sources = [pattern.source ?? []].flat();
  return sources.length > 0 && sources.every((source) => HOME_REGION_SOURCES.has(String(source)));
};

export interface RegionForwardingProps extends StackProps {
  /** The approvals stack's region, whose default bus the launchers' rules listen on. */
  homeRegion: string;
  /** What the launchers consume there: one rule here per subscription, with its own pattern. */
  subscriptions: readonly EventSubscription[];
}

/**
 * One stack per allowed region other than the stack's own: a rule on that region's default bus for
 * each pattern the launchers subscribe to, sending what matches to the home region's default bus
 * (cross-region bus targets keep the event as AWS wrote it, its source and region included), where
 * the launchers' own rules take it as they take the home region's. A bus target takes EventBridge's
 * own retry policy (24 hours, 185 attempts); what still fails waits in the stack's dead-letter queue.
 */
export class RegionForwardingStack extends Stack {
  readonly rules: readonly Rule[];
  readonly deadLetters: Queue;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: RegionForwardingProps) {
    super(scope, id, props);
    const homeBus = EventBus.fromEventBusArn(
      this,
      "HomeDefaultBus",
      this.formatArn({
        service: "events",
        region: props.homeRegion,
        resource: "event-bus",
        resourceName: DEFAULT_BUS,
      }),
    );
    this.role = new Role(this, "ForwardRole", {
      assumedBy: new ServicePrincipal("events.amazonaws.com"),
      description: `Puts ${this.region}'s EC2 and RDS events on ${props.homeRegion}'s default bus`,
    });
    this.deadLetters = new Queue(this, "ForwardDeadLetters", {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    const reason =
      "This queue is itself the dead-letter queue of the forwarding rules' target (an EventBridge DeadLetterConfig, which cdk-nag does not count as one); an operator redrives its events to the home region's default bus";
    acknowledge(this.deadLetters, "Serverless-SQSRedrivePolicy", reason);
    acknowledge(this.deadLetters, "AwsSolutions-SQS3", reason);
    const localBus = EventBus.fromEventBusName(this, "DefaultBus", DEFAULT_BUS);
    this.rules = props.subscriptions.map(
      (subscription) =>
        new Rule(this, `Forward-${subscription.name}`, {
          description: `To ${props.homeRegion}: ${subscription.description}`.slice(0, 512),
          eventBus: localBus,
          eventPattern: toCdkPattern(subscription.pattern),
          targets: [new EventBusTarget(homeBus, { role: this.role, deadLetterQueue: this.deadLetters })],
        }),
    );
  }
}

export interface ForwardingPlan {
  homeRegion: string;
  /** The allowed regions besides the home one, each of which gets a forwarding stack. */
  otherRegions: readonly string[];
}

/**
 * Which regions forward to which: the allowed regions besides `homeRegion`. Forwarding needs to know
 * the home region at synth; unknown, it is an error only when some other region is allowed.
 */
export const forwardingPlanOf = (
  allowedRegions: readonly string[] | undefined,
  homeRegion: string | undefined,
): ForwardingPlan | undefined => {
  if (allowedRegions === undefined) return undefined;
  if (homeRegion === undefined)
    throw new DeploymentContextError(
      `allowedRegions names ${allowedRegions.join(", ")}, but the stack's region is unknown at synth: run cdk with a region (AWS_REGION or a profile's), so EC2 and RDS events of the other regions can be forwarded to it`,
    );
  const otherRegions = allowedRegions.filter((region) => region !== homeRegion);
  return otherRegions.length > 0 ? { homeRegion, otherRegions } : undefined;
};

/** The forwarding stacks of `plan`, one per other region, each named by its region. */
export const addRegionForwarding = (
  scope: Construct,
  stackName: string,
  plan: ForwardingPlan,
  subscriptions: readonly EventSubscription[],
  account?: string,
): RegionForwardingStack[] =>
  plan.otherRegions.map(
    (region) =>
      new RegionForwardingStack(scope, `${stackName}-Forward-${region}`, {
        env: { account, region },
        description: `Resource approvals: forwards ${region}'s EC2 and RDS events to ${plan.homeRegion}`,
        homeRegion: plan.homeRegion,
        subscriptions,
      }),
  );
