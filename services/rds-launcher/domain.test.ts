import { describe, expect, it } from "vitest";
import { dbInstanceIdentifierSchema } from "../../events/launched-resource.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { sampleDatabaseRequest, sampleRequest } from "../../test/support/fixtures.ts";
import {
  buildCreateDbInstanceInput,
  buildDeleteDbInstanceInput,
  type CreationSettings,
  classifyCreateError,
  classifyDeleteError,
  createRefusalReason,
  dbInstanceIdentifierOf,
  finalSnapshotIdentifierOf,
  outcomeOfStatus,
  rdsApprovalSchema,
  rdsReleaseSchema,
  regionOf,
  releaseCheckStepOf,
  stillThereProblem,
} from "./domain.ts";
import { releaseOf } from "./testing/fixtures.ts";

const request = sampleDatabaseRequest();
const settings: CreationSettings = {
  homeRegion: "us-east-1",
  dbSecurityGroupIds: [],
  deploymentName: "approvals-prod",
};

describe("dbInstanceIdentifierOf", () => {
  it("is the request's name and 8 hex characters derived from its id, the same on every retry", () => {
    const identifier = dbInstanceIdentifierOf(request);

    expect(identifier).toMatch(/^orders-[0-9a-f]{8}$/);
    expect(dbInstanceIdentifierOf(sampleDatabaseRequest())).toBe(identifier);
  });

  it("differs between requests of the same name", () => {
    expect(dbInstanceIdentifierOf(sampleDatabaseRequest({ requestId: "req-db-2" }))).not.toBe(
      dbInstanceIdentifierOf(request),
    );
  });

  it("is a valid identifier of at most 63 characters whatever the request id, for the longest name allowed", () => {
    const longest = sampleDatabaseRequest({
      requestId: "A_Request_ID-With-Capitals_And_Underscores-0123456789ABCDEFGHIJ",
      resource: { ...request.resource, name: `a${"b".repeat(53)}` },
    });

    const identifier = dbInstanceIdentifierOf(longest);

    expect(identifier).toHaveLength(63);
    expect(dbInstanceIdentifierSchema.safeParse(identifier).success).toBe(true);
  });
});

describe("regionOf", () => {
  it("is the request's region, or the stack's own when the request names none", () => {
    expect(regionOf(sampleDatabaseRequest({ region: "eu-west-1" }), settings)).toBe("eu-west-1");
    expect(regionOf(sampleDatabaseRequest({ region: undefined }), settings)).toBe("us-east-1");
  });
});

describe("buildCreateDbInstanceInput", () => {
  it("creates an encrypted, private instance whose password RDS manages, tagged with the request and the deployment", () => {
    const input = buildCreateDbInstanceInput(request, "bob@example.com", {
      homeRegion: "us-east-1",
      dbSubnetGroupName: "approvals-databases",
      dbSecurityGroupIds: ["sg-0123456789abcdef0"],
      deploymentName: "approvals-prod",
    });

    expect(input).toStrictEqual({
      DBInstanceIdentifier: dbInstanceIdentifierOf(request),
      Engine: "postgres",
      EngineVersion: "16.8",
      DBInstanceClass: "db.t4g.micro",
      AllocatedStorage: 20,
      StorageType: "gp3",
      MultiAZ: false,
      DBName: "orders",
      BackupRetentionPeriod: 7,
      MasterUsername: "postgres",
      ManageMasterUserPassword: true,
      StorageEncrypted: true,
      PubliclyAccessible: false,
      CopyTagsToSnapshot: true,
      DeletionProtection: false,
      DBSubnetGroupName: "approvals-databases",
      VpcSecurityGroupIds: ["sg-0123456789abcdef0"],
      Tags: [
        { Key: "RequestId", Value: "req-db-1" },
        { Key: "Requester", Value: "ana@example.com" },
        { Key: "Approver", Value: "bob@example.com" },
        { Key: "Name", Value: "orders" },
        { Key: "approvals:stack", Value: "approvals-prod" },
      ],
    });
  });

  it("leaves out what neither the request nor the configuration sets, and never names a password", () => {
    const { engineVersion: _v, databaseName: _d, ...resource } = request.resource;

    const input = buildCreateDbInstanceInput({ ...request, resource }, "bob@example.com", settings);

    expect(input).not.toHaveProperty("EngineVersion");
    expect(input).not.toHaveProperty("DBName");
    expect(input).not.toHaveProperty("DBSubnetGroupName");
    expect(input).not.toHaveProperty("VpcSecurityGroupIds");
    expect(input).not.toHaveProperty("MasterUserPassword");
  });

  it("creates MySQL with the master user RDS suggests for it, and Multi-AZ when asked", () => {
    const mysql = sampleDatabaseRequest({
      resource: { ...request.resource, engine: "mysql", engineVersion: "8.4.5", multiAz: true },
    });

    const input = buildCreateDbInstanceInput(mysql, "bob@example.com", settings);

    expect(input).toMatchObject({ Engine: "mysql", MasterUsername: "admin", MultiAZ: true });
  });
});

describe("classifyCreateError", () => {
  it.each([
    "InvalidParameterValue",
    "InvalidParameterCombination",
    "UnsupportedDBEngineVersion",
    "InstanceQuotaExceeded",
    "StorageQuotaExceeded",
    "DBSubnetGroupNotFoundFault",
    "InvalidVPCNetworkStateFault",
  ])("fails the request for good on %s", (code) => {
    expect(classifyCreateError({ code, message: "refused" })).toBe("permanent");
  });

  it.each([
    "Throttling",
    "InsufficientDBInstanceCapacity",
    "InternalFailure",
    "ServiceUnavailable",
    "AccessDenied",
    undefined,
  ])("leaves %s to the bus's retries", (code) => {
    expect(classifyCreateError({ code, message: "no luck" })).toBe("retryable");
  });

  it("names RDS's code and message in the reason", () => {
    expect(createRefusalReason({ code: "InvalidParameterValue", message: "Invalid DB engine" })).toBe(
      "RDS refused to create the DB instance (InvalidParameterValue): Invalid DB engine",
    );
  });
});

describe("outcomeOfStatus", () => {
  it.each(["available", "backing-up", "configuring-enhanced-monitoring", "storage-optimization"])(
    "provisions an instance that is %s: the requester can connect to it",
    (status) => {
      expect(outcomeOfStatus(status)).toBe("provisioned");
    },
  );

  it.each(["failed", "incompatible-parameters", "incompatible-network", "storage-full", "deleting"])(
    "fails a creation that ends %s",
    (status) => {
      expect(outcomeOfStatus(status)).toBe("failed");
    },
  );

  it.each(["creating", "modifying", "rebooting"])("waits while the instance is %s", (status) => {
    expect(outcomeOfStatus(status)).toBeUndefined();
  });
});

describe("rdsApprovalSchema", () => {
  const approval = (resourceRequest: object) => ({
    requestId: "req-1",
    request: resourceRequest,
    approver: "bob@example.com",
    decidedAt: "2030-01-01T10:00:00.000Z",
  });

  it("reads an approval of an RDS request as RequestApproved does", () => {
    const detail = approval(request);

    expect(rdsApprovalSchema.parse(detail)).toEqual(RequestApproved.schema.parse(detail));
  });

  it("refuses an approval of another resource type", () => {
    expect(rdsApprovalSchema.safeParse(approval(sampleRequest())).error?.issues[0]?.message).toBe(
      "must approve an RDS request: the rds-launcher creates nothing else",
    );
  });
});

describe("finalSnapshotIdentifierOf", () => {
  it("is the instance's identifier, -final- and the release's time to the second", () => {
    expect(finalSnapshotIdentifierOf("orders-0a1b2c3d", "2030-01-08T10:00:05.123Z")).toBe(
      "orders-0a1b2c3d-final-20300108100005",
    );
  });

  it("is a valid snapshot identifier for the longest instance identifier: a letter first, no double hyphen, no hyphen last, 255 at most", () => {
    const snapshot = finalSnapshotIdentifierOf(`a${"b-".repeat(30)}cd`, "2030-01-08T10:00:05.000Z");

    expect(snapshot).toMatch(/^[a-z](?:-?[a-z0-9])*$/);
    expect(snapshot.length).toBeLessThanOrEqual(255);
  });
});

describe("buildDeleteDbInstanceInput", () => {
  it("takes the final snapshot and keeps the automated backups", () => {
    expect(
      buildDeleteDbInstanceInput("orders-0a1b2c3d", "orders-0a1b2c3d-final-20300108100005"),
    ).toStrictEqual({
      DBInstanceIdentifier: "orders-0a1b2c3d",
      FinalDBSnapshotIdentifier: "orders-0a1b2c3d-final-20300108100005",
      DeleteAutomatedBackups: false,
    });
  });

  it("skips the snapshot, as RDS requires saying, only without one", () => {
    expect(buildDeleteDbInstanceInput("orders-0a1b2c3d", undefined)).toStrictEqual({
      DBInstanceIdentifier: "orders-0a1b2c3d",
      SkipFinalSnapshot: true,
      DeleteAutomatedBackups: true,
    });
  });
});

describe("releaseCheckStepOf", () => {
  it.each(["deleting", "delete-precheck"])("waits for an instance that is %s", (status) => {
    expect(releaseCheckStepOf(status)).toBe("wait");
  });

  it.each(["available", "backing-up", "stopped", "modifying"])(
    "deletes again an instance still %s",
    (status) => {
      expect(releaseCheckStepOf(status)).toBe("delete-again");
    },
  );
});

describe("classifyDeleteError", () => {
  it("waits for the next check when the instance is being deleted or too busy for a snapshot", () => {
    expect(classifyDeleteError({ code: "InvalidDBInstanceState", message: "busy" })).toBe("wait");
  });

  it.each([
    "InvalidParameterCombination",
    "DBSnapshotAlreadyExists",
    "SnapshotQuotaExceeded",
    "AccessDenied",
  ])("keeps %s as the refusal a failed release names", (code) => {
    expect(classifyDeleteError({ code, message: "no" })).toBe("refused");
  });

  it.each(["Throttling", "InternalFailure", undefined])("leaves %s to the bus's retries", (code) => {
    expect(classifyDeleteError({ code, message: "not now" })).toBe("retryable");
  });
});

describe("the lease's end and the release as the launcher reads them", () => {
  it("refuses a release of a DB instance with another type's end action", () => {
    expect(rdsReleaseSchema.safeParse({ ...releaseOf("r-1"), action: "terminate" }).success).toBe(false);
  });

  it("says how long the instance stayed, and RDS's last refusal", () => {
    expect(stillThereProblem("orders-0a1b2c3d", "available", 1)).toBe(
      "DB instance orders-0a1b2c3d is still available after 1 check",
    );
    expect(stillThereProblem("orders-0a1b2c3d", "available", 6, "RDS refused")).toBe(
      "DB instance orders-0a1b2c3d is still available after 6 checks; RDS refused",
    );
  });
});
