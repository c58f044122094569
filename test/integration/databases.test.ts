import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProvisionedDatabase } from "../../events/launched-resource.ts";
import { existingServicesPrincipal, OUTSIDE_PRINCIPAL } from "../../infra/local/edge/principals.ts";
import { sampleDatabaseRequest } from "../support/fixtures.ts";
import { emailsTo, getRequest, localUsersEnv, waitForEmails, waitForStatus } from "../support/flow.ts";
import { deliverApprovalAgain, submitAndApprove, timesLogged } from "../support/launches.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

/** PGlite's first start in a fresh data directory takes tens of seconds on a slow machine. */
const POSTGRES_READY_MS = 120_000;

/** What the rds-launcher logs when a delivery of an approval asks RDS for the instance, or finds it asked. */
const CREATING = "DB instance being created";
const REDELIVERY_IGNORED = "Creation already announced; redelivery ignored";

const mysqlResource = (name: string) => ({
  type: "rds",
  engine: "mysql",
  instanceClass: "db.t4g.micro",
  allocatedStorageGiB: 20,
  name,
});

describe("a database request on the local stack", () => {
  let stack: StackUnderTest;
  /** RDS as the operator sees it, with the stack's own credentials. */
  let rds: RDSClient;
  /** The requester's way to the password: Secrets Manager with the README's outside credentials. */
  let secrets: SecretsManagerClient;
  beforeAll(async () => {
    stack = await startStack({
      // The launchers' INFO logs tell when a delivery of an approval has been handled.
      env: { RDS_CREATE_DELAY_MS: "50", POWERTOOLS_LOG_LEVEL: "INFO", ...localUsersEnv() },
    });
    const at = { endpoint: stack.edgeUrl, region: "us-east-1" };
    rds = new RDSClient({ ...at, credentials: await existingServicesPrincipal(stack.dataDir) });
    secrets = new SecretsManagerClient({ ...at, credentials: OUTSIDE_PRINCIPAL });
  });
  afterAll(async () => {
    for (const client of [rds, secrets]) client?.destroy();
    await stack?.destroy();
  });

  /** The DB instances RDS holds for a request, found by the tag the launcher puts on each. */
  const instancesOf = async (requestId: string) => {
    const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({}));
    return DBInstances.filter((instance) =>
      instance.TagList?.some((tag) => tag.Key === "RequestId" && tag.Value === requestId),
    );
  };

  it("creates a PostgreSQL the requester connects to with the password from Secrets Manager, which no event, email or view holds", {
    timeout: POSTGRES_READY_MS + 60_000,
  }, async () => {
    const requestId = await submitAndApprove(stack, sampleDatabaseRequest().resource);

    const provisioned = await waitForStatus(stack, requestId, "PROVISIONED", POSTGRES_READY_MS);

    const database = provisioned.database as ProvisionedDatabase;
    const [instance] = await instancesOf(requestId);
    expect(database).toEqual({
      identifier: instance?.DBInstanceIdentifier,
      host: instance?.Endpoint?.Address,
      port: instance?.Endpoint?.Port,
      masterUserSecretArn: instance?.MasterUserSecret?.SecretArn,
      databaseName: "orders",
    });
    const secret = await secrets.send(new GetSecretValueCommand({ SecretId: database.masterUserSecretArn }));
    const { username, password } = JSON.parse(secret.SecretString ?? "{}") as Record<string, string>;
    const client = new pg.Client({
      host: database.host,
      port: database.port,
      user: username,
      password,
      database: database.databaseName,
    });
    await client.connect();
    try {
      expect((await client.query("select 1 as one")).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }

    const [told] = await waitForEmails(
      stack,
      "ana@example.com",
      `database ${database.identifier} is available`,
    );
    expect(told?.body.text).toContain(database.masterUserSecretArn);
    // The view holds every event of the timeline as delivered.
    const everythingShown = JSON.stringify([
      await getRequest(stack, requestId),
      await emailsTo(stack, "ana@example.com", requestId),
      await emailsTo(stack, "approver@example.com", requestId),
    ]);
    expect(password?.length).toBeGreaterThanOrEqual(8);
    expect(everythingShown).not.toContain(password);
  });

  it("creates one DB instance however often the approval is delivered", async () => {
    const requestId = await submitAndApprove(stack, mysqlResource("billing"));

    await deliverApprovalAgain(stack, requestId, 2);

    await waitForStatus(stack, requestId, "PROVISIONED");
    await stack.eventually(
      async () => timesLogged(stack, "rds-launcher", REDELIVERY_IGNORED, requestId),
      (times) => times >= 2,
    );
    expect(await instancesOf(requestId)).toHaveLength(1);
    expect(timesLogged(stack, "rds-launcher", CREATING, requestId)).toBe(1);
  });

  it("records a MySQL instance's endpoint, with nothing listening there (local mode keeps its state only)", async () => {
    const requestId = await submitAndApprove(stack, mysqlResource("legacy"));

    const provisioned = await waitForStatus(stack, requestId, "PROVISIONED");

    const [instance] = await instancesOf(requestId);
    expect(instance).toMatchObject({ Engine: "mysql", DBInstanceStatus: "available" });
    expect(provisioned.database).toEqual({
      identifier: instance?.DBInstanceIdentifier,
      host: instance?.Endpoint?.Address,
      port: 3306,
      masterUserSecretArn: instance?.MasterUserSecret?.SecretArn,
    });
  });
});
