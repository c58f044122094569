import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import dynalite from "dynalite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEc2Api } from "../../infra/local/ec2/ec2-api.ts";
import { LocalEc2 } from "../../infra/local/ec2/local-ec2.ts";
import { type RunningEdge, startEdge } from "../../infra/local/edge/server.ts";
import { createEventBridgeApi } from "../../infra/local/eventbridge/api.ts";
import { RecordingBus, TEST_REGION } from "../support/local-events.ts";

// aws-ses-v2-local is CommonJS exporting `default`: an ESM default import yields the module object under
// Node but the function under vitest, so it is required, which is the same everywhere.
const { default: startMailbox } = createRequire(import.meta.url)(
  "aws-ses-v2-local",
) as typeof import("aws-ses-v2-local");

const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

/**
 * One edge in front of all four services, each reached by a real SDK client that knows only the edge's
 * URL: the edge must pick the service from the credential scope of the signature alone.
 */
describe("the edge routes each SDK client to its service", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "edge-routing-"));
  const bus = new RecordingBus();
  const ec2 = new LocalEc2({ dataDir, onStateChange: () => {} });
  let dynamo: Server;
  let mailbox: Server;
  let edge: RunningEdge;
  const clientConfig = () => ({
    endpoint: edge.url,
    region: TEST_REGION,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });

  beforeAll(async () => {
    dynamo = dynalite({ createTableMs: 0 });
    dynamo.listen(0, "127.0.0.1");
    await once(dynamo, "listening");
    mailbox = await startMailbox({ host: "127.0.0.1", port: 0 });
    edge = await startEdge({
      port: 0,
      services: {
        events: createEventBridgeApi({ bus }),
        ec2: createEc2Api(ec2),
        dynamodb: { dispatchTo: dynamo },
        ses: { dispatchTo: mailbox },
      },
    });
  });

  afterAll(async () => {
    await edge.close();
    await ec2.close();
    await new Promise((done) => dynamo.close(done));
    await new Promise((done) => mailbox.close(done));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("EventBridge", async () => {
    const client = new EventBridgeClient(clientConfig());

    const output = await client.send(
      new PutEventsCommand({ Entries: [{ Source: "test", DetailType: "Routed", Detail: "{}" }] }),
    );

    expect(output.FailedEntryCount).toBe(0);
    expect(bus.acceptedEvents.map(({ event }) => event["detail-type"])).toEqual(["Routed"]);
  });

  it("EC2", async () => {
    const client = new EC2Client(clientConfig());

    const output = await client.send(new DescribeInstancesCommand({}));

    expect(output.Reservations).toEqual([]);
  });

  it("DynamoDB", async () => {
    const client = new DynamoDBClient(clientConfig());

    await client.send(
      new CreateTableCommand({
        TableName: "routed",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    const output = await client.send(new ListTablesCommand({}));

    expect(output.TableNames).toEqual(["routed"]);
  });

  it("SES", async () => {
    const client = new SESv2Client(clientConfig());

    const output = await client.send(
      new SendEmailCommand({
        FromEmailAddress: "approvals@example.com",
        Destination: { ToAddresses: ["ana@example.com"] },
        Content: { Simple: { Subject: { Data: "Routed mail" }, Body: { Text: { Data: "hello" } } } },
      }),
    );
    const store = (await (await fetch(`${urlOf(mailbox)}/store`)).json()) as {
      emails: { subject: string }[];
    };

    expect(output.MessageId).toEqual(expect.any(String));
    expect(store.emails.map((email) => email.subject)).toEqual(["Routed mail"]);
  });
});
