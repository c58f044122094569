import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  type CreateDBInstanceCommandInput,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ListTagsForResourceCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RemoveTagsFromResourceCommand,
} from "@aws-sdk/client-rds";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_BUS } from "../../events/contract.ts";
import { RdsDbInstanceEvent } from "../../events/rds-instance-event.ts";
import { OUTSIDE_PRINCIPAL, type Principal } from "../../infra/local/edge/principals.ts";
import { type RunningEdge, startEdge } from "../../infra/local/edge/server.ts";
import { LocalEventBus } from "../../infra/local/eventbridge/bus.ts";
import type { BusEvent } from "../../infra/local/eventbridge/types.ts";
import { publishOnDefaultBus } from "../../infra/local/rds/bus-events.ts";
import { LocalRds } from "../../infra/local/rds/local-rds.ts";
import { createRdsApi } from "../../infra/local/rds/rds-api.ts";
import { createSecretsManagerApi } from "../../infra/local/rds/secrets-api.ts";
import { silentLogger } from "../support/bus.ts";
import { TEST_SERVICES_PRINCIPAL } from "../support/local-events.ts";
import { waitUntil } from "../support/wait.ts";

/** Longer than any test: instances made with it stay `creating`, so no engine starts. */
const NEVER_MS = 10 * 60_000;

interface Stack {
  rds: LocalRds;
  bus: LocalEventBus;
  edge: RunningEdge;
  /** Every aws.rds event the default bus delivered. */
  events: BusEvent[];
  rdsIn(region: string, principal?: Principal): RDSClient;
  secretsIn(region: string, principal?: Principal): SecretsManagerClient;
  stop(): Promise<void>;
}

let dataDir: string;
let stacks: Stack[] = [];

/** The local RDS and Secrets Manager at an edge, reporting on a real bus, as the runtime wires them. */
const startStack = async ({ createDelayMs = 50 } = {}): Promise<Stack> => {
  const events: BusEvent[] = [];
  const bus = new LocalEventBus({
    dataDir,
    logger: silentLogger,
    rules: [
      {
        name: "rds-events",
        eventBusName: DEFAULT_BUS,
        pattern: { source: [RdsDbInstanceEvent.source], "detail-type": [RdsDbInstanceEvent.detailType] },
        target: async (event) => {
          events.push(event);
        },
      },
    ],
  });
  await bus.start();
  const rds = await LocalRds.open({
    dataDir,
    host: "127.0.0.1",
    createDelayMs,
    deleteDelayMs: 50,
    onEvent: publishOnDefaultBus(bus),
  });
  const edge = await startEdge({
    port: 0,
    services: { rds: createRdsApi(rds), secretsmanager: createSecretsManagerApi(rds) },
    principals: [TEST_SERVICES_PRINCIPAL, OUTSIDE_PRINCIPAL],
  });
  const clients: { destroy(): void }[] = [];
  const client = <T extends { destroy(): void }>(made: T) => {
    clients.push(made);
    return made;
  };
  const options = (region: string, principal: Principal) => ({
    endpoint: edge.url,
    region,
    credentials: principal,
    maxAttempts: 1,
  });
  const stack: Stack = {
    rds,
    bus,
    edge,
    events,
    rdsIn: (region, principal = TEST_SERVICES_PRINCIPAL) => client(new RDSClient(options(region, principal))),
    secretsIn: (region, principal = TEST_SERVICES_PRINCIPAL) =>
      client(new SecretsManagerClient(options(region, principal))),
    stop: async () => {
      for (const made of clients) made.destroy();
      await edge.close();
      await rds.close();
      await bus.close();
    },
  };
  stacks.push(stack);
  return stack;
};

const stopStack = async (stack: Stack) => {
  stacks = stacks.filter((running) => running !== stack);
  await stack.stop();
};

const postgresInput = (
  overrides: Partial<CreateDBInstanceCommandInput> = {},
): CreateDBInstanceCommandInput => ({
  DBInstanceIdentifier: "orders-db",
  Engine: "postgres",
  EngineVersion: "16.8",
  DBInstanceClass: "db.t4g.micro",
  AllocatedStorage: 20,
  StorageType: "gp3",
  MasterUsername: "postgres",
  ManageMasterUserPassword: true,
  DBName: "appdb",
  StorageEncrypted: true,
  PubliclyAccessible: false,
  MultiAZ: false,
  BackupRetentionPeriod: 7,
  CopyTagsToSnapshot: true,
  Tags: [{ Key: "RequestId", Value: "req-1" }],
  ...overrides,
});

const mysqlInput = (overrides: Partial<CreateDBInstanceCommandInput> = {}) =>
  postgresInput({ Engine: "mysql", EngineVersion: "8.0.42", MasterUsername: "admin", ...overrides });

const describeOne = async (client: RDSClient, identifier: string) => {
  const { DBInstances = [] } = await client.send(
    new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }),
  );
  return DBInstances[0];
};

const eventsOf = (stack: Stack, identifier: string, eventId: string) =>
  stack.events.filter((event) => {
    const detail = event.detail as { SourceIdentifier: string; EventID?: string };
    return detail.SourceIdentifier === identifier && detail.EventID === eventId;
  });

/** Resolves once the default bus delivered the instance's event `eventId`. */
const busDelivered = (stack: Stack, identifier: string, eventId: string) =>
  waitUntil(
    () => {
      const [event] = eventsOf(stack, identifier, eventId);
      if (!event) throw new Error(`no ${eventId} for ${identifier} yet`);
      return event;
    },
    { timeout: 90_000 },
  );

const query = async (endpoint: { Address?: string; Port?: number }, password: string, sql: string) => {
  const client = new pg.Client({
    host: endpoint.Address,
    port: endpoint.Port,
    user: "postgres",
    password,
    database: "appdb",
  });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
};

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "rds-sdk-"));
});

afterEach(async () => {
  await Promise.all(stacks.map((stack) => stack.stop()));
  stacks = [];
  await rm(dataDir, { recursive: true, force: true });
});

describe("a postgres DB instance through @aws-sdk/client-rds", () => {
  it("is creating, then available with a real PostgreSQL at its endpoint that outlives a restart, and is deleted", {
    timeout: 240_000,
  }, async () => {
    let stack = await startStack();
    const rds = stack.rdsIn("eu-west-1");

    const { DBInstance: created } = await rds.send(new CreateDBInstanceCommand(postgresInput()));

    expect(created).toMatchObject({
      DBInstanceIdentifier: "orders-db",
      DBInstanceStatus: "creating",
      DBInstanceArn: "arn:aws:rds:eu-west-1:000000000000:db:orders-db",
      Engine: "postgres",
      EngineVersion: "16.8",
      DBInstanceClass: "db.t4g.micro",
      AllocatedStorage: 20,
      StorageType: "gp3",
      DBName: "appdb",
      MasterUsername: "postgres",
      StorageEncrypted: true,
      PubliclyAccessible: false,
      MultiAZ: false,
      BackupRetentionPeriod: 7,
      CopyTagsToSnapshot: true,
      TagList: [{ Key: "RequestId", Value: "req-1" }],
      MasterUserSecret: {
        SecretArn: expect.stringMatching(
          /^arn:aws:secretsmanager:eu-west-1:000000000000:secret:rds!db-[0-9a-f-]{36}-[A-Za-z0-9]{6}$/,
        ),
        SecretStatus: "active",
      },
    });
    expect(created?.Endpoint).toBeUndefined();

    const createdEvent = await busDelivered(stack, "orders-db", "RDS-EVENT-0005");
    expect(createdEvent).toMatchObject({
      source: "aws.rds",
      "detail-type": "RDS DB Instance Event",
      region: "eu-west-1",
      resources: ["arn:aws:rds:eu-west-1:000000000000:db:orders-db"],
      detail: {
        EventCategories: ["creation"],
        SourceType: "DB_INSTANCE",
        SourceArn: "arn:aws:rds:eu-west-1:000000000000:db:orders-db",
        SourceIdentifier: "orders-db",
        Message: "DB instance created",
        EventID: "RDS-EVENT-0005",
      },
    });
    expect(RdsDbInstanceEvent.schema.safeParse(createdEvent.detail).success).toBe(true);

    const available = await describeOne(rds, "orders-db");
    expect(available).toMatchObject({
      DBInstanceStatus: "available",
      Endpoint: { Address: "127.0.0.1", Port: expect.any(Number) },
    });
    expect(available?.InstanceCreateTime).toBeInstanceOf(Date);

    // The requester reads the managed password with the outside credentials, then connects with it.
    const secrets = stack.secretsIn("eu-west-1", OUTSIDE_PRINCIPAL);
    const secret = await secrets.send(
      new GetSecretValueCommand({ SecretId: created?.MasterUserSecret?.SecretArn }),
    );
    const { username, password } = JSON.parse(secret.SecretString ?? "{}");
    expect(username).toBe("postgres");
    expect(password).toEqual(expect.any(String));
    const endpoint = available?.Endpoint ?? {};
    expect(await query(endpoint, password, "select 1 as one, current_database() as db")).toEqual([
      { one: 1, db: "appdb" },
    ]);
    await query(endpoint, password, "create table orders (id int); insert into orders values (42)");

    await stopStack(stack);
    stack = await startStack();
    const afterRestart = await describeOne(stack.rdsIn("eu-west-1"), "orders-db");
    expect(afterRestart?.DBInstanceStatus).toBe("available");
    expect(await query(afterRestart?.Endpoint ?? {}, password, "select id from orders")).toEqual([
      { id: 42 },
    ]);

    const { DBInstance: deleting } = await stack
      .rdsIn("eu-west-1")
      .send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: "orders-db", SkipFinalSnapshot: true }));
    expect(deleting?.DBInstanceStatus).toBe("deleting");

    const deletedEvent = await busDelivered(stack, "orders-db", "RDS-EVENT-0003");
    expect(deletedEvent.detail).toMatchObject({
      EventCategories: ["deletion"],
      Message: "DB instance deleted",
    });
    await expect(describeOne(stack.rdsIn("eu-west-1"), "orders-db")).rejects.toMatchObject({
      name: "DBInstanceNotFoundFault",
      $metadata: { httpStatusCode: 404 },
    });
    // RDS deletes the secret it managed, and the data goes with the instance when no snapshot is kept.
    await expect(
      stack
        .secretsIn("eu-west-1")
        .send(new GetSecretValueCommand({ SecretId: created?.MasterUserSecret?.SecretArn })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    expect(existsSync(join(dataDir, "rds", "eu-west-1", "orders-db"))).toBe(false);
  });
});

describe("a mysql DB instance", () => {
  it("becomes available with MySQL's port recorded as its endpoint, with nothing listening", async () => {
    const stack = await startStack();
    const rds = stack.rdsIn("us-east-1");

    await rds.send(new CreateDBInstanceCommand(mysqlInput({ DBInstanceIdentifier: "Legacy-DB" })));
    await busDelivered(stack, "legacy-db", "RDS-EVENT-0005");

    expect(await describeOne(rds, "LEGACY-db")).toMatchObject({
      DBInstanceIdentifier: "legacy-db",
      DBInstanceStatus: "available",
      Engine: "mysql",
      Endpoint: { Address: "127.0.0.1", Port: 3306 },
    });
  });

  it("keeps a final snapshot under its name, which a second deletion cannot reuse", async () => {
    const stack = await startStack();
    const rds = stack.rdsIn("us-east-1");
    for (const identifier of ["first", "second"]) {
      await rds.send(new CreateDBInstanceCommand(mysqlInput({ DBInstanceIdentifier: identifier })));
      await busDelivered(stack, identifier, "RDS-EVENT-0005");
    }

    await rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: "first", FinalDBSnapshotIdentifier: "last-one" }),
    );
    await busDelivered(stack, "first", "RDS-EVENT-0003");

    expect(existsSync(join(dataDir, "rds", "us-east-1", "snapshots", "last-one"))).toBe(true);
    await expect(
      rds.send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: "second",
          FinalDBSnapshotIdentifier: "last-one",
        }),
      ),
    ).rejects.toMatchObject({ name: "DBSnapshotAlreadyExistsFault" });
    await expect(
      rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: "second" })),
    ).rejects.toMatchObject({
      name: "InvalidParameterCombination",
    });
  });

  it("describes a final snapshot with its instance's tags, after a restart too, and answers DBSnapshotNotFound for one never taken", async () => {
    const stack = await startStack();
    const rds = stack.rdsIn("us-east-1");
    await rds.send(new CreateDBInstanceCommand(mysqlInput({ DBInstanceIdentifier: "snapped" })));
    await busDelivered(stack, "snapped", "RDS-EVENT-0005");
    await rds.send(
      new DeleteDBInstanceCommand({
        DBInstanceIdentifier: "snapped",
        FinalDBSnapshotIdentifier: "snapped-final",
      }),
    );
    await busDelivered(stack, "snapped", "RDS-EVENT-0003");
    await stopStack(stack);

    const again = (await startStack()).rdsIn("us-east-1");
    const { DBSnapshots = [] } = await again.send(
      new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: "snapped" }),
    );

    expect(DBSnapshots).toMatchObject([
      {
        DBSnapshotIdentifier: "snapped-final",
        DBInstanceIdentifier: "snapped",
        Engine: "mysql",
        Status: "available",
        TagList: [{ Key: "RequestId", Value: "req-1" }],
      },
    ]);
    await expect(
      again.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: "never-taken" })),
    ).rejects.toMatchObject({ name: "DBSnapshotNotFoundFault" });
  });
});

describe("RDS's rules and error codes", () => {
  it.each([
    ["a digit first", "1orders"],
    ["two hyphens in a row", "orders--db"],
    ["a trailing hyphen", "orders-"],
    ["an underscore", "orders_db"],
    ["64 characters", `a${"b".repeat(63)}`],
  ])("refuses an identifier with %s as InvalidParameterValue", async (_, identifier) => {
    const stack = await startStack({ createDelayMs: NEVER_MS });
    await expect(
      stack
        .rdsIn("us-east-1")
        .send(new CreateDBInstanceCommand(mysqlInput({ DBInstanceIdentifier: identifier }))),
    ).rejects.toMatchObject({ name: "InvalidParameterValue", $metadata: { httpStatusCode: 400 } });
  });

  it("answers a duplicate, an unknown instance, a missing parameter and a password both given and managed", async () => {
    const stack = await startStack({ createDelayMs: NEVER_MS });
    const rds = stack.rdsIn("us-east-1");
    await rds.send(new CreateDBInstanceCommand(mysqlInput({ DBInstanceIdentifier: "taken" })));

    await expect(
      rds.send(new CreateDBInstanceCommand(mysqlInput({ DBInstanceIdentifier: "TAKEN" }))),
    ).rejects.toMatchObject({ name: "DBInstanceAlreadyExistsFault" });
    await expect(describeOne(rds, "nobody")).rejects.toMatchObject({
      name: "DBInstanceNotFoundFault",
      message: "DBInstance nobody not found.",
      $metadata: { httpStatusCode: 404 },
    });
    await expect(
      rds.send(
        new CreateDBInstanceCommand(mysqlInput({ DBInstanceIdentifier: "no-engine", Engine: undefined })),
      ),
    ).rejects.toMatchObject({ name: "MissingParameter", message: expect.stringContaining("Engine") });
    await expect(
      rds.send(
        new CreateDBInstanceCommand(
          mysqlInput({ DBInstanceIdentifier: "both", MasterUserPassword: "long-enough-1" }),
        ),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterCombination" });
  });

  it("refuses ModifyDBInstance, which the local RDS does not implement, as RDS refuses an unknown action", async () => {
    const stack = await startStack({ createDelayMs: NEVER_MS });
    await expect(
      stack.rdsIn("us-east-1").send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: "any" })),
    ).rejects.toMatchObject({ name: "InvalidAction" });
  });
});

describe("regions", () => {
  it("lists an instance only in the region it was created in, so one identifier can exist in two", async () => {
    const stack = await startStack({ createDelayMs: NEVER_MS });
    const ireland = stack.rdsIn("eu-west-1");
    const virginia = stack.rdsIn("us-east-1");
    await ireland.send(
      new CreateDBInstanceCommand(mysqlInput({ DBInstanceIdentifier: "shared", AllocatedStorage: 30 })),
    );
    await virginia.send(
      new CreateDBInstanceCommand(mysqlInput({ DBInstanceIdentifier: "shared", AllocatedStorage: 40 })),
    );
    await virginia.send(new CreateDBInstanceCommand(mysqlInput({ DBInstanceIdentifier: "only-here" })));

    const listed = async (client: RDSClient) =>
      ((await client.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).map(
        (instance) => `${instance.DBInstanceArn} ${instance.AllocatedStorage}`,
      );
    expect(await listed(ireland)).toEqual(["arn:aws:rds:eu-west-1:000000000000:db:shared 30"]);
    expect((await listed(virginia)).sort()).toEqual([
      "arn:aws:rds:us-east-1:000000000000:db:only-here 20",
      "arn:aws:rds:us-east-1:000000000000:db:shared 40",
    ]);
    await expect(describeOne(ireland, "only-here")).rejects.toMatchObject({
      name: "DBInstanceNotFoundFault",
    });
    await expect(describeOne(stack.rdsIn("ap-south-1"), "shared")).rejects.toMatchObject({
      name: "DBInstanceNotFoundFault",
    });
  });
});

describe("DescribeDBInstances filters and tags", () => {
  it("filters by db-instance-id (identifier or ARN) and refuses a filter it does not know", async () => {
    const stack = await startStack({ createDelayMs: NEVER_MS });
    const rds = stack.rdsIn("us-east-1");
    for (const identifier of ["alpha", "beta", "gamma"]) {
      await rds.send(new CreateDBInstanceCommand(mysqlInput({ DBInstanceIdentifier: identifier })));
    }

    const { DBInstances = [] } = await rds.send(
      new DescribeDBInstancesCommand({
        Filters: [
          { Name: "db-instance-id", Values: ["alpha", "arn:aws:rds:us-east-1:000000000000:db:gamma"] },
        ],
      }),
    );
    expect(DBInstances.map((instance) => instance.DBInstanceIdentifier)).toEqual(["alpha", "gamma"]);
    expect((await describeOne(rds, "arn:aws:rds:us-east-1:000000000000:db:beta"))?.DBInstanceIdentifier).toBe(
      "beta",
    );
    await expect(
      rds.send(new DescribeDBInstancesCommand({ Filters: [{ Name: "color", Values: ["red"] }] })),
    ).rejects.toMatchObject({ name: "InvalidParameterValue" });
  });

  it("adds, lists and removes tags by the instance's ARN, in its region only", async () => {
    const stack = await startStack({ createDelayMs: NEVER_MS });
    const rds = stack.rdsIn("us-east-1");
    const { DBInstance } = await rds.send(
      new CreateDBInstanceCommand(mysqlInput({ DBInstanceIdentifier: "tagged" })),
    );
    const arn = DBInstance?.DBInstanceArn;

    await rds.send(
      new AddTagsToResourceCommand({
        ResourceName: arn,
        Tags: [
          { Key: "RequestId", Value: "req-2" },
          { Key: "Owner", Value: "ana <& bob>" },
        ],
      }),
    );
    await rds.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: ["Owner"] }));

    const { TagList } = await rds.send(new ListTagsForResourceCommand({ ResourceName: arn }));
    expect(TagList).toEqual([{ Key: "RequestId", Value: "req-2" }]);
    expect((await describeOne(rds, "tagged"))?.TagList).toEqual([{ Key: "RequestId", Value: "req-2" }]);
    await expect(
      stack.rdsIn("eu-west-1").send(new ListTagsForResourceCommand({ ResourceName: arn })),
    ).rejects.toMatchObject({ name: "InvalidParameterValue" });
    await expect(
      rds.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: [{ Key: "aws:owner", Value: "x" }] })),
    ).rejects.toMatchObject({ name: "InvalidParameterValue" });
  });
});

describe("who may call", () => {
  it("keeps RDS to the stack's services; an outside client may only read the managed secrets", async () => {
    const stack = await startStack({ createDelayMs: NEVER_MS });
    const { DBInstance } = await stack
      .rdsIn("us-east-1")
      .send(new CreateDBInstanceCommand(mysqlInput({ DBInstanceIdentifier: "guarded" })));
    const secretArn = DBInstance?.MasterUserSecret?.SecretArn;
    const outsideSecrets = stack.secretsIn("us-east-1", OUTSIDE_PRINCIPAL);

    await expect(
      stack.rdsIn("us-east-1", OUTSIDE_PRINCIPAL).send(new DescribeDBInstancesCommand({})),
    ).rejects.toMatchObject({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    await expect(
      outsideSecrets.send(new CreateSecretCommand({ Name: "mine", SecretString: "x" })),
    ).rejects.toMatchObject({ name: "AccessDeniedException" });
    const described = await outsideSecrets.send(new DescribeSecretCommand({ SecretId: secretArn }));
    expect(described).toMatchObject({
      ARN: secretArn,
      Name: expect.stringMatching(/^rds!db-[0-9a-f-]{36}$/),
      OwningService: "rds",
    });
    const value = await outsideSecrets.send(new GetSecretValueCommand({ SecretId: described.Name }));
    expect(value.ARN).toBe(secretArn);
    expect(JSON.parse(value.SecretString ?? "{}")).toMatchObject({ username: "admin" });
    await expect(
      stack
        .secretsIn("eu-west-1", OUTSIDE_PRINCIPAL)
        .send(new GetSecretValueCommand({ SecretId: secretArn })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });
});
