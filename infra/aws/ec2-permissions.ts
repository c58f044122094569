import { Stack } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IConstruct } from "constructs";
import { EXPIRES_AT_TAG } from "../../events/lease.ts";
import { INSTANCE_TYPES } from "../../events/request.ts";
import { type ImageTable, LAUNCH_TAG_KEYS, ssmParametersOf } from "../../services/ec2-launcher/domain.ts";
import { DEPLOYMENT_TAG_KEY } from "../../services/shared/deployment-tag.ts";
import type { ExplainedStatement } from "./nag.ts";

/** The tag every launched instance and volume must carry: it ties the resource to its request. */
export const REQUIRED_LAUNCH_TAG = LAUNCH_TAG_KEYS.requestId;

/**
 * The deployment tag's value on what this stack's launchers create: the stack's name, which the stack
 * gives them as DEPLOYMENT_NAME. Creation must carry it, and a release reaches only what carries it.
 */
export const deploymentTagValueOf = (scope: IConstruct): string => Stack.of(scope).stackName;

/** Parameters AWS publishes (e.g. the latest Amazon Linux AMI) live in no account. */
const PUBLIC_PARAMETER_PATH = "/aws/service/";

export interface LaunchSettings {
  /** The regions requests may use: instances are launched in any of them, so every ARN is spelled per region. */
  regions: readonly string[];
  /** The launcher's images, defaults and overrides merged: the SSM parameters among them are resolved at launch. */
  images: ImageTable;
  /** The security groups every instance gets; none configured, no launch is allowed (never the VPC's default group). */
  securityGroupIds?: readonly string[];
  /** The subnets instances may launch into; unset, any subnet of the account (only without a configured subnet). */
  subnetIds?: readonly string[];
  /** Images of these owners (ec2:Owner: account ids, or aliases such as `amazon`) may be launched. */
  imageOwners: readonly string[];
  /** And these images, by ARN, whoever owns them. */
  imageArns?: readonly string[];
}

/**
 * RunInstances authorizes every resource a launch touches, each with the condition keys that resource
 * has: the instance carries its type and metadata options, the volumes their encryption, the instance
 * and volume the tags of the request, the image its owner. So the created resources are allowed only
 * with an allowed type, IMDSv2 required, encrypted, the request's tag and this stack's deployment tag
 * (and no tags beyond the launcher's); the image only from an allowed owner or by its exact ARN; the
 * subnets and security groups only from the deployment's lists. Each key is a `StringEquals` or `Bool`
 * condition, so a launch leaving the parameter out is refused too.
 */
export const ec2LaunchStatements = (scope: IConstruct, settings: LaunchSettings): ExplainedStatement[] => {
  const stack = Stack.of(scope);
  const ec2Arn = (resource: string, resourceName = "*", account = stack.account) =>
    settings.regions.map((region) =>
      stack.formatArn({ service: "ec2", region, resource, resourceName, account }),
    );
  const taggedAtLaunch = {
    Null: { [`aws:RequestTag/${REQUIRED_LAUNCH_TAG}`]: "false" },
    "ForAllValues:StringEquals": { "aws:TagKeys": Object.values(LAUNCH_TAG_KEYS) },
  };
  const taggedByThisStack = { [`aws:RequestTag/${DEPLOYMENT_TAG_KEY}`]: deploymentTagValueOf(scope) };
  const byIds = (resource: string, ids: readonly string[]) => ids.flatMap((id) => ec2Arn(resource, id));
  const subnets = settings.subnetIds ? byIds("subnet", settings.subnetIds) : ec2Arn("subnet");
  // Without configured groups EC2 would use the VPC's default one: no group at all is allowed then.
  const securityGroups = byIds("security-group", settings.securityGroupIds ?? []);
  const statements: ExplainedStatement[] = [
    {
      statement: new PolicyStatement({
        sid: "LaunchAllowedInstanceTypesWithImdsV2TaggedWithTheirRequest",
        actions: ["ec2:RunInstances"],
        resources: ec2Arn("instance"),
        conditions: {
          ...taggedAtLaunch,
          StringEquals: {
            ...taggedByThisStack,
            "ec2:InstanceType": [...INSTANCE_TYPES],
            "ec2:MetadataHttpTokens": "required",
          },
        },
      }),
      wildcardReason:
        "An instance's id exists only once it is launched; the launch is limited to the allowed instance types, must require IMDSv2 and must tag the instance with its RequestId and this stack's name",
    },
    {
      statement: new PolicyStatement({
        sid: "CreateEncryptedVolumesTaggedWithTheirRequest",
        actions: ["ec2:RunInstances"],
        resources: ec2Arn("volume"),
        conditions: { ...taggedAtLaunch, StringEquals: taggedByThisStack, Bool: { "ec2:Encrypted": "true" } },
      }),
      wildcardReason:
        "A volume's id exists only once it is created; it must be encrypted and carry the request's RequestId tag and this stack's name at creation",
    },
    {
      statement: new PolicyStatement({
        sid: "UseTheAllowedNetwork",
        actions: ["ec2:RunInstances"],
        resources: [...ec2Arn("network-interface"), ...subnets, ...securityGroups],
      }),
      wildcardReason: settings.subnetIds
        ? "The network interface is created by the launch, in one of the allowed subnets and with the configured security groups"
        : "Requests may name any subnet of the account (no subnet is configured, so the instance goes to the default VPC, with the configured security groups), and the network interface is created by the launch",
    },
    {
      statement: new PolicyStatement({
        sid: "UseImagesOfAllowedOwners",
        actions: ["ec2:RunInstances"],
        resources: ec2Arn("image", "*", ""),
        conditions: { StringEquals: { "ec2:Owner": [...settings.imageOwners] } },
      }),
      wildcardReason:
        "The image is the one the deployment's image settings name for the request's OS and architecture, mostly public SSM parameters that resolve to a new AMI whenever AWS or the OS vendor publishes one; only images of the allowed owners (ec2:Owner)",
    },
    {
      statement: new PolicyStatement({
        sid: "TagOnlyWhileLaunching",
        actions: ["ec2:CreateTags"],
        resources: [...ec2Arn("instance"), ...ec2Arn("volume")],
        conditions: { StringEquals: { "ec2:CreateAction": "RunInstances" } },
      }),
      wildcardReason:
        "Tagging is allowed only as part of RunInstances (ec2:CreateAction), never on existing resources",
    },
  ];
  if (settings.imageArns?.length) {
    statements.push({
      statement: new PolicyStatement({
        sid: "UseTheAllowedImages",
        actions: ["ec2:RunInstances"],
        resources: [...settings.imageArns],
      }),
    });
  }
  // RunInstances resolves a `resolve:ssm:` image with the caller's own ssm:GetParameters.
  const parameters = ssmParametersOf(settings.images);
  if (parameters.length > 0) {
    statements.push({
      statement: new PolicyStatement({
        sid: "ResolveTheImageParametersAtLaunch",
        actions: ["ssm:GetParameters"],
        resources: settings.regions.flatMap((region) =>
          parameters.map((parameter) =>
            stack.formatArn({
              service: "ssm",
              region,
              resource: "parameter",
              resourceName: parameter.replace(/^\//, ""),
              account: parameter.startsWith(PUBLIC_PARAMETER_PATH) ? "" : stack.account,
            }),
          ),
        ),
      }),
    });
  }
  return statements;
};

/** DescribeInstances has no resource-level permissions: it is allowed on `*` or not at all. */
export const ec2DescribeStatements = (): ExplainedStatement[] => [
  {
    statement: new PolicyStatement({
      sid: "LookUpLaunchedInstances",
      actions: ["ec2:DescribeInstances"],
      resources: ["*"],
    }),
    wildcardReason:
      "ec2:DescribeInstances supports no resource-level permissions; it only reads, and only the launcher's handlers hold it",
  },
];

/**
 * What releasing an instance at the end of its lease takes: tagging it `ExpiresAt` (that key only),
 * stopping and terminating it, and describing it. Only instances this stack's launcher launched
 * (tagged with their request and with this stack's name, which RunInstances is allowed only with) are
 * touched, in the allowed regions; an instance of the account that no request of this stack launched,
 * another deployment's included, is out of reach. DescribeInstances has no resource-level permissions.
 */
export const ec2ReleaseStatements = (
  scope: IConstruct,
  { regions }: Pick<LaunchSettings, "regions">,
): ExplainedStatement[] => {
  const stack = Stack.of(scope);
  const instances = regions.map((region) =>
    stack.formatArn({ service: "ec2", region, resource: "instance", resourceName: "*" }),
  );
  const launchedForARequest = {
    Null: { [`aws:ResourceTag/${REQUIRED_LAUNCH_TAG}`]: "false" },
    StringEquals: { [`aws:ResourceTag/${DEPLOYMENT_TAG_KEY}`]: deploymentTagValueOf(scope) },
  };
  return [
    {
      statement: new PolicyStatement({
        sid: "StopAndTerminateLaunchedInstances",
        actions: ["ec2:StopInstances", "ec2:TerminateInstances"],
        resources: instances,
        conditions: launchedForARequest,
      }),
      wildcardReason:
        "The instances are those the launcher launched, whose ids only their requests know; only instances tagged with a RequestId and this stack's name at launch may be stopped or terminated",
    },
    {
      statement: new PolicyStatement({
        sid: "TagLaunchedInstancesWithTheirLeaseEnd",
        actions: ["ec2:CreateTags"],
        resources: instances,
        conditions: {
          ...launchedForARequest,
          "ForAllValues:StringEquals": { "aws:TagKeys": [EXPIRES_AT_TAG] },
        },
      }),
      wildcardReason: `Only the ${EXPIRES_AT_TAG} tag may be set, and only on instances tagged with a RequestId and this stack's name at launch`,
    },
    ...ec2DescribeStatements(),
  ];
};
