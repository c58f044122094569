import { describe, expect, it } from "vitest";
import { RDS_IDENTIFIER_SUFFIX_LENGTH, rdsResourceSchema } from "./rds-resource.ts";
import { resourceSchema } from "./request.ts";
import { fieldErrorsOf } from "./validation.ts";

const database = (fields: Record<string, unknown> = {}) => ({
  type: "rds",
  engine: "postgres",
  instanceClass: "db.t4g.micro",
  allocatedStorageGiB: 20,
  name: "orders",
  ...fields,
});

const problemsOf = (value: unknown) => {
  const result = resourceSchema.safeParse(value);
  return result.error ? fieldErrorsOf(result.error) : [];
};

describe("an RDS resource", () => {
  it("fills in gp3 storage, a single zone and a week of backups when the request leaves them out", () => {
    expect(rdsResourceSchema.parse(database())).toEqual({
      ...database(),
      storageType: "gp3",
      multiAz: false,
      backupRetentionDays: 7,
    });
  });

  it.each([
    ["postgres", "16.8"],
    ["mysql", "8.0.42"],
  ])("accepts %s %s, a version of its own engine", (engine, engineVersion) => {
    expect(problemsOf(database({ engine, engineVersion }))).toEqual([]);
  });

  it("refuses another engine's version, naming the versions its engine offers", () => {
    expect(problemsOf(database({ engine: "mysql", engineVersion: "16.8" }))).toEqual([
      { field: "engineVersion", message: "must be one of 8.4.5, 8.0.42 for mysql" },
    ]);
  });

  it.each([
    [{ engine: "oracle" }, "engine", "must be one of postgres, mysql"],
    [
      { instanceClass: "db.t3.micro" },
      "instanceClass",
      expect.stringMatching(/^must be one of db\.t4g\.micro, /),
    ],
    [{ allocatedStorageGiB: 19 }, "allocatedStorageGiB", "must be at least 20"],
    [{ allocatedStorageGiB: 65537 }, "allocatedStorageGiB", "must be at most 65536"],
    [{ allocatedStorageGiB: 20.5 }, "allocatedStorageGiB", "must be a whole number"],
    [{ storageType: "io2" }, "storageType", "must be one of gp3, gp2"],
    [{ multiAz: "yes" }, "multiAz", "must be true or false"],
    [{ backupRetentionDays: 36 }, "backupRetentionDays", "must be at most 35"],
    [{ backupRetentionDays: -1 }, "backupRetentionDays", "must be at least 0"],
    [
      { databaseName: "1orders" },
      "databaseName",
      "must start with a letter and hold only letters, digits and underscores",
    ],
    [{ databaseName: "template1" }, "databaseName", "must not be template1: postgres reserves it"],
    [{ name: undefined }, "name", "is required"],
  ])("refuses %j on %s", (fields, field, message) => {
    expect(problemsOf(database(fields))).toEqual([{ field, message }]);
  });

  it("names each identifier rule the name breaks, so the requester can fix them all at once", () => {
    expect(problemsOf(database({ name: "9Orders--" })).map(({ message }) => message)).toEqual([
      "must start with a lowercase letter",
      "must hold only lowercase letters, digits and hyphens",
      "must not hold two hyphens in a row",
      "must not end with a hyphen",
    ]);
  });

  it("leaves room in RDS's 63 characters for the launcher's suffix", () => {
    const longest = "a".repeat(63 - RDS_IDENTIFIER_SUFFIX_LENGTH);
    expect(problemsOf(database({ name: longest }))).toEqual([]);
    expect(problemsOf(database({ name: `${longest}a` }))).toEqual([
      { field: "name", message: `must be at most ${longest.length} characters` },
    ]);
  });

  it("allows MySQL one more character in a database name than PostgreSQL", () => {
    const name = `d${"b".repeat(63)}`;
    expect(problemsOf(database({ engine: "mysql", databaseName: name }))).toEqual([]);
    expect(problemsOf(database({ engine: "postgres", databaseName: name }))).toEqual([
      { field: "databaseName", message: "must be at most 63 characters for postgres" },
    ]);
  });
});
