import { randomUUID } from "node:crypto";
import type { ServiceHandler } from "../edge/types.ts";
import {
  type QueryParameters,
  queryParametersOf,
  type XmlFields,
  xmlAnswer,
  xmlElement,
} from "../query-protocol.ts";
import { xmlText } from "../xml.ts";
import { type DbInstance, type DbSnapshot, RdsError, type Tag } from "./db-instance.ts";
import type { LocalRds } from "./local-rds.ts";

const XML_NAMESPACE = "http://rds.amazonaws.com/doc/2014-10-31/";

/** RDS names each entry of a list after its type. */
const LIST_MEMBERS: Record<string, string> = {
  DBInstances: "DBInstance",
  DBSnapshots: "DBSnapshot",
  TagList: "Tag",
  VpcSecurityGroups: "VpcSecurityGroupMembership",
};
const memberOf = (listName: string) => LIST_MEMBERS[listName] ?? "member";

const resultAnswer = (action: string, requestId: string, result: XmlFields) =>
  xmlAnswer(
    200,
    requestId,
    `<${action}Response xmlns="${XML_NAMESPACE}">${xmlElement(`${action}Result`, result, memberOf)}${xmlElement("ResponseMetadata", { RequestId: requestId }, memberOf)}</${action}Response>`,
  );

/** The Query protocol's error document; SDKs raise an exception named after `Code`. */
const errorAnswer = (status: number, requestId: string, code: string, message: string) =>
  xmlAnswer(
    status,
    requestId,
    `<ErrorResponse xmlns="${XML_NAMESPACE}"><Error><Type>${status < 500 ? "Sender" : "Receiver"}</Type><Code>${xmlText(code)}</Code><Message>${xmlText(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  );

const tagListXml = (tags: Tag[]) => tags.map(({ key, value }) => ({ Key: key, Value: value }));

const dbInstanceXml = (instance: DbInstance): XmlFields => ({
  DBInstanceIdentifier: instance.identifier,
  DBInstanceClass: instance.instanceClass,
  Engine: instance.engine,
  DBInstanceStatus: instance.status,
  MasterUsername: instance.masterUsername,
  DBName: instance.dbName,
  Endpoint: instance.endpoint && {
    Address: instance.endpoint.address,
    Port: instance.endpoint.port,
  },
  AllocatedStorage: instance.allocatedStorage,
  InstanceCreateTime: instance.createdAt,
  BackupRetentionPeriod: instance.backupRetentionPeriod,
  VpcSecurityGroups: instance.vpcSecurityGroupIds.map((id) => ({ VpcSecurityGroupId: id, Status: "active" })),
  DBSubnetGroup: instance.dbSubnetGroupName && { DBSubnetGroupName: instance.dbSubnetGroupName },
  MultiAZ: instance.multiAz,
  EngineVersion: instance.engineVersion,
  PubliclyAccessible: instance.publiclyAccessible,
  StorageType: instance.storageType,
  StorageEncrypted: instance.storageEncrypted,
  DbiResourceId: instance.resourceId,
  CopyTagsToSnapshot: instance.copyTagsToSnapshot,
  DBInstanceArn: instance.arn,
  DeletionProtection: instance.deletionProtection,
  TagList: tagListXml(instance.tags),
  MasterUserSecret: instance.masterUserSecretArn && {
    SecretArn: instance.masterUserSecretArn,
    SecretStatus: "active",
  },
});

/** A final snapshot as RDS describes one: taken whole when its instance was deleted, so available. */
const dbSnapshotXml = (snapshot: DbSnapshot): XmlFields => ({
  DBSnapshotIdentifier: snapshot.identifier,
  DBInstanceIdentifier: snapshot.dbInstanceIdentifier,
  SnapshotCreateTime: snapshot.createdAt,
  Engine: snapshot.engine,
  EngineVersion: snapshot.engineVersion,
  AllocatedStorage: snapshot.allocatedStorage,
  Status: "available",
  SnapshotType: "manual",
  DBSnapshotArn: snapshot.arn,
  TagList: tagListXml(snapshot.tags),
});

/** RDS's lists of structures: `Tags.Tag.1.Key`, a list element named after its type. */
const listOf = (parameters: QueryParameters, list: string, member: string) =>
  parameters.structure(list)?.members(member) ?? [];

const tagsOf = (parameters: QueryParameters) =>
  listOf(parameters, "Tags", "Tag").map((tag) => ({ key: tag.string("Key"), value: tag.string("Value") }));

type Action = (rds: LocalRds, parameters: QueryParameters, region: string) => Promise<XmlFields>;

const ACTIONS = new Map<string, Action>(
  Object.entries({
    CreateDBInstance: async (rds, parameters, region) => ({
      DBInstance: dbInstanceXml(
        await rds.createDbInstance(region, {
          identifier: parameters.string("DBInstanceIdentifier"),
          instanceClass: parameters.string("DBInstanceClass"),
          engine: parameters.string("Engine"),
          engineVersion: parameters.string("EngineVersion"),
          allocatedStorage: parameters.integer("AllocatedStorage"),
          storageType: parameters.string("StorageType"),
          dbName: parameters.string("DBName"),
          masterUsername: parameters.string("MasterUsername"),
          masterUserPassword: parameters.string("MasterUserPassword"),
          manageMasterUserPassword: parameters.boolean("ManageMasterUserPassword"),
          storageEncrypted: parameters.boolean("StorageEncrypted"),
          publiclyAccessible: parameters.boolean("PubliclyAccessible"),
          multiAz: parameters.boolean("MultiAZ"),
          backupRetentionPeriod: parameters.integer("BackupRetentionPeriod"),
          copyTagsToSnapshot: parameters.boolean("CopyTagsToSnapshot"),
          deletionProtection: parameters.boolean("DeletionProtection"),
          dbSubnetGroupName: parameters.string("DBSubnetGroupName"),
          vpcSecurityGroupIds: parameters.structure("VpcSecurityGroupIds")?.strings("VpcSecurityGroupId"),
          tags: tagsOf(parameters),
        }),
      ),
    }),

    DescribeDBInstances: async (rds, parameters, region) => ({
      DBInstances: rds
        .describeDbInstances(region, {
          identifier: parameters.string("DBInstanceIdentifier"),
          filters: listOf(parameters, "Filters", "Filter").map((filter) => ({
            name: filter.required("Name"),
            values: filter.structure("Values")?.strings("Value") ?? [],
          })),
        })
        .map(dbInstanceXml),
    }),

    DeleteDBInstance: async (rds, parameters, region) => ({
      DBInstance: dbInstanceXml(
        await rds.deleteDbInstance(region, parameters.required("DBInstanceIdentifier"), {
          skipFinalSnapshot: parameters.boolean("SkipFinalSnapshot"),
          finalSnapshotIdentifier: parameters.string("FinalDBSnapshotIdentifier"),
        }),
      ),
    }),

    DescribeDBSnapshots: async (rds, parameters, region) => ({
      DBSnapshots: rds
        .describeDbSnapshots(region, {
          identifier: parameters.string("DBSnapshotIdentifier"),
          dbInstanceIdentifier: parameters.string("DBInstanceIdentifier"),
        })
        .map(dbSnapshotXml),
    }),

    AddTagsToResource: async (rds, parameters, region) => {
      await rds.addTags(region, parameters.required("ResourceName"), tagsOf(parameters));
      return {};
    },

    ListTagsForResource: async (rds, parameters, region) => ({
      TagList: tagListXml(rds.listTags(region, parameters.required("ResourceName"))),
    }),

    RemoveTagsFromResource: async (rds, parameters, region) => {
      await rds.removeTags(
        region,
        parameters.required("ResourceName"),
        parameters.structure("TagKeys")?.strings("member") ?? [],
      );
      return {};
    },
  } satisfies Record<string, Action>),
);

const rdsError = (code: string, message: string) => new RdsError(code, message);

/**
 * The RDS Query API in front of the local RDS, in the region of each request's credential scope,
 * answering as AWS does: XML in the 2014-10-31 namespace, and errors in the Query protocol's
 * `<ErrorResponse>`, so SDKs raise the same exceptions. Actions it does not implement (ModifyDBInstance
 * among them) are refused as RDS refuses an action it does not know.
 */
export const createRdsApi =
  (rds: LocalRds): ServiceHandler =>
  async (request) => {
    const requestId = randomUUID();
    try {
      const parameters = queryParametersOf(request, rdsError);
      const actionName = parameters.string("Action");
      if (!actionName) throw rdsError("MissingAction", "The request must contain the parameter Action");
      const action = ACTIONS.get(actionName);
      if (!action) {
        throw rdsError("InvalidAction", `The action ${actionName} is not valid for this web service.`);
      }
      return resultAnswer(actionName, requestId, await action(rds, parameters, request.region));
    } catch (error) {
      if (error instanceof RdsError) return errorAnswer(error.status, requestId, error.code, error.message);
      console.error("[rds-api] request failed", error);
      return errorAnswer(500, requestId, "InternalFailure", "An internal error has occurred");
    }
  };
