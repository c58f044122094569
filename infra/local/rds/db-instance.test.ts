import { describe, expect, it } from "vitest";
import {
  type CreateDbInstanceInput,
  checkIdentifier,
  type DbInstance,
  finalSnapshotOf,
  identifierOfArn,
  mergeTags,
  newDbInstance,
} from "./db-instance.ts";

const input = (overrides: Partial<CreateDbInstanceInput> = {}): CreateDbInstanceInput => ({
  identifier: "orders-db",
  instanceClass: "db.t4g.micro",
  engine: "postgres",
  allocatedStorage: 20,
  masterUsername: "postgres",
  manageMasterUserPassword: true,
  ...overrides,
});

const refusal = (make: () => unknown) => {
  try {
    make();
  } catch (error) {
    return error;
  }
  throw new Error("expected a refusal");
};

describe("DB instance identifiers", () => {
  it.each(["a", "orders-db", "A1-b2-C3", `a${"b".repeat(62)}`])(
    "accepts %s, stored lower-case",
    (identifier) => {
      expect(checkIdentifier("DBInstanceIdentifier", identifier)).toBe(identifier.toLowerCase());
    },
  );

  it.each([
    ["empty", ""],
    ["starting with a digit", "1db"],
    ["starting with a hyphen", "-db"],
    ["holding two hyphens in a row", "orders--db"],
    ["ending with a hyphen", "orders-"],
    ["holding an underscore", "orders_db"],
    ["holding a dot", "orders.db"],
    ["of 64 characters", `a${"b".repeat(63)}`],
  ])("refuses one %s as InvalidParameterValue naming the parameter", (_, identifier) => {
    expect(refusal(() => checkIdentifier("DBInstanceIdentifier", identifier))).toMatchObject({
      code: "InvalidParameterValue",
      message: expect.stringContaining("The parameter DBInstanceIdentifier is not a valid identifier"),
    });
  });
});

describe("newDbInstance", () => {
  it("is creating in its region, with RDS's defaults for what was not asked", () => {
    const instance = newDbInstance(
      "eu-west-1",
      input({ identifier: "Orders-DB" }),
      new Date("2026-01-02T03:04:05Z"),
    );

    expect(instance).toMatchObject({
      region: "eu-west-1",
      identifier: "orders-db",
      arn: "arn:aws:rds:eu-west-1:000000000000:db:orders-db",
      status: "creating",
      statusChangedAt: "2026-01-02T03:04:05.000Z",
      engineVersion: "17.4",
      storageType: "gp2",
      backupRetentionPeriod: 1,
      multiAz: false,
      publiclyAccessible: false,
      storageEncrypted: false,
      copyTagsToSnapshot: false,
      vpcSecurityGroupIds: [],
      tags: [],
    });
    expect(instance.resourceId).toMatch(/^db-[A-Z2-7]{26}$/);
    expect(instance.masterUserSecretArn).toMatch(
      /^arn:aws:secretsmanager:eu-west-1:000000000000:secret:rds!db-[0-9a-f-]{36}-[A-Za-z0-9]{6}$/,
    );
    expect(instance.endpoint).toBeUndefined();
  });

  it("manages no secret when the caller gives the password", () => {
    expect(
      newDbInstance(
        "us-east-1",
        input({ manageMasterUserPassword: undefined, masterUserPassword: "s3cret-enough" }),
      ).masterUserSecretArn,
    ).toBeUndefined();
  });

  it.each([
    ["DBInstanceIdentifier", { identifier: undefined }],
    ["DBInstanceClass", { instanceClass: undefined }],
    ["Engine", { engine: undefined }],
    ["AllocatedStorage", { allocatedStorage: undefined }],
  ])("refuses a request without %s as MissingParameter", (parameter, overrides) => {
    expect(refusal(() => newDbInstance("us-east-1", input(overrides)))).toMatchObject({
      code: "MissingParameter",
      message: `The request must contain the parameter ${parameter}`,
    });
  });

  it.each([
    ["an engine RDS has not", { engine: "oracle-se9" }, "InvalidParameterValue"],
    ["a version the engine has not", { engineVersion: "9.6" }, "InvalidParameterCombination"],
    ["a malformed instance class", { instanceClass: "t4g.micro" }, "InvalidParameterCombination"],
    ["storage below 20 GiB", { allocatedStorage: 19 }, "InvalidParameterValue"],
    ["storage above 64 TiB", { allocatedStorage: 65537 }, "InvalidParameterValue"],
    ["an unknown storage type", { storageType: "ssd" }, "InvalidParameterValue"],
    ["a blank master user name", { masterUsername: " " }, "InvalidParameterValue"],
    [
      "a password that RDS is also asked to manage",
      { masterUserPassword: "s3cret-enough" },
      "InvalidParameterCombination",
    ],
    ["neither a password nor a managed one", { manageMasterUserPassword: false }, "InvalidParameterValue"],
    [
      "a password of fewer than 8 characters",
      { manageMasterUserPassword: undefined, masterUserPassword: "short" },
      "InvalidParameterValue",
    ],
    ["a database name the engine reserves", { dbName: "template1" }, "InvalidParameterValue"],
    ["a database name starting with a digit", { dbName: "1app" }, "InvalidParameterValue"],
    ["backups kept 36 days", { backupRetentionPeriod: 36 }, "InvalidParameterValue"],
    [
      "a tag key in AWS's namespace",
      { tags: [{ key: "aws:cloudformation", value: "x" }] },
      "InvalidParameterValue",
    ],
  ])("refuses %s", (_, overrides, code) => {
    expect(
      refusal(() => newDbInstance("us-east-1", input(overrides as Partial<CreateDbInstanceInput>))),
    ).toMatchObject({ code });
  });
});

describe("tags", () => {
  it("adds new keys and replaces the values of existing ones", () => {
    expect(
      mergeTags(
        [
          { key: "a", value: "1" },
          { key: "b", value: "2" },
        ],
        [
          { key: "b", value: "3" },
          { key: "c", value: "4" },
        ],
      ),
    ).toEqual([
      { key: "a", value: "1" },
      { key: "b", value: "3" },
      { key: "c", value: "4" },
    ]);
  });

  it("refuses more than 50 on one resource", () => {
    const tags = Array.from({ length: 51 }, (_, index) => ({ key: `k${index}`, value: "" }));
    expect(refusal(() => mergeTags([], tags))).toMatchObject({ code: "TagQuotaPerResourceExceeded" });
  });

  it("finds the instance an ARN names only in the ARN's own region", () => {
    expect(identifierOfArn("eu-west-1", "arn:aws:rds:eu-west-1:000000000000:db:Orders")).toBe("orders");
    for (const arn of [
      "arn:aws:rds:us-east-1:000000000000:db:orders",
      "arn:aws:rds:eu-west-1:111111111111:db:orders",
      "arn:aws:rds:eu-west-1:000000000000:snapshot:orders",
      "orders",
    ]) {
      expect(refusal(() => identifierOfArn("eu-west-1", arn))).toMatchObject({
        code: "InvalidParameterValue",
      });
    }
  });
});

describe("deletion", () => {
  const instance = (overrides: Partial<DbInstance> = {}): DbInstance => ({
    ...newDbInstance("us-east-1", input()),
    status: "available",
    ...overrides,
  });

  it("takes no snapshot when told to skip it, and one by a valid name otherwise", () => {
    expect(finalSnapshotOf(instance(), { skipFinalSnapshot: true })).toBeUndefined();
    expect(finalSnapshotOf(instance(), { finalSnapshotIdentifier: "Final-1" })).toBe("final-1");
  });

  it("takes a snapshot name of up to 255 characters, as RDS does, where an instance's stops at 63", () => {
    const longest = `a${"b".repeat(254)}`;

    expect(finalSnapshotOf(instance(), { finalSnapshotIdentifier: longest })).toBe(longest);
    expect(
      refusal(() => finalSnapshotOf(instance(), { finalSnapshotIdentifier: `${longest}c` })),
    ).toMatchObject({ code: "InvalidParameterValue" });
  });

  it.each([
    ["neither a snapshot nor skipping it", {}, {}, "InvalidParameterCombination"],
    [
      "both a snapshot and skipping it",
      {},
      { skipFinalSnapshot: true, finalSnapshotIdentifier: "final" },
      "InvalidParameterCombination",
    ],
    ["a snapshot of an invalid name", {}, { finalSnapshotIdentifier: "final--1" }, "InvalidParameterValue"],
    [
      "a snapshot of an instance still creating",
      { status: "creating" },
      { finalSnapshotIdentifier: "f" },
      "InvalidDBInstanceState",
    ],
    [
      "an instance already being deleted",
      { status: "deleting" },
      { skipFinalSnapshot: true },
      "InvalidDBInstanceState",
    ],
    [
      "a protected instance",
      { deletionProtection: true },
      { skipFinalSnapshot: true },
      "InvalidParameterCombination",
    ],
  ] as const)("refuses %s", (_, state, options, code) => {
    expect(refusal(() => finalSnapshotOf(instance(state), options))).toMatchObject({ code });
  });
});
