import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestAccepted } from "../../events/request-accepted.ts";
import { ManifestWiringError } from "../../infra/aws/constructs/service.ts";
import { readDeploymentContext } from "../../infra/aws/context.ts";
import { ApprovalsStack } from "../../infra/aws/stack.ts";
import { mailingsTable } from "../../services/approval-mail/tables.ts";
import { services } from "../../services/registry.ts";
import type { ServiceManifest } from "../../services/shared/manifest.ts";
import { cdkJsonContext, type SynthesizedStack, synthesize } from "./synth.ts";

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

const read = ["dynamodb:GetItem", "dynamodb:Query"];
const write = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"];
/** What Powertools Idempotency does with its records: the only deletes any role may make. */
const records = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"];

interface Grants {
  /** The DynamoDB actions on each table, by spec id. */
  tables: Record<string, string[]>;
  /** The detail-types it may put on the approvals bus, under its service's source. */
  publishes: string[];
}

const DECISION_EVENTS = [
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
];
/** decision's handlers that start stages, and so read who is away. */
const decisionStartingStages: Grants = {
  tables: { "decision-approvals": write, "decision-delegations": read },
  publishes: DECISION_EVENTS,
};
const decisionMovingOn: Grants = { tables: { "decision-approvals": write }, publishes: DECISION_EVENTS };
const leaseHandler: Grants = {
  tables: { leases: write },
  publishes: ["LeaseStarted", "LeaseExpiring", "ExtensionRequested", "LeaseExtended", "ReleaseRequested"],
};

/**
 * Each function's grants, read from its handler's code (the store calls and the publishes it can reach):
 * a change to any of them has to be made here too, on purpose. The events Scheduler puts (ApprovalTimerDue,
 * LeaseTimerDue, ReleaseCheckDue) are the schedules role's, no function's.
 */
const EXPECTED: Record<string, Grants> = {
  "intake/on-resource-requested": {
    tables: { "intake-requests": write, "intake-idempotency": records },
    publishes: ["RequestAccepted", "RequestInvalid"],
  },
  "intake/http-handler": { tables: { "intake-requests": write }, publishes: ["ResourceRequested"] },
  "approval-mail/on-approval-stage-started": {
    tables: { "approval-mail-stage-mailings": write },
    publishes: ["ApprovalRequested"],
  },
  "approval-mail/on-request-closed": {
    tables: { "approval-mail-stage-mailings": read, "approval-mail-idempotency": records },
    publishes: [],
  },
  "approval-mail/on-approvers-reminded": {
    tables: { "approval-mail-idempotency": records },
    publishes: ["ApprovalRequested"],
  },
  "approval-mail/on-approval-escalated": {
    tables: { "approval-mail-stage-mailings": write, "approval-mail-idempotency": records },
    publishes: ["ApprovalRequested"],
  },
  "decision/on-request-accepted": decisionStartingStages,
  "decision/on-approval-requested": decisionStartingStages,
  "decision/on-extension-requested": decisionStartingStages,
  "decision/http-handler": decisionStartingStages,
  "decision/on-approval-timer-due": decisionMovingOn,
  "decision/on-release-requested": decisionMovingOn,
  "decision/expire-sweeper": decisionMovingOn,
  "decision/on-delegation-changed": { tables: { "decision-delegations": write }, publishes: [] },
  "ec2-launcher/on-request-approved": {
    tables: { "ec2-launcher-launches": write, "ec2-launcher-idempotency": records },
    publishes: ["ProvisioningStarted", "ProvisioningFailed"],
  },
  "ec2-launcher/on-instance-state-change": {
    tables: { "ec2-launcher-launches": write, "ec2-launcher-idempotency": records },
    publishes: ["ResourceProvisioned", "ProvisioningFailed", "ResourceReleased"],
  },
  "ec2-launcher/on-lease-changed": { tables: { "ec2-launcher-launches": write }, publishes: [] },
  "ec2-launcher/on-release-requested": { tables: { "ec2-launcher-launches": write }, publishes: [] },
  "ec2-launcher/on-release-check-due": {
    tables: { "ec2-launcher-launches": write, "ec2-launcher-idempotency": records },
    publishes: ["ResourceReleased", "ReleaseFailed"],
  },
  "rds-launcher/on-request-approved": {
    tables: { "rds-launcher-creations": write, "rds-launcher-idempotency": records },
    publishes: ["ProvisioningStarted", "ProvisioningFailed"],
  },
  "rds-launcher/on-db-instance-event": {
    tables: { "rds-launcher-creations": write, "rds-launcher-idempotency": records },
    publishes: ["ResourceProvisioned", "ProvisioningFailed", "ResourceReleased"],
  },
  "rds-launcher/creation-sweeper": {
    tables: { "rds-launcher-creations": write, "rds-launcher-idempotency": records },
    publishes: ["ResourceProvisioned", "ProvisioningFailed"],
  },
  "rds-launcher/on-lease-changed": { tables: { "rds-launcher-creations": write }, publishes: [] },
  "rds-launcher/on-release-requested": { tables: { "rds-launcher-creations": write }, publishes: [] },
  "rds-launcher/on-release-check": {
    tables: { "rds-launcher-creations": write, "rds-launcher-idempotency": records },
    publishes: ["ResourceReleased", "ReleaseFailed"],
  },
  "s3-launcher/on-request-approved": {
    tables: { "s3-launcher-buckets": write, "s3-launcher-idempotency": records },
    publishes: ["ProvisioningStarted", "ResourceProvisioned", "ProvisioningFailed"],
  },
  "s3-launcher/on-lease-changed": { tables: { "s3-launcher-leases": write }, publishes: [] },
  "s3-launcher/on-release-requested": {
    tables: { "s3-launcher-leases": write, "s3-launcher-idempotency": records },
    publishes: ["ReleaseFailed"],
  },
  "s3-launcher/on-release-check": {
    tables: { "s3-launcher-leases": write, "s3-launcher-idempotency": records },
    publishes: ["ResourceReleased", "ReleaseFailed"],
  },
  "notifier/on-request-news": {
    tables: { "notifier-idempotency": records, "notifier-suppressions": read },
    publishes: ["RequesterNotified", "EmailSuppressed"],
  },
  "notifier/on-ses-feedback": { tables: { "notifier-suppressions": write }, publishes: [] },
  "chat/slack-approvers-ask": {
    tables: { "chat-messages": write, "chat-idempotency": records },
    publishes: [],
  },
  "chat/slack-approvers-update": { tables: { "chat-messages": write }, publishes: [] },
  "chat/slack-requester-news": { tables: { "chat-idempotency": records }, publishes: [] },
  "chat/teams-cards": { tables: { "chat-idempotency": records }, publishes: [] },
  "audit/on-flow-event": {
    tables: { "audit-requests": write, "audit-timeline": write, "audit-aggregates": write },
    publishes: [],
  },
  "audit/http-handler": {
    tables: { "audit-requests": read, "audit-timeline": read, "audit-aggregates": read },
    publishes: [],
  },
  "delegation/http-handler": { tables: { delegations: write }, publishes: ["DelegationChanged"] },
  "lease/on-lease-news": leaseHandler,
  "lease/on-lease-timer-due": leaseHandler,
  "lease/outbox-sweeper": leaseHandler,
  "lease/http-handler": leaseHandler,
};

/** What building the stack from `manifests` throws (constructing it is where the wiring is checked). */
const failureToBuild = (manifests: readonly ServiceManifest[]): unknown => {
  const outdir = mkdtempSync(join(tmpdir(), "grants-test-"));
  const portalDirectory = mkdtempSync(join(tmpdir(), "grants-test-portal-"));
  writeFileSync(join(portalDirectory, "index.html"), "<!doctype html><title>portal</title>");
  try {
    const app = new App({ outdir, context: { ...cdkJsonContext(), "aws:cdk:bundling-stacks": [] } });
    new ApprovalsStack(app, "GrantsTest", {
      context: readDeploymentContext(app.node),
      portalDirectory,
      services: manifests,
    });
    return undefined;
  } catch (error) {
    return error;
  } finally {
    for (const directory of [outdir, portalDirectory]) rmSync(directory, { recursive: true, force: true });
  }
};

/** The registry with one service's manifest changed by `change`. */
const registryWith = (name: string, change: (manifest: ServiceManifest) => ServiceManifest) =>
  services.map((manifest) => (manifest.name === name ? change(manifest) : manifest));

describe("each function's grants, from what its handler declares it uses", () => {
  let synth: SynthesizedStack;
  let functions: { name: string; service: string; statements: Statement[] }[];
  /** Each table's ARN, and each of its indexes', as the template writes it, to the spec id (and `/index/<name>`). */
  let tableOfArn: Map<string, string>;

  beforeAll(() => {
    synth = synthesize();
    const resources = synth.template.toJSON().Resources as Record<string, Resource>;
    const policies = Object.values(resources).filter((resource) => resource.Type === "AWS::IAM::Policy");
    functions = synth.stack.services.flatMap((service) =>
      [...service.functions].map(([id, fn]) => {
        const role = JSON.stringify({ Ref: synth.logicalIdOf(fn.role) });
        return {
          name: `${service.name}/${id}`,
          service: service.name,
          statements: policies
            .filter((policy) => asList(policy.Properties.Roles).some((each) => JSON.stringify(each) === role))
            .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement),
        };
      }),
    );
    tableOfArn = new Map(
      services
        .flatMap((manifest) => manifest.tables)
        .flatMap((spec) => {
          const table = synth.stack.tables.get(spec.id);
          const arn = { "Fn::GetAtt": [table && synth.logicalIdOf(table), "Arn"] };
          return [
            [JSON.stringify(arn), spec.id],
            ...(spec.globalIndexes ?? []).map(({ indexName }) => [
              JSON.stringify({ "Fn::Join": ["", [arn, `/index/${indexName}`]] }),
              `${spec.id}/index/${indexName}`,
            ]),
          ] as [string, string][];
        }),
    );
  });

  afterAll(() => synth.cleanUp());

  /** The DynamoDB actions a function may take, by table (or index) it may take them on. */
  const dynamoGrantsOf = (statements: Statement[]): Record<string, string[]> => {
    const grants: Record<string, Set<string>> = {};
    for (const statement of statements) {
      const actions = asList(statement.Action).filter((action) => action.startsWith("dynamodb:"));
      for (const resource of actions.length > 0 ? asList(statement.Resource) : []) {
        const arn = JSON.stringify(resource);
        const table = tableOfArn.get(arn) ?? arn;
        grants[table] = new Set([...(grants[table] ?? []), ...actions]);
      }
    }
    return Object.fromEntries(Object.entries(grants).map(([table, actions]) => [table, [...actions].sort()]));
  };

  const putEventsOf = (statements: Statement[]) =>
    statements.filter((statement) => asList(statement.Action).includes("events:PutEvents"));

  it("expects grants for every function of the stack, one per handler, and for no other", () => {
    expect(functions.map((fn) => fn.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it("gives each function exactly the DynamoDB actions per table its handler declares, on its service's tables only", () => {
    const tablesOnly = (grants: Record<string, string[]>) =>
      Object.fromEntries(Object.entries(grants).filter(([table]) => !table.includes("/index/")));
    const actual = Object.fromEntries(
      functions.map((fn) => [fn.name, tablesOnly(dynamoGrantsOf(fn.statements))]),
    );
    const expected = Object.fromEntries(
      Object.entries(EXPECTED).map(([name, grants]) => [
        name,
        Object.fromEntries(
          Object.entries(grants.tables).map(([table, actions]) => [table, [...actions].sort()]),
        ),
      ]),
    );
    expect(actual).toEqual(expected);
  });

  it("lets a function query a table's indexes, each by name, when it reaches the table, and do nothing else on them", () => {
    for (const { name, service, statements } of functions) {
      const onIndexes = Object.entries(dynamoGrantsOf(statements)).filter(([table]) =>
        table.includes("/index/"),
      );
      const manifest = services.find((candidate) => candidate.name === service);
      const expected = (manifest?.tables ?? [])
        .filter((spec) => Object.keys(EXPECTED[name]?.tables ?? {}).includes(spec.id))
        .flatMap((spec) =>
          (spec.globalIndexes ?? []).map(({ indexName }) => [
            `${spec.id}/index/${indexName}`,
            ["dynamodb:Query"],
          ]),
        );
      expect(Object.fromEntries(onIndexes), name).toEqual(Object.fromEntries(expected));
    }
  });

  it("lets each function put on the approvals bus only the detail-types its handler publishes, under its service's source", () => {
    const busArn = { "Fn::GetAtt": [synth.logicalIdOf(synth.stack.bus), "Arn"] };
    for (const { name, service, statements } of functions) {
      const publishes = EXPECTED[name]?.publishes ?? [];
      const expected =
        publishes.length === 0
          ? []
          : [
              {
                Action: "events:PutEvents",
                Resource: busArn,
                Condition: {
                  "ForAllValues:StringEquals": {
                    "events:source": [`approvals.${service}`],
                    "events:detail-type": publishes,
                  },
                },
              },
            ];
      const actual = putEventsOf(statements).map(({ Action, Resource, Condition }) => ({
        Action,
        Resource,
        Condition,
      }));
      expect(actual, name).toEqual(expected);
    }
  });

  it("keeps the audit trail tamper-proof from the public API: the audit HTTP function may only get and query", () => {
    const audit = functions.find((fn) => fn.name === "audit/http-handler");
    const actions = new Set((audit?.statements ?? []).flatMap((statement) => asList(statement.Action)));
    expect([...actions].filter((action) => action.startsWith("dynamodb:")).sort()).toEqual(read);
    expect(actions).not.toContain("events:PutEvents");
  });

  it("does not let intake's HTTP function accept a request: it may put ResourceRequested alone", () => {
    const intake = functions.find((fn) => fn.name === "intake/http-handler");
    const conditions = putEventsOf(intake?.statements ?? []).map((statement) => statement.Condition);
    const detailTypes = conditions.flatMap((condition) => {
      const allowed = condition?.["ForAllValues:StringEquals"] as Record<string, string[]> | undefined;
      return allowed?.["events:detail-type"] ?? [];
    });
    expect(detailTypes).toEqual(["ResourceRequested"]);
    expect(detailTypes).not.toContain(RequestAccepted.detailType);
  });
});

describe("a manifest whose uses do not match its handlers", () => {
  const expectRefused = (manifests: readonly ServiceManifest[], message: RegExp) => {
    const failure = failureToBuild(manifests);
    expect(failure).toBeInstanceOf(ManifestWiringError);
    expect((failure as Error).message).toMatch(message);
  };

  it("refuses a handler that declares nothing it uses", () => {
    expectRefused(
      registryWith("notifier", (manifest) => ({ ...manifest, uses: [] })),
      /uses of services\/notifier\/handlers\/on-request-news\.ts 0 times/,
    );
  });

  it("refuses uses declared for a handler the service does not have", () => {
    const gone = { entry: "services/notifier/handlers/gone.ts", exportName: "handler" } as const;
    expectRefused(
      registryWith("notifier", (manifest) => ({ ...manifest, uses: [...manifest.uses, { handler: gone }] })),
      /gone\.ts, not one of its handlers/,
    );
  });

  it("refuses a table of another service's", () => {
    expectRefused(
      registryWith("notifier", (manifest) => ({
        ...manifest,
        uses: manifest.uses.map((uses) => ({ ...uses, reads: [mailingsTable] })),
      })),
      /notifier uses approval-mail-stage-mailings, a table it does not own/,
    );
  });

  it("refuses an event its service does not declare it publishes", () => {
    expectRefused(
      registryWith("notifier", (manifest) => ({
        ...manifest,
        uses: manifest.uses.map((uses) => ({ ...uses, publishes: [RequestAccepted] })),
      })),
      /publishes RequestAccepted, which notifier does not declare/,
    );
  });
});
