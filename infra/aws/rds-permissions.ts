import { ArnFormat, Stack } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IConstruct } from "constructs";
import { EXPIRES_AT_TAG } from "../../events/lease.ts";
import { RDS_ENGINES, RDS_INSTANCE_CLASSES } from "../../events/rds-resource.ts";
import { DEPLOYMENT_TAG_KEY } from "../../services/shared/deployment-tag.ts";
import { deploymentTagValueOf } from "./ec2-permissions.ts";
import type { ExplainedStatement } from "./nag.ts";

export interface RdsLaunchSettings {
  /** The regions requests may use: every ARN below is spelled out per region. */
  regions: readonly string[];
  /** The deployment's DB subnet group; unset, RDS uses the default VPC's `default` group. */
  subnetGroupName?: string;
  /** The tag that ties a DB instance to its request: required at creation. */
  requestTag: string;
  /** Every tag key the launcher puts on an instance, and the only ones it may. */
  tagKeys: readonly string[];
}

/**
 * The AWS managed keys RDS encrypts storage and the managed master password's secret with, when (as
 * the launcher does) the request names no key of its own.
 */
const AWS_MANAGED_KEY_ALIASES = ["alias/aws/rds", "alias/aws/secretsmanager"];

const rdsArn = (stack: Stack, region: string, resource: string, resourceName: string) =>
  stack.formatArn({
    service: "rds",
    region,
    resource,
    resourceName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });

/**
 * CreateDBInstance authorizes the instance it creates and the groups the instance uses. The instance
 * is allowed only as the issue asks for it: an allowed engine and class, encrypted storage, not
 * publicly accessible, its master password managed by RDS in Secrets Manager, tagged with its request
 * and this stack's name (each key a `Bool`/`Null`/`StringEquals` condition, so leaving the parameter
 * out is refused too). The groups are
 * allowed by ARN: the deployment's subnet group (or the default one) and the engines' default
 * parameter and option groups, which requests cannot choose.
 */
export const rdsCreateStatements = (scope: IConstruct, settings: RdsLaunchSettings): ExplainedStatement[] => {
  const stack = Stack.of(scope);
  const perRegion = (resource: string, resourceName: string) =>
    settings.regions.map((region) => rdsArn(stack, region, resource, resourceName));
  const instances = perRegion("db", "*");
  const taggedByThisStack = { [`aws:RequestTag/${DEPLOYMENT_TAG_KEY}`]: deploymentTagValueOf(scope) };
  const taggedWithItsRequest = {
    Null: { [`aws:RequestTag/${settings.requestTag}`]: "false" },
    "ForAllValues:StringEquals": { "aws:TagKeys": [...settings.tagKeys] },
    StringEquals: taggedByThisStack,
  };
  return [
    {
      statement: new PolicyStatement({
        sid: "CreateAllowedEncryptedPrivateInstancesTaggedWithTheirRequest",
        actions: ["rds:CreateDBInstance"],
        resources: instances,
        conditions: {
          ...taggedWithItsRequest,
          StringEquals: {
            ...taggedByThisStack,
            "rds:DatabaseEngine": [...RDS_ENGINES],
            "rds:DatabaseClass": [...RDS_INSTANCE_CLASSES],
          },
          Bool: {
            "rds:StorageEncrypted": "true",
            "rds:PubliclyAccessible": "false",
            "rds:ManageMasterUserPassword": "true",
          },
        },
      }),
      wildcardReason:
        "A DB instance's identifier is derived from its request only when it is created; creation is limited to the allowed engines and classes, encrypted, private, with an RDS-managed password, tagged with its RequestId and this stack's name, in the allowed regions",
    },
    {
      statement: new PolicyStatement({
        sid: "UseTheSubnetGroupAndDefaultGroups",
        actions: ["rds:CreateDBInstance"],
        resources: [
          ...perRegion("subgrp", settings.subnetGroupName ?? "default"),
          ...perRegion("pg", "default.*"),
          ...perRegion("og", "default:*"),
        ],
      }),
      wildcardReason:
        "The engines' default parameter and option groups are named by engine and version (default.postgres17, default:mysql-8-4), which RDS picks for the request's engine version; requests cannot name any other group",
    },
    {
      // CreateDBInstance with Tags also authorizes AddTagsToResource on the new instance.
      statement: new PolicyStatement({
        sid: "TagInstancesWithTheirRequest",
        actions: ["rds:AddTagsToResource"],
        resources: instances,
        conditions: taggedWithItsRequest,
      }),
      wildcardReason:
        "Tagging happens as part of CreateDBInstance, whose identifier is known only then; only the launcher's tag keys, always with the RequestId and this stack's name",
    },
    {
      // RDS creates the master password's secret with the caller's permissions (a forward access session).
      statement: new PolicyStatement({
        sid: "LetRdsStoreTheManagedMasterPassword",
        actions: ["secretsmanager:CreateSecret", "secretsmanager:TagResource"],
        resources: settings.regions.map((region) =>
          stack.formatArn({
            service: "secretsmanager",
            region,
            resource: "secret",
            resourceName: "rds!*",
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      }),
      wildcardReason:
        "RDS names the secret of a managed master password rds!db-<uuid> when it creates it; the `!` is reserved to the services that manage secrets, so no other secret matches",
    },
    {
      statement: new PolicyStatement({
        sid: "LetRdsUseItsAwsManagedKeys",
        actions: ["kms:DescribeKey"],
        resources: settings.regions.map((region) =>
          stack.formatArn({ service: "kms", region, resource: "key", resourceName: "*" }),
        ),
        conditions: {
          "ForAnyValue:StringEquals": { "kms:ResourceAliases": AWS_MANAGED_KEY_ALIASES },
          StringEquals: {
            "kms:ViaService": settings.regions.flatMap((region) => [
              `rds.${region}.${stack.urlSuffix}`,
              `secretsmanager.${region}.${stack.urlSuffix}`,
            ]),
          },
        },
      }),
      wildcardReason:
        "The AWS managed keys' ids differ per account and region; only those two keys (by alias), and only through RDS and Secrets Manager, as RDS's Secrets Manager integration requires (kms:DescribeKey)",
    },
  ];
};

/** Looking DB instances up: DescribeDBInstances on instances of the allowed regions, nothing that changes one. */
export const rdsDescribeStatements = (
  scope: IConstruct,
  regions: readonly string[],
): ExplainedStatement[] => [
  {
    statement: new PolicyStatement({
      sid: "LookUpDbInstances",
      actions: ["rds:DescribeDBInstances"],
      resources: regions.map((region) => rdsArn(Stack.of(scope), region, "db", "*")),
    }),
    wildcardReason:
      "The launcher looks up the instances it created, whose identifiers come from requests; it only reads, in the allowed regions",
  },
];

/**
 * What releasing a DB instance at the end of its lease takes: tagging it `ExpiresAt` (that key only),
 * deleting it with a final snapshot (which DeleteDBInstance authorizes as a CreateDBSnapshot of the
 * instance and of the snapshot, whose tags CopyTagsToSnapshot copies), and describing it. Only
 * instances this stack's launcher created (tagged with their RequestId and this stack's name, which
 * CreateDBInstance is allowed only with) are touched, and only snapshots named as the launcher names
 * final ones; an instance of the account that no request of this stack created, another deployment's
 * included, is out of reach, and none is deleted untagged. Describing stays unconditioned: an instance
 * gone has no tags to match, and the reaper must be told it is gone (DBInstanceNotFound), not refused.
 */
export const rdsReleaseStatements = (
  scope: IConstruct,
  { regions, requestTag }: Pick<RdsLaunchSettings, "regions" | "requestTag">,
): ExplainedStatement[] => {
  const stack = Stack.of(scope);
  const perRegion = (resource: string, resourceName: string) =>
    regions.map((region) => rdsArn(stack, region, resource, resourceName));
  const instances = perRegion("db", "*");
  const finalSnapshots = perRegion("snapshot", "*-final-*");
  const createdForARequest = {
    Null: { [`aws:ResourceTag/${requestTag}`]: "false" },
    StringEquals: { [`aws:ResourceTag/${DEPLOYMENT_TAG_KEY}`]: deploymentTagValueOf(scope) },
  };
  return [
    {
      statement: new PolicyStatement({
        sid: "DeleteInstancesCreatedForARequest",
        actions: ["rds:DeleteDBInstance", "rds:CreateDBSnapshot"],
        resources: instances,
        conditions: createdForARequest,
      }),
      wildcardReason:
        "The instances are those the launcher created, whose identifiers only their requests know; only instances tagged with a RequestId and this stack's name at creation may be deleted (with their final snapshot)",
    },
    {
      statement: new PolicyStatement({
        sid: "TakeFinalSnapshots",
        actions: ["rds:CreateDBSnapshot", "rds:AddTagsToResource"],
        resources: finalSnapshots,
      }),
      wildcardReason:
        "A final snapshot is named after its instance and the release's time (<identifier>-final-<yyyymmddhhmmss>), known only at the release; only snapshots named so, which the instance's tags are copied to",
    },
    {
      statement: new PolicyStatement({
        sid: "TagInstancesWithTheirLeaseEnd",
        actions: ["rds:AddTagsToResource"],
        resources: instances,
        conditions: {
          ...createdForARequest,
          "ForAllValues:StringEquals": { "aws:TagKeys": [EXPIRES_AT_TAG] },
        },
      }),
      wildcardReason: `Only the ${EXPIRES_AT_TAG} tag may be set, and only on instances tagged with a RequestId and this stack's name at creation`,
    },
    ...rdsDescribeStatements(scope, regions),
  ];
};
