import type { Template } from "aws-cdk-lib/assertions";
import { Match } from "aws-cdk-lib/assertions";
import { CachePolicy, OriginRequestPolicy } from "aws-cdk-lib/aws-cloudfront";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PORTAL_CONFIG_PATH } from "../../api/portal-config.ts";
import { APPROVALS_BUS, DEFAULT_BUS } from "../../events/contract.ts";
import { INSTANCE_TYPES } from "../../events/request.ts";
import {
  functionIdOf,
  LOG_RETENTION,
  MEMORY_MB,
  TIMEOUTS,
} from "../../infra/aws/constructs/handler-function.ts";
import { SCHEDULE_ACTIONS } from "../../infra/aws/constructs/schedules.ts";
import { DEAD_LETTER_RETENTION, TARGET_RETRY } from "../../infra/aws/constructs/service.ts";
import { REQUIRED_LAUNCH_TAG } from "../../infra/aws/ec2-permissions.ts";
import { S3_CREATE_ACTIONS, S3_RELEASE_ACTIONS } from "../../infra/aws/s3-permissions.ts";
import { API_THROTTLE, ARCHIVE_RETENTION_DAYS } from "../../infra/aws/stack.ts";
import { DEFAULT_IMAGES, LAUNCH_TAG_KEYS, ssmParametersOf } from "../../services/ec2-launcher/domain.ts";
import { services } from "../../services/registry.ts";
import { DEPLOYMENT_TAG_KEY } from "../../services/shared/deployment-tag.ts";
import { IDEMPOTENCY_RECORD_SECONDS } from "../../services/shared/idempotency.ts";
import {
  EVENT_HANDLER_TIMEOUT_MS,
  MAILING_LEASE_MS,
  OUTCOME_PUBLISH_GRACE_MS,
} from "../../services/shared/leases.ts";
import type { HandlerRef, ServiceManifest } from "../../services/shared/manifest.ts";
import { cdkJsonContext, type SynthesizedStack, synthesize } from "./synth.ts";

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
type Statement = {
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
  Sid?: string;
};

const manifestOf = (name: string): ServiceManifest => {
  const manifest = services.find((service) => service.name === name);
  if (!manifest) throw new Error(`No service named ${name} in the registry`);
  return manifest;
};

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** An ARN as the template builds it, each `Ref` written `<Name>`. */
const arnText = (arn: unknown): string => {
  if (typeof arn === "string") return arn;
  const [separator, parts] = (arn as { "Fn::Join": [string, unknown[]] })["Fn::Join"];
  return parts
    .map((part) => (typeof part === "string" ? part : `<${(part as { Ref: string }).Ref}>`))
    .join(separator);
};

/** Every resource a policy of the template allows the action on (in the statement `sid` only, if given), as ARN text. */
const resourcesAllowed = (template: Template, action: string, sid?: string): string[] =>
  Object.values(template.findResources("AWS::IAM::Policy"))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
    .filter((statement) => asList(statement.Action).includes(action) && (!sid || statement.Sid === sid))
    .flatMap((statement) => asList(statement.Resource))
    .map(arnText)
    .sort();

const publicParameterArn = (parameter: string) =>
  `arn:<AWS::Partition>:ssm:<AWS::Region>::parameter${parameter}`;

const logs = ["logs:CreateLogStream", "logs:PutLogEvents"];
const xray = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"];
const deadLetters = ["sqs:SendMessage"];
const tableReads = ["dynamodb:GetItem", "dynamodb:Query"];
const tableWrites = [...tableReads, "dynamodb:PutItem", "dynamodb:UpdateItem"];
const idempotencyRecords = [
  "dynamodb:DeleteItem",
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
];
const publishes = ["events:PutEvents"];
/** A service declaring `needs.schedules`: its schedules in the stack's group, and the role they run as. */
const schedules = [...SCHEDULE_ACTIONS, "iam:PassRole"];
const sendsEmail = ["ses:SendEmail", "ses:SendRawEmail"];
/** The EC2 launcher's handlers of a lease's end (needs.ec2.release). */
const ec2Release = ["ec2:CreateTags", "ec2:DescribeInstances", "ec2:StopInstances", "ec2:TerminateInstances"];
/** The RDS launcher's handlers of a lease's end (needs.rds.release). */
const rdsRelease = [
  "rds:AddTagsToResource",
  "rds:CreateDBSnapshot",
  "rds:DeleteDBInstance",
  "rds:DescribeDBInstances",
];
const readsHmacKey = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"];
/** A service declaring `needs.pricing`: AWS's public list prices. */
const readsPrices = ["pricing:GetProducts"];
const readsDirectory = [
  "cognito-idp:AdminListGroupsForUser",
  "cognito-idp:ListUsers",
  "cognito-idp:ListUsersInGroup",
];

/** What each service may publish, per source: a change has to be made here too, on purpose. */
const PUBLISHABLE: Record<string, Record<string, string[]>> = {
  intake: { "approvals.intake": ["ResourceRequested", "RequestAccepted", "RequestInvalid"] },
  "approval-mail": { "approvals.approval-mail": ["ApprovalRequested"] },
  decision: {
    "approvals.decision": [
      "ApprovalPolicyApplied",
      "ApprovalStageStarted",
      "ApprovalVoteRecorded",
      "ApprovalStageCompleted",
      "ApproversReminded",
      "ApprovalEscalated",
      "RequestApproved",
      "RequestRejected",
      "RequestExpired",
      "RequestCancelled",
      "ExtensionDecided",
      "ApprovalTimerDue",
    ],
  },
  "ec2-launcher": {
    "approvals.ec2-launcher": [
      "ProvisioningStarted",
      "ResourceProvisioned",
      "ProvisioningFailed",
      "ResourceReleased",
      "ReleaseFailed",
      "ReleaseCheckDue",
    ],
  },
  "rds-launcher": {
    "approvals.rds-launcher": [
      "ProvisioningStarted",
      "ResourceProvisioned",
      "ProvisioningFailed",
      "ResourceReleased",
      "ReleaseFailed",
      "ReleaseCheckDue",
    ],
  },
  "s3-launcher": {
    "approvals.s3-launcher": [
      "ProvisioningStarted",
      "ResourceProvisioned",
      "ProvisioningFailed",
      "ResourceReleased",
      "ReleaseFailed",
      "ReleaseCheckDue",
    ],
  },
  notifier: { "approvals.notifier": ["RequesterNotified", "EmailSuppressed"] },
  audit: {},
  delegation: { "approvals.delegation": ["DelegationChanged"] },
  lease: {
    "approvals.lease": [
      "LeaseStarted",
      "LeaseExpiring",
      "ExtensionRequested",
      "LeaseExtended",
      "ReleaseRequested",
      "LeaseTimerDue",
    ],
  },
};

/** Every function's role, action by action: a change to any of them has to be made here too, on purpose. */
const EXPECTED_ACTIONS: Record<string, string[]> = {
  "intake/on-resource-requested": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...idempotencyRecords,
    ...publishes,
    ...readsPrices,
  ],
  "intake/http-handler": [...logs, ...xray, ...tableWrites, ...publishes, ...readsPrices],
  "approval-mail/on-approval-stage-started": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...publishes,
    ...sendsEmail,
    ...readsHmacKey,
  ],
  "approval-mail/on-request-closed": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableReads,
    ...idempotencyRecords,
    ...sendsEmail,
    ...readsHmacKey,
  ],
  "approval-mail/on-approvers-reminded": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...idempotencyRecords,
    ...publishes,
    ...sendsEmail,
    ...readsHmacKey,
  ],
  "approval-mail/on-approval-escalated": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...idempotencyRecords,
    ...publishes,
    ...sendsEmail,
    ...readsHmacKey,
  ],
  "decision/on-request-accepted": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...publishes,
    ...readsHmacKey,
    ...readsDirectory,
    ...schedules,
  ],
  "decision/on-approval-requested": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...publishes,
    ...readsHmacKey,
    ...readsDirectory,
    ...schedules,
  ],
  "decision/on-delegation-changed": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...readsHmacKey,
    ...readsDirectory,
    ...schedules,
  ],
  "decision/on-approval-timer-due": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...publishes,
    ...readsHmacKey,
    ...readsDirectory,
    ...schedules,
  ],
  "decision/on-extension-requested": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...publishes,
    ...readsHmacKey,
    ...readsDirectory,
    ...schedules,
  ],
  "decision/on-release-requested": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...publishes,
    ...readsHmacKey,
    ...readsDirectory,
    ...schedules,
  ],
  "decision/expire-sweeper": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...publishes,
    ...readsHmacKey,
    ...readsDirectory,
    ...schedules,
  ],
  "decision/http-handler": [
    ...logs,
    ...xray,
    ...tableWrites,
    ...publishes,
    ...readsHmacKey,
    ...readsDirectory,
    ...schedules,
  ],
  "ec2-launcher/on-request-approved": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...idempotencyRecords,
    ...publishes,
    ...schedules,
    "ec2:CreateTags",
    "ec2:RunInstances",
    "ssm:GetParameters",
  ],
  "ec2-launcher/on-instance-state-change": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...idempotencyRecords,
    ...publishes,
    ...schedules,
    ...ec2Release,
  ],
  ...Object.fromEntries(
    ["on-lease-changed", "on-release-requested"].map((id) => [
      `ec2-launcher/${id}`,
      [...logs, ...xray, ...deadLetters, ...tableWrites, ...schedules, ...ec2Release],
    ]),
  ),
  "ec2-launcher/on-release-check-due": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...idempotencyRecords,
    ...publishes,
    ...schedules,
    ...ec2Release,
  ],
  "rds-launcher/on-request-approved": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...idempotencyRecords,
    ...publishes,
    ...schedules,
    "rds:CreateDBInstance",
    "rds:AddTagsToResource",
    "rds:DescribeDBInstances",
    // RDS stores the managed master password with the caller's permissions, in the AWS managed key.
    "secretsmanager:CreateSecret",
    "secretsmanager:TagResource",
    "kms:DescribeKey",
  ],
  "rds-launcher/on-db-instance-event": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...idempotencyRecords,
    ...publishes,
    ...schedules,
    "rds:DescribeDBInstances",
  ],
  "rds-launcher/creation-sweeper": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...idempotencyRecords,
    ...publishes,
    ...schedules,
    "rds:DescribeDBInstances",
  ],
  ...Object.fromEntries(
    ["on-lease-changed", "on-release-requested"].map((id) => [
      `rds-launcher/${id}`,
      [...logs, ...xray, ...deadLetters, ...tableWrites, ...schedules, ...rdsRelease],
    ]),
  ),
  "rds-launcher/on-release-check": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...idempotencyRecords,
    ...publishes,
    ...schedules,
    ...rdsRelease,
  ],
  "s3-launcher/on-request-approved": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...idempotencyRecords,
    ...publishes,
    ...schedules,
    ...S3_CREATE_ACTIONS,
  ],
  "s3-launcher/on-lease-changed": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...schedules,
    ...S3_RELEASE_ACTIONS,
  ],
  ...Object.fromEntries(
    ["on-release-requested", "on-release-check"].map((id) => [
      `s3-launcher/${id}`,
      [
        ...logs,
        ...xray,
        ...deadLetters,
        ...tableWrites,
        ...idempotencyRecords,
        ...publishes,
        ...schedules,
        ...S3_RELEASE_ACTIONS,
      ],
    ]),
  ),
  "notifier/on-request-news": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...idempotencyRecords,
    ...tableReads,
    ...publishes,
    ...sendsEmail,
    ...readsDirectory,
  ],
  // The service's needs are its functions' (sendsEmail, directory), this one's included.
  "notifier/on-ses-feedback": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...sendsEmail,
    ...readsDirectory,
  ],
  // cdk.json names no chatSecretArn: chat is off, and no function may read its secret (chat.test.ts).
  "chat/slack-approvers-ask": [
    ...logs,
    ...xray,
    ...deadLetters,
    ...tableWrites,
    ...idempotencyRecords,
    ...readsDirectory,
  ],
  "chat/slack-approvers-update": [...logs, ...xray, ...deadLetters, ...tableWrites, ...readsDirectory],
  "chat/slack-requester-news": [...logs, ...xray, ...deadLetters, ...idempotencyRecords, ...readsDirectory],
  "chat/teams-cards": [...logs, ...xray, ...deadLetters, ...idempotencyRecords, ...readsDirectory],
  "audit/on-flow-event": [...logs, ...xray, ...deadLetters, ...tableWrites],
  // The public API only reads the trail (grants.test.ts).
  "audit/http-handler": [...logs, ...xray, ...tableReads],
  "delegation/http-handler": [...logs, ...xray, ...tableWrites, ...publishes],
  "lease/on-lease-news": [...logs, ...xray, ...deadLetters, ...tableWrites, ...publishes, ...schedules],
  "lease/on-lease-timer-due": [...logs, ...xray, ...deadLetters, ...tableWrites, ...publishes, ...schedules],
  "lease/outbox-sweeper": [...logs, ...xray, ...deadLetters, ...tableWrites, ...publishes, ...schedules],
  "lease/http-handler": [...logs, ...xray, ...tableWrites, ...publishes, ...schedules],
};

describe("the AWS stack, synthesized from cdk.json's defaults", () => {
  let synth: SynthesizedStack;
  let resources: Record<string, Resource>;

  const resourcesOfType = (type: string) =>
    Object.entries(resources).filter(([, resource]) => resource.Type === type);

  const handlerFunction = (service: string, handler: HandlerRef) => {
    const fn = synth.stack.services
      .find((candidate) => candidate.name === service)
      ?.functions.get(functionIdOf(handler));
    if (!fn) throw new Error(`no function for ${service} ${handler.entry}`);
    return fn;
  };

  const functionsOf = () =>
    synth.stack.services.flatMap((service) =>
      [...service.functions].map(([id, fn]) => ({
        name: `${service.name}/${id}`,
        service: service.name,
        functionId: synth.logicalIdOf(fn.function),
        roleId: synth.logicalIdOf(fn.role),
      })),
    );

  const statementsOfRole = (roleId: string): Statement[] =>
    resourcesOfType("AWS::IAM::Policy")
      .filter(([, policy]) =>
        asList(policy.Properties.Roles).some(
          (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId }),
        ),
      )
      .flatMap(([, policy]) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

  const actionsOfRole = (roleId: string) =>
    [...new Set(statementsOfRole(roleId).flatMap((statement) => asList(statement.Action)))].sort();

  /** A table's ARN as the template refers to it. */
  const tableArnOf = (specId: string) => {
    const table = synth.stack.tables.get(specId);
    return { "Fn::GetAtt": [table && synth.logicalIdOf(table), "Arn"] };
  };

  beforeAll(() => {
    synth = synthesize();
    resources = synth.template.toJSON().Resources as Record<string, Resource>;
  });

  afterAll(() => synth.cleanUp());

  it("passes cdk-nag's AwsSolutions and Serverless packs with no unacknowledged finding", () => {
    expect(synth.nagFindings).toEqual([]);
  });

  describe("events", () => {
    it("has one rule per subscription of the registry, with the subscription's own pattern, bus and handler", () => {
      const subscriptions = services.flatMap((service) => service.subscriptions);
      for (const subscription of subscriptions) {
        const target = {
          Arn: {
            "Fn::GetAtt": [
              synth.logicalIdOf(handlerFunction(subscription.service, subscription.handler).function),
              "Arn",
            ],
          },
        };
        const properties =
          subscription.kind === "event"
            ? {
                EventPattern: Match.exact(subscription.pattern),
                EventBusName:
                  subscription.eventBusName === APPROVALS_BUS
                    ? { Ref: synth.logicalIdOf(synth.stack.bus) }
                    : DEFAULT_BUS,
                Targets: [Match.objectLike(target)],
              }
            : { ScheduleExpression: subscription.schedule, Targets: [Match.objectLike(target)] };
        const matching = synth.template.findResources("AWS::Events::Rule", {
          Properties: Match.objectLike(properties),
        });
        expect(Object.keys(matching), subscription.name).toHaveLength(1);
      }
      expect(resourcesOfType("AWS::Events::Rule")).toHaveLength(subscriptions.length);
    });

    it("sends the EC2 state changes rule's events from the account's default bus", () => {
      const stateChanges = services
        .flatMap((service) => service.subscriptions)
        .filter((subscription) => subscription.kind === "event" && subscription.eventBusName === DEFAULT_BUS);
      expect(stateChanges.length).toBeGreaterThan(0);
      for (const subscription of stateChanges) {
        if (subscription.kind !== "event") continue;
        synth.template.hasResourceProperties("AWS::Events::Rule", {
          EventBusName: DEFAULT_BUS,
          EventPattern: Match.exact(subscription.pattern),
        });
      }
    });

    it("gives every rule target a retry policy and a dead-letter queue of its own that only accepts TLS", () => {
      const rules = resourcesOfType("AWS::Events::Rule");
      const targets = rules.flatMap(([, rule]) => rule.Properties.Targets as Record<string, unknown>[]);
      expect(targets.length).toBe(rules.length);
      const queueIds = targets.map((target) => {
        expect(target.RetryPolicy).toEqual({
          MaximumEventAgeInSeconds: TARGET_RETRY.maxEventAge.toSeconds(),
          MaximumRetryAttempts: TARGET_RETRY.retryAttempts,
        });
        const queueId = (target.DeadLetterConfig as { Arn: { "Fn::GetAtt": [string, string] } }).Arn[
          "Fn::GetAtt"
        ][0];
        expect(resources[queueId]?.Type).toBe("AWS::SQS::Queue");
        expect(resources[queueId]?.Properties).toMatchObject({
          MessageRetentionPeriod: DEAD_LETTER_RETENTION.toSeconds(),
          SqsManagedSseEnabled: true,
        });
        synth.template.hasResourceProperties("AWS::SQS::QueuePolicy", {
          Queues: [{ Ref: queueId }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
            ]),
          },
        });
        return queueId;
      });
      expect(new Set(queueIds).size).toBe(targets.length);
    });

    it("sends a consumer's failed invocations to the same dead-letter queue as its rule's target", () => {
      for (const [ruleId, rule] of resourcesOfType("AWS::Events::Rule")) {
        const [target] = rule.Properties.Targets as {
          Arn: { "Fn::GetAtt": [string] };
          DeadLetterConfig: { Arn: unknown };
        }[];
        const fn = resources[target?.Arn["Fn::GetAtt"][0] ?? ""];
        expect(fn?.Properties.DeadLetterConfig, ruleId).toEqual({ TargetArn: target?.DeadLetterConfig.Arn });
      }
    });

    it("names each consumer's dead-letter queue and function in the stack outputs, for redrives", () => {
      const outputValues = Object.values(
        synth.template.toJSON().Outputs as Record<string, { Value: unknown }>,
      ).map((output) => JSON.stringify(output.Value));
      for (const [, rule] of resourcesOfType("AWS::Events::Rule")) {
        const [target] = rule.Properties.Targets as {
          Arn: { "Fn::GetAtt": [string] };
          DeadLetterConfig: { Arn: { "Fn::GetAtt": [string] } };
        }[];
        expect(outputValues).toContain(
          JSON.stringify({ Ref: target?.DeadLetterConfig.Arn["Fn::GetAtt"][0] }),
        );
        expect(outputValues).toContain(JSON.stringify({ Ref: target?.Arn["Fn::GetAtt"][0] }));
      }
    });

    it("has the approvals bus, named by the catalog, with an archive of every event", () => {
      synth.template.hasResourceProperties("AWS::Events::EventBus", { Name: APPROVALS_BUS });
      const [[, archive] = []] = resourcesOfType("AWS::Events::Archive");
      expect(archive?.Properties).toEqual({
        SourceArn: { "Fn::GetAtt": [synth.logicalIdOf(synth.stack.bus), "Arn"] },
        RetentionDays: ARCHIVE_RETENTION_DAYS,
        Description: expect.any(String),
      });
    });
  });

  describe("functions", () => {
    it("has one function per handler of the registry, the sign-in trigger and no other Node.js function", () => {
      const handlers = services.flatMap((service) => [
        ...service.subscriptions.map(
          (subscription) => `${service.name}/${functionIdOf(subscription.handler)}`,
        ),
        ...(service.http ? [`${service.name}/${functionIdOf(service.http.handler)}`] : []),
      ]);
      expect(
        functionsOf()
          .map((fn) => fn.name)
          .sort(),
      ).toEqual([...new Set(handlers)].sort());
      const nodeFunctions = resourcesOfType("AWS::Lambda::Function").filter(([, fn]) =>
        String(fn.Properties.Runtime).startsWith("nodejs"),
      );
      expect(nodeFunctions.map(([id]) => id).sort()).toEqual(
        [
          ...functionsOf().map((fn) => fn.functionId),
          synth.logicalIdOf(synth.stack.signIn.preTokenGeneration.function),
        ].sort(),
      );
    });

    it("runs every function on Node.js 22 on arm64, traced, with explicit memory and a timeout shorter than any lease", () => {
      const httpHandlers = new Set(
        services.flatMap((service) =>
          service.http ? [`${service.name}/${functionIdOf(service.http.handler)}`] : [],
        ),
      );
      const shortestLeaseMs = Math.min(MAILING_LEASE_MS, OUTCOME_PUBLISH_GRACE_MS);
      for (const { functionId, name } of functionsOf()) {
        const properties = resources[functionId]?.Properties ?? {};
        expect(properties, name).toMatchObject({
          Runtime: "nodejs22.x",
          Architectures: ["arm64"],
          MemorySize: MEMORY_MB,
          TracingConfig: { Mode: "Active" },
          Handler: "index.handler",
          LoggingConfig: { LogFormat: "JSON", LogGroup: { Ref: expect.any(String) } },
        });
        expect(properties.Timeout, name).toBe(
          httpHandlers.has(name) ? TIMEOUTS.http.toSeconds() : EVENT_HANDLER_TIMEOUT_MS / 1000,
        );
        expect(Number(properties.Timeout) * 1000).toBeLessThan(shortestLeaseMs);
        const { LogGroup } = properties.LoggingConfig as { LogGroup: { Ref: string } };
        expect(resources[LogGroup.Ref]?.Properties.RetentionInDays).toBe(LOG_RETENTION);
      }
    });

    it("gives each function the environment its service's config reads", () => {
      const portalUrl = {
        "Fn::Join": [
          "",
          ["https://", { "Fn::GetAtt": [synth.logicalIdOf(synth.stack.portal.distribution), "DomainName"] }],
        ],
      };
      const context = cdkJsonContext();
      const stackSchedules = synth.stack.schedules;
      const scheduleSettings = stackSchedules && {
        SCHEDULE_GROUP:
          synth.template.toJSON().Resources[synth.logicalIdOf(stackSchedules.group)].Properties.Name,
        SCHEDULER_ROLE_ARN: { "Fn::GetAtt": [synth.logicalIdOf(stackSchedules.role), "Arn"] },
        SCHEDULER_DLQ_ARN: { "Fn::GetAtt": [synth.logicalIdOf(stackSchedules.deadLetters), "Arn"] },
        EVENT_BUS_ARN: { "Fn::GetAtt": [synth.logicalIdOf(synth.stack.bus), "Arn"] },
      };
      for (const { functionId, service } of functionsOf()) {
        const manifest = manifestOf(service);
        const expected: Record<string, unknown> = {
          NODE_OPTIONS: "--enable-source-maps",
          POWERTOOLS_SERVICE_NAME: service,
          POWERTOOLS_METRICS_NAMESPACE: synth.stack.stackName,
        };
        if (manifest.publishes.length > 0)
          expected.EVENT_BUS_NAME = { Ref: synth.logicalIdOf(synth.stack.bus) };
        for (const spec of manifest.tables) {
          const table = synth.stack.tables.get(spec.id);
          expected[spec.tableNameEnv] = { Ref: table && synth.logicalIdOf(table) };
        }
        const issuer = { "Fn::GetAtt": [synth.logicalIdOf(synth.stack.signIn.userPool), "ProviderURL"] };
        const settings: Record<string, unknown> = {
          SENDER: context.sender,
          APPROVAL_TTL_SECONDS: String(context.approvalTtlSeconds),
          PUBLIC_URL: portalUrl,
          DECISIONS_REQUIRE_SIGN_IN: String(context.decisionsRequireSignIn),
          // Without allowedRegions, the stack's own region, resolved at deploy.
          ALLOWED_REGIONS: { Ref: "AWS::Region" },
          DEFAULT_REGION: { Ref: "AWS::Region" },
          BUCKET_NAME_PREFIX: "approvals-",
          // What the launchers tag their resources with: the stack's name.
          DEPLOYMENT_NAME: synth.stack.stackName,
          AUTH_ISSUER: issuer,
          AUTH_AUDIENCE: { Ref: synth.logicalIdOf(synth.stack.signIn.client) },
          AUTH_JWKS_URL: { "Fn::Join": ["", [issuer, "/.well-known/jwks.json"]] },
        };
        for (const setting of manifest.needs.settings) {
          if (settings[setting] !== undefined) expected[setting] = settings[setting];
        }
        if (manifest.needs.sendsEmail)
          expected.SES_CONFIGURATION_SET = {
            Ref: Object.keys(synth.template.findResources("AWS::SES::ConfigurationSet"))[0],
          };
        if (manifest.needs.readsHmacKey)
          expected.HMAC_SECRET_ARN = { Ref: expect.stringMatching(/^DecisionLinkKey/) };
        if (manifest.needs.schedules) Object.assign(expected, scheduleSettings);
        if (manifest.needs.directory)
          expected.USER_POOL_ID = { Ref: synth.logicalIdOf(synth.stack.signIn.userPool) };
        if (
          manifest.http &&
          functionId === synth.logicalIdOf(handlerFunction(service, manifest.http.handler).function)
        )
          expected.ORIGIN_VERIFY_SECRET = {
            "Fn::Join": [
              "",
              [
                "{{resolve:secretsmanager:",
                { Ref: expect.stringMatching(/^OriginVerify/) },
                ":SecretString:::}}",
              ],
            ],
          };
        expect(resources[functionId]?.Properties.Environment, functionId).toEqual({ Variables: expected });
      }
    });
  });

  describe("permissions", () => {
    it("gives each function a role of its own holding exactly the actions it needs", () => {
      const actual = Object.fromEntries(functionsOf().map((fn) => [fn.name, actionsOfRole(fn.roleId)]));
      const expected = Object.fromEntries(
        Object.entries(EXPECTED_ACTIONS).map(([name, actions]) => [name, [...new Set(actions)].sort()]),
      );
      expect(actual).toEqual(expected);
      expect(new Set(functionsOf().map((fn) => fn.roleId)).size).toBe(functionsOf().length);
    });

    it("attaches no managed policy to the functions' roles", () => {
      for (const { roleId } of functionsOf())
        expect(resources[roleId]?.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it("has no wildcard action anywhere", () => {
      const documents = [
        ...resourcesOfType("AWS::IAM::Policy").map(([, policy]) => policy.Properties.PolicyDocument),
        ...resourcesOfType("AWS::IAM::Role").flatMap(([, role]) =>
          ((role.Properties.Policies ?? []) as { PolicyDocument: unknown }[]).map(
            (policy) => policy.PolicyDocument,
          ),
        ),
      ] as { Statement: Statement[] }[];
      const actions = documents.flatMap((document) =>
        document.Statement.flatMap((statement) => asList(statement.Action)),
      );
      expect(actions.length).toBeGreaterThan(0);
      expect(actions.filter((action) => action === "*" || action.endsWith(":*"))).toEqual([]);
    });

    it("lets each function publish to the approvals bus only some of its service's detail-types, under its sources", () => {
      const busArn = { "Fn::GetAtt": [synth.logicalIdOf(synth.stack.bus), "Arn"] };
      // Which ones each function may put, its handler's own: grants.test.ts.
      for (const { name, service, roleId } of functionsOf()) {
        const grants = statementsOfRole(roleId).filter((statement) =>
          asList(statement.Action).includes("events:PutEvents"),
        );
        for (const { Action, Resource, Condition } of grants) {
          expect({ Action, Resource }, name).toEqual({ Action: "events:PutEvents", Resource: busArn });
          const allowed = Condition?.["ForAllValues:StringEquals"] as Record<string, string[]> | undefined;
          const [source = "none"] = allowed?.["events:source"] ?? [];
          expect(PUBLISHABLE[service]?.[source], name).toEqual(
            expect.arrayContaining(allowed?.["events:detail-type"] ?? ["none"]),
          );
        }
      }
    });

    it("lets only the EC2 launcher's handlers touch EC2, and only the approved-request handler launch", () => {
      for (const { name, roleId } of functionsOf()) {
        const ec2Actions = actionsOfRole(roleId).filter((action) => action.startsWith("ec2:"));
        if (name === "ec2-launcher/on-request-approved")
          expect(ec2Actions).toEqual(["ec2:CreateTags", "ec2:RunInstances"]);
        else if (name.startsWith("ec2-launcher/")) expect(ec2Actions, name).toEqual([...ec2Release].sort());
        else expect(ec2Actions, name).toEqual([]);
      }
    });

    it("allows RunInstances only for the allowed instance types, tagged with their request and the stack's name at launch", () => {
      const launcher = functionsOf().find((fn) => fn.name === "ec2-launcher/on-request-approved");
      const statements = statementsOfRole(launcher?.roleId ?? "");
      const onInstances = statements.filter(
        (statement) =>
          asList(statement.Action).includes("ec2:RunInstances") &&
          JSON.stringify(statement.Resource).includes(":instance/*"),
      );
      const tagConditions = {
        Null: { [`aws:RequestTag/${REQUIRED_LAUNCH_TAG}`]: "false" },
        "ForAllValues:StringEquals": { "aws:TagKeys": Object.values(LAUNCH_TAG_KEYS) },
      };
      expect(onInstances).toHaveLength(1);
      const ofThisStack = { [`aws:RequestTag/${DEPLOYMENT_TAG_KEY}`]: synth.stack.stackName };
      expect(onInstances[0]?.Condition).toEqual({
        ...tagConditions,
        StringEquals: {
          ...ofThisStack,
          "ec2:InstanceType": [...INSTANCE_TYPES],
          "ec2:MetadataHttpTokens": "required",
        },
      });
      const onVolumes = statements.filter(
        (statement) =>
          asList(statement.Action).includes("ec2:RunInstances") &&
          JSON.stringify(statement.Resource).includes(":volume/*"),
      );
      expect(onVolumes.map((statement) => statement.Condition)).toEqual([
        { ...tagConditions, StringEquals: ofThisStack, Bool: { "ec2:Encrypted": "true" } },
      ]);
      const tagging = statements.filter((statement) => asList(statement.Action).includes("ec2:CreateTags"));
      expect(tagging.map((statement) => statement.Condition)).toEqual([
        { StringEquals: { "ec2:CreateAction": "RunInstances" } },
      ]);
      const unconditioned = statements.filter(
        (statement) =>
          asList(statement.Action).includes("ec2:RunInstances") && statement.Condition === undefined,
      );
      for (const statement of unconditioned) {
        expect(JSON.stringify(statement.Resource)).not.toMatch(/:(instance|volume)\//);
      }
    });

    it("lets the launcher resolve exactly the public parameters of the default images, and launch the AMIs they name", () => {
      expect(cdkJsonContext().imageIds).toBe("");

      expect(resourcesAllowed(synth.template, "ssm:GetParameters")).toEqual(
        ssmParametersOf(DEFAULT_IMAGES).map(publicParameterArn).sort(),
      );
      expect(resourcesAllowed(synth.template, "ssm:GetParameters")).toContain(
        "arn:<AWS::Partition>:ssm:<AWS::Region>::parameter/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id",
      );
      // The parameters resolve to AMIs of Amazon's, Canonical's and Microsoft's accounts, changing with each release.
      expect(resourcesAllowed(synth.template, "ec2:RunInstances", "UseImagesOfAllowedOwners")).toContain(
        "arn:<AWS::Partition>:ec2:<AWS::Region>::image/*",
      );
    });

    it("keeps the audit trail append-only: no role can delete from any table but its service's idempotency records", () => {
      const actions = functionsOf().flatMap((fn) => actionsOfRole(fn.roleId));
      expect(
        actions.filter((action) => /^dynamodb:(BatchWriteItem|DeleteTable|PartiQLDelete)/.test(action)),
      ).toEqual([]);
      for (const { name, service, roleId } of functionsOf()) {
        const deletable = statementsOfRole(roleId)
          .filter((statement) => asList(statement.Action).includes("dynamodb:DeleteItem"))
          .flatMap((statement) => asList(statement.Resource));
        const idempotencyTables = manifestOf(service)
          .tables.filter((spec) => spec.holdsIdempotencyRecords)
          .map((spec) => tableArnOf(spec.id));
        // Only the functions that run effects once have their service's records (grants.test.ts).
        expect(idempotencyTables, name).toEqual(expect.arrayContaining(deletable));
      }
      expect(services.find((service) => service.name === "audit")?.tables).not.toContainEqual(
        expect.objectContaining({ holdsIdempotencyRecords: true }),
      );
    });

    it("lets a function do with its idempotency records exactly what Powertools Idempotency does", () => {
      for (const { name, service, roleId } of functionsOf()) {
        for (const spec of manifestOf(service).tables.filter((table) => table.holdsIdempotencyRecords)) {
          const onRecords = statementsOfRole(roleId).filter((statement) =>
            asList(statement.Resource).some(
              (resource) => JSON.stringify(resource) === JSON.stringify(tableArnOf(spec.id)),
            ),
          );
          if (onRecords.length === 0) continue;
          expect(onRecords.flatMap((statement) => asList(statement.Action)).sort(), name).toEqual(
            idempotencyRecords,
          );
        }
      }
    });

    it("lets each function reach only tables its service is wired to, and their indexes by name", () => {
      for (const { name, service, roleId } of functionsOf()) {
        const reached = statementsOfRole(roleId)
          .filter((statement) => asList(statement.Action).some((action) => action.startsWith("dynamodb:")))
          .flatMap((statement) => asList(statement.Resource))
          .map((resource) => JSON.stringify(resource));
        const expected = manifestOf(service).tables.flatMap((spec) => {
          const table = synth.stack.tables.get(spec.id);
          const tableArn = { "Fn::GetAtt": [table && synth.logicalIdOf(table), "Arn"] };
          const indexArns = (spec.globalIndexes ?? []).map((index) => ({
            "Fn::Join": ["", [tableArn, `/index/${index.indexName}`]],
          }));
          return [tableArn, ...indexArns].map((resource) => JSON.stringify(resource));
        });
        // Which of them each function reaches, those its handler uses: grants.test.ts.
        expect(expected, name).toEqual(expect.arrayContaining(reached));
      }
    });

    it("lets only the services that read the directory list the user pool's users and groups, on that pool alone", () => {
      const readers = functionsOf()
        .filter((fn) => actionsOfRole(fn.roleId).some((action) => action.startsWith("cognito-idp:")))
        .map((fn) => fn.service);
      expect([...new Set(readers)].sort()).toEqual(
        services
          .filter((service) => service.needs.directory)
          .map((service) => service.name)
          .sort(),
      );
      const pool = { "Fn::GetAtt": [synth.logicalIdOf(synth.stack.signIn.userPool), "Arn"] };
      for (const action of readsDirectory) {
        const statements = resourcesOfType("AWS::IAM::Policy")
          .flatMap(([, policy]) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
          .filter((statement) => asList(statement.Action).includes(action));
        expect(
          statements.flatMap((statement) => asList(statement.Resource)),
          action,
        ).toEqual(statements.map(() => pool));
      }
    });

    it("lets only approval-mail and decision read the link key", () => {
      const readers = functionsOf()
        .filter((fn) => actionsOfRole(fn.roleId).includes("secretsmanager:GetSecretValue"))
        .map((fn) => fn.service);
      expect([...new Set(readers)].sort()).toEqual(["approval-mail", "decision"]);
      synth.template.hasResourceProperties("AWS::SecretsManager::Secret", {
        GenerateSecretString: Match.objectLike({ PasswordLength: Match.anyValue() }),
      });
    });
  });

  describe("tables", () => {
    it("keeps idempotency records for as long as any copy of an event can come back", () => {
      const day = 24 * 3600;
      const lastRedrive = TARGET_RETRY.maxEventAge.toSeconds() + DEAD_LETTER_RETENTION.toSeconds();

      expect(IDEMPOTENCY_RECORD_SECONDS).toBeGreaterThanOrEqual(ARCHIVE_RETENTION_DAYS * day);
      expect(IDEMPOTENCY_RECORD_SECONDS).toBeGreaterThan(lastRedrive + day);
    });

    it("creates every table spec on demand with point-in-time recovery, its keys, indexes and TTL, and keeps it", () => {
      const specs = services.flatMap((service) => service.tables);
      expect(resourcesOfType("AWS::DynamoDB::Table")).toHaveLength(specs.length);
      for (const spec of specs) {
        const table = synth.stack.tables.get(spec.id);
        const resource = resources[table ? synth.logicalIdOf(table) : ""];
        expect(resource?.DeletionPolicy, spec.id).toBe("Retain");
        expect(resource?.Properties, spec.id).toMatchObject({
          BillingMode: "PAY_PER_REQUEST",
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
          KeySchema: [
            { AttributeName: spec.partitionKey.name, KeyType: "HASH" },
            ...(spec.sortKey ? [{ AttributeName: spec.sortKey.name, KeyType: "RANGE" }] : []),
          ],
        });
        expect(resource?.Properties.TimeToLiveSpecification, spec.id).toEqual(
          spec.timeToLiveAttribute ? { AttributeName: spec.timeToLiveAttribute, Enabled: true } : undefined,
        );
        const indexes = (resource?.Properties.GlobalSecondaryIndexes ?? []) as {
          IndexName: string;
          KeySchema: unknown;
        }[];
        expect(
          indexes.map(({ IndexName, KeySchema }) => ({ IndexName, KeySchema })),
          spec.id,
        ).toEqual(
          (spec.globalIndexes ?? []).map((index) => ({
            IndexName: index.indexName,
            KeySchema: [
              { AttributeName: index.partitionKey.name, KeyType: "HASH" },
              ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: "RANGE" }] : []),
            ],
          })),
        );
      }
    });
  });

  describe("HTTP", () => {
    it("routes every route of every HTTP surface to its service's function", () => {
      for (const service of services) {
        if (!service.http) continue;
        const fn = handlerFunction(service.name, service.http.handler);
        const integrations = synth.template.findResources("AWS::ApiGatewayV2::Integration", {
          Properties: Match.objectLike({
            IntegrationUri: { "Fn::GetAtt": [synth.logicalIdOf(fn.function), "Arn"] },
            PayloadFormatVersion: "2.0",
          }),
        });
        const [integrationId] = Object.keys(integrations);
        expect(integrationId, service.name).toBeDefined();
        for (const route of service.http.routes) {
          synth.template.hasResourceProperties("AWS::ApiGatewayV2::Route", {
            RouteKey: `${route.method} ${route.path}`,
            Target: { "Fn::Join": ["", ["integrations/", { Ref: integrationId }]] },
          });
        }
      }
      const routeCount = services.flatMap((service) => service.http?.routes ?? []).length;
      expect(resourcesOfType("AWS::ApiGatewayV2::Route")).toHaveLength(routeCount);
    });

    it("throttles the API and writes JSON access logs", () => {
      synth.template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
        StageName: "$default",
        AutoDeploy: true,
        DefaultRouteSettings: {
          ThrottlingRateLimit: API_THROTTLE.rateLimit,
          ThrottlingBurstLimit: API_THROTTLE.burstLimit,
        },
        AccessLogSettings: {
          DestinationArn: { "Fn::GetAtt": [Match.stringLikeRegexp("ApiAccessLogs"), "Arn"] },
          Format: Match.serializedJson(
            Match.objectLike({ requestId: "$context.requestId", status: "$context.status" }),
          ),
        },
      });
      synth.template.hasResourceProperties("AWS::ApiGatewayV2::Api", { CorsConfiguration: Match.absent() });
    });
  });

  describe("portal", () => {
    it("keeps the portal in a private bucket that refuses plain HTTP", () => {
      const siteId = Object.keys(
        synth.template.findResources("AWS::S3::Bucket", {
          Properties: Match.objectLike({ LoggingConfiguration: Match.anyValue() }),
        }),
      )[0];
      expect(resources[siteId ?? ""]?.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      synth.template.hasResourceProperties("AWS::S3::BucketPolicy", {
        Bucket: { Ref: siteId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
            Match.objectLike({ Principal: { Service: "cloudfront.amazonaws.com" }, Action: "s3:GetObject" }),
          ]),
        },
      });
    });

    it("serves the portal through origin access control and sends the API's paths to the HTTP API, uncached", () => {
      const [[, distribution] = []] = resourcesOfType("AWS::CloudFront::Distribution");
      const config = distribution?.Properties.DistributionConfig as {
        Origins: {
          Id: string;
          DomainName: unknown;
          OriginAccessControlId?: unknown;
          CustomOriginConfig?: unknown;
        }[];
        CacheBehaviors: {
          PathPattern: string;
          TargetOriginId: string;
          CachePolicyId: string;
          OriginRequestPolicyId: string;
          AllowedMethods: string[];
        }[];
        DefaultCacheBehavior: { TargetOriginId: string; FunctionAssociations: unknown[] };
      };
      const s3Origin = config.Origins.find((origin) => origin.OriginAccessControlId);
      const apiOrigin = config.Origins.find((origin) => origin.CustomOriginConfig);
      expect(config.Origins).toHaveLength(2);
      expect(config.DefaultCacheBehavior.TargetOriginId).toBe(s3Origin?.Id);
      expect(config.DefaultCacheBehavior.FunctionAssociations).toHaveLength(1);
      expect(JSON.stringify(apiOrigin?.DomainName)).toContain(".execute-api.");
      const apiPrefixes = [
        ...new Set(
          services.flatMap(
            (service) => service.http?.routes.map((route) => `/${route.path.split("/")[1]}/*`) ?? [],
          ),
        ),
      ];
      const apiBehaviors = config.CacheBehaviors.filter(
        (behavior) => behavior.TargetOriginId === apiOrigin?.Id,
      );
      expect(apiBehaviors.map((behavior) => behavior.PathPattern).sort()).toEqual(apiPrefixes.sort());
      // Besides the API's paths, only the portal's configuration has a behavior of its own (access.test.ts).
      expect(config.CacheBehaviors.map((behavior) => behavior.PathPattern).sort()).toEqual(
        [...apiPrefixes, PORTAL_CONFIG_PATH].sort(),
      );
      for (const behavior of apiBehaviors) {
        expect(behavior).toMatchObject({
          TargetOriginId: apiOrigin?.Id,
          CachePolicyId: CachePolicy.CACHING_DISABLED.cachePolicyId,
          OriginRequestPolicyId: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.originRequestPolicyId,
        });
        expect(behavior.AllowedMethods).toEqual(expect.arrayContaining(["GET", "HEAD", "POST"]));
      }
    });

    it("uploads the portal build and identifies the sender with SES", () => {
      synth.template.resourceCountIs("Custom::CDKBucketDeployment", 1);
      synth.template.hasResourceProperties("AWS::SES::EmailIdentity", {
        EmailIdentity: cdkJsonContext().sender,
      });
    });
  });
});

describe("the AWS stack with a deployment's own settings", () => {
  let synth: SynthesizedStack;
  const settings = {
    imageIds: JSON.stringify({
      "amazon-linux-2023": { x86_64: "ami-0123456789abcdef0", arm64: "resolve:ssm:/golden/al2023-arm64:4" },
    }),
    subnetId: "subnet-0abc1234",
    allowedSubnetIds: "subnet-0abc1234",
    securityGroupIds: "sg-0abc1234,sg-0def5678",
    portalDomain: "approvals.example.com",
    portalCertificateArn:
      "arn:aws:acm:us-east-1:123456789012:certificate/0f6b4a3c-1111-2222-3333-444455556666",
    sesSandbox: "true",
    identityProvider: {
      type: "saml",
      name: "Corporate",
      metadataUrl: "https://login.example.com/federationmetadata.xml",
      emailVerifiedAttribute: "https://login.example.com/claims/email_verified",
    },
  };

  beforeAll(() => {
    synth = synthesize(settings);
  });

  afterAll(() => synth.cleanUp());

  it("passes cdk-nag with no unacknowledged finding", () => {
    expect(synth.nagFindings).toEqual([]);
  });

  it("serves the portal on the custom domain with TLS 1.2 and points links at it", () => {
    synth.template.hasResourceProperties("AWS::CloudFront::Distribution", {
      DistributionConfig: Match.objectLike({
        Aliases: [settings.portalDomain],
        ViewerCertificate: Match.objectLike({
          AcmCertificateArn: settings.portalCertificateArn,
          MinimumProtocolVersion: "TLSv1.2_2021",
        }),
      }),
    });
    synth.template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          PUBLIC_URL: `https://${settings.portalDomain}`,
        }),
      },
    });
  });

  it("offers the organization's SAML provider on the sign-in page, asking it for email, whether it is verified, and name", () => {
    synth.template.hasResourceProperties("AWS::Cognito::UserPoolIdentityProvider", {
      ProviderName: settings.identityProvider.name,
      ProviderType: "SAML",
      ProviderDetails: { MetadataURL: settings.identityProvider.metadataUrl },
      AttributeMapping: {
        email: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        email_verified: settings.identityProvider.emailVerifiedAttribute,
        name: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
      },
    });
    const [providerId] = Object.keys(synth.template.findResources("AWS::Cognito::UserPoolIdentityProvider"));
    synth.template.hasResourceProperties("AWS::Cognito::UserPoolClient", {
      SupportedIdentityProviders: ["COGNITO", { Ref: providerId }],
      CallbackURLs: [`https://${settings.portalDomain}/auth/callback`],
    });
  });

  it("launches with the configured images, subnet and security groups only", () => {
    synth.template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          IMAGE_IDS: settings.imageIds,
          DEFAULT_SUBNET_ID: settings.subnetId,
          SECURITY_GROUP_IDS: settings.securityGroupIds,
        }),
      },
    });
    const policies = JSON.stringify(synth.template.findResources("AWS::IAM::Policy"));
    expect(policies).not.toContain(":security-group/*");
    for (const id of settings.securityGroupIds.split(","))
      expect(policies).toContain(`:security-group/${id}`);
  });

  it("lets the launcher resolve the parameters of the images in use only: the account's own, and the defaults left", () => {
    const defaultsLeft = ssmParametersOf({ ...DEFAULT_IMAGES, "amazon-linux-2023": {} });

    expect(resourcesAllowed(synth.template, "ssm:GetParameters")).toEqual(
      [
        "arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/golden/al2023-arm64",
        ...defaultsLeft.map(publicParameterArn),
      ].sort(),
    );
  });

  it("lets the mailing functions send to the sandbox's verified recipients", () => {
    const identityWildcard = Match.objectLike({
      Action: ["ses:SendEmail", "ses:SendRawEmail"],
      Resource: { "Fn::Join": ["", Match.arrayWith([Match.stringLikeRegexp(":identity/\\*$")])] },
    });
    const policies = synth.template.findResources("AWS::IAM::Policy", {
      Properties: { PolicyDocument: { Statement: Match.arrayWith([identityWildcard]) } },
    });
    const mailingFunctions = synth.stack.services
      .filter((service) => service.manifest.needs.sendsEmail)
      .flatMap((service) => [...service.functions.values()]);
    expect(Object.keys(policies)).toHaveLength(mailingFunctions.length);
  });
});
