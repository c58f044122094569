import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { SESClient, SendEmailCommand as SendEmailV1Command } from "@aws-sdk/client-ses";
import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import dynalite from "dynalite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDbService } from "../../infra/local/dynamodb.ts";
import { createEc2Api } from "../../infra/local/ec2/ec2-api.ts";
import { LocalEc2 } from "../../infra/local/ec2/local-ec2.ts";
import { type RunningEdge, startEdge } from "../../infra/local/edge/server.ts";
import { signedFetch, signedHeadersOf } from "../../infra/local/edge/signature.ts";
import { createEventBridgeApi } from "../../infra/local/eventbridge/api.ts";
import { type Mailbox, startMailbox } from "../../infra/local/mailbox.ts";
import { RecordingBus, TEST_REGION, TEST_SERVICES_PRINCIPAL } from "../support/local-events.ts";

const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

/** The status of a GET with this exact request target, which fetch would normalise. */
const statusOfRawRequest = (baseUrl: string, target: string, headers: Record<string, string> = {}) =>
  new Promise<number | undefined>((resolveStatus, reject) => {
    const { hostname, port } = new URL(baseUrl);
    const request = httpRequest({ host: hostname, port, path: target, headers }, (response) => {
      response.resume();
      resolveStatus(response.statusCode);
    });
    request.on("error", reject);
    request.end();
  });

/** dynalite and the mailbox, which local mode runs behind the edge as delegated services. */
const startDelegatedServers = async (dataDir: string) => {
  const dynamo: Server = dynalite({ createTableMs: 0 });
  dynamo.listen(0, "127.0.0.1");
  await once(dynamo, "listening");
  const mailbox = await startMailbox({ host: "127.0.0.1", port: 0, dataDir });
  return { dynamo, mailbox };
};

const stopDelegatedServers = async (dynamo: Server, mailbox: Mailbox) => {
  await new Promise((done) => dynamo.close(done));
  await mailbox.close();
};

/**
 * One edge in front of all four services, each reached by a real SDK client that knows only the edge's
 * URL: the edge must pick the service from the credential scope of the signature alone.
 */
describe("the edge routes each SDK client to its service", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "edge-routing-"));
  const bus = new RecordingBus();
  const ec2 = new LocalEc2({ dataDir, region: "us-east-1", onStateChange: () => {} });
  let dynamo: Server;
  let mailbox: Mailbox;
  let edge: RunningEdge;
  const clientConfig = () => ({
    endpoint: edge.url,
    region: TEST_REGION,
    credentials: TEST_SERVICES_PRINCIPAL,
    maxAttempts: 1,
  });

  beforeAll(async () => {
    ({ dynamo, mailbox } = await startDelegatedServers(dataDir));
    edge = await startEdge({
      port: 0,
      principals: [TEST_SERVICES_PRINCIPAL],
      services: {
        events: createEventBridgeApi({ bus }),
        ec2: createEc2Api(ec2),
        dynamodb: dynamoDbService(dynamo),
        ses: mailbox.sesApi,
      },
    });
  });

  afterAll(async () => {
    await edge.close();
    await ec2.close();
    await stopDelegatedServers(dynamo, mailbox);
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
    const store = (await (await fetch(`${urlOf(mailbox.server)}/store`)).json()) as {
      emails: { subject: string }[];
    };

    expect(output.MessageId).toEqual(expect.any(String));
    expect(store.emails.map((email) => email.subject)).toEqual(["Routed mail"]);
  });
});

/**
 * Requests no SDK would send, each of which once crashed, hung or confused a service behind the edge:
 * every one gets the answer AWS would give, and the edge keeps serving afterwards.
 */
describe("the edge answers hostile requests as AWS would and keeps serving", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "edge-hostile-"));
  let dynamo: Server;
  let mailbox: Mailbox;
  let edge: RunningEdge;
  /** For raw requests the edge refuses before it checks any signature. */
  const authorizationFor = (service: string) =>
    `AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`;
  /** Signed as an outside client, so each request reaches the service behind the edge. */
  const send = (
    service: string,
    method: string,
    path: string,
    body?: string,
    headers?: Record<string, string>,
  ) =>
    signedFetch(
      TEST_SERVICES_PRINCIPAL,
      new URL(path, edge.url),
      { method, headers, body },
      {
        region: TEST_REGION,
        service,
      },
    );
  const post = (service: string, path: string, body: string, headers: Record<string, string> = {}) =>
    send(service, "POST", path, body, headers);
  const dynamoClient = () =>
    new DynamoDBClient({
      endpoint: edge.url,
      region: TEST_REGION,
      credentials: TEST_SERVICES_PRINCIPAL,
      maxAttempts: 1,
    });
  const stillServes = async () => {
    const output = await dynamoClient().send(new ListTablesCommand({}));
    expect(output.TableNames).toEqual([]);
  };

  beforeAll(async () => {
    ({ dynamo, mailbox } = await startDelegatedServers(dataDir));
    edge = await startEdge({
      port: 0,
      principals: [TEST_SERVICES_PRINCIPAL],
      services: { dynamodb: dynamoDbService(dynamo), ses: mailbox.sesApi },
    });
  });

  afterAll(async () => {
    await edge.close();
    await stopDelegatedServers(dynamo, mailbox);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(["constructor", "toString", "__proto__", "hasOwnProperty"])(
    "refuses the scope service %s, a name every JavaScript object has, as unknown",
    async (service) => {
      const response = await post(service, "/", "{}");

      expect(response.status).toBe(400);
      expect(response.headers.get("x-amzn-errortype")).toBe("UnknownServiceException");
      await stillServes();
    },
  );

  it.each(["null", "[]", "42"])("answers a DynamoDB body of %s with SerializationException", async (body) => {
    const response = await post("dynamodb", "/", body, {
      "x-amz-target": "DynamoDB_20120810.GetItem",
      "content-type": "application/x-amz-json-1.0",
    });

    expect(response.status).toBe(400);
    expect(response.headers.get("x-amzn-errortype")).toBe("SerializationException");
    await stillServes();
  });

  it.each([40, 1_000])(
    "refuses an item whose attribute values nest %i levels, deeper than DynamoDB's 32, with ValidationException",
    async (levels) => {
      const value = `${'{"M":{"k":'.repeat(levels)}{"S":"x"}${"}}".repeat(levels)}`;

      const response = await post("dynamodb", "/", `{"TableName":"t","Item":{"a":${value}}}`, {
        "x-amz-target": "DynamoDB_20120810.PutItem",
        "content-type": "application/x-amz-json-1.0",
      });

      expect(response.status).toBe(400);
      expect(response.headers.get("x-amzn-errortype")).toBe("ValidationException");
      await stillServes();
    },
  );

  it("drops a DynamoDB request whose client goes away mid-body, and serves the next", async () => {
    const { port } = new URL(edge.url);
    const socket = connect(Number(port), "127.0.0.1");
    await once(socket, "connect");

    socket.write(
      [
        "POST / HTTP/1.1",
        "Host: 127.0.0.1",
        `Authorization: ${authorizationFor("dynamodb")}`,
        "X-Amz-Target: DynamoDB_20120810.ListTables",
        "Content-Length: 100",
        "",
        '{"Lim',
      ].join("\r\n"),
    );
    socket.destroy();
    await once(socket, "close");

    await stillServes();
  });

  it("answers a body over 16 MB with 413 before closing the connection", async () => {
    const response = await post("dynamodb", "/", "a".repeat(17 * 1024 * 1024));

    expect(response.status).toBe(413);
    expect(response.headers.get("connection")).toBe("close");
    await stillServes();
  });

  it.each(["//", "//:x", "//["])(
    "reads the request target %s as a path on the edge and the mailbox port, and keeps serving",
    async (target) => {
      const signed = await signedHeadersOf(
        TEST_SERVICES_PRINCIPAL,
        { method: "GET", url: new URL(`${edge.url}${target}`) },
        { region: TEST_REGION, service: "dynamodb" },
      );
      const onEdge = await statusOfRawRequest(edge.url, target, signed);
      const onMailbox = await statusOfRawRequest(urlOf(mailbox.server), target);

      expect(onEdge).toBeLessThan(500);
      expect(onMailbox).toBe(404);
      await stillServes();
      expect((await fetch(`${urlOf(mailbox.server)}/store`)).status).toBe(200);
    },
  );

  it("answers a request target no URL can be made of with 400 on the edge and the mailbox port", async () => {
    const target = "http://[";

    const onEdge = await statusOfRawRequest(edge.url, target, {
      authorization: authorizationFor("dynamodb"),
    });
    const onMailbox = await statusOfRawRequest(urlOf(mailbox.server), target);

    expect([onEdge, onMailbox]).toEqual([400, 400]);
    await stillServes();
  });

  it("refuses an SES v1 request that names its Action twice instead of never answering", async () => {
    const response = await post("ses", "/", "Action=SendEmail&Action=Nope", {
      "content-type": "application/x-www-form-urlencoded",
    });

    expect(response.status).toBe(400);
    expect(await response.text()).toContain("<Code>InvalidParameterValue</Code>");
  });

  it("serves only SES's API under the SES scope, not the mailbox viewer's routes", async () => {
    const download = await send("ses", "GET", "/get-emlContent?messageId=nope");
    const clear = await post("ses", "/clear-store", "");

    expect(download.status).toBe(404);
    expect(download.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
    expect(clear.status).toBe(404);
  });

  it("answers an SES v1 action the mailbox lacks with InvalidAction instead of never answering", async () => {
    const response = await post("ses", "/", "Action=DeleteIdentity&Identity=a%40example.com", {
      "content-type": "application/x-www-form-urlencoded",
    });

    expect(response.status).toBe(400);
    expect(await response.text()).toContain("<Code>InvalidAction</Code>");
  });

  it("answers a malformed SES v2 JSON body with BadRequestException, not an HTML stack trace", async () => {
    const response = await post("ses", "/v2/email/outbound-emails", "{not json", {
      "content-type": "application/json",
    });

    expect(response.status).toBe(400);
    expect(response.headers.get("x-amzn-errortype")).toBe("BadRequestException");
    expect(await response.text()).not.toContain("node_modules");
  });

  it("turns the mailbox's refusals into errors the SES clients name", async () => {
    const config = {
      endpoint: edge.url,
      region: TEST_REGION,
      credentials: TEST_SERVICES_PRINCIPAL,
      maxAttempts: 1,
    };

    const refusalOf = (sending: Promise<unknown>) =>
      sending.then(
        () => undefined,
        (error: unknown) => error,
      );
    const v2 = await refusalOf(new SESv2Client(config).send(new SendEmailCommand({ Content: {} })));
    const v1 = await refusalOf(
      new SESClient(config).send(
        new SendEmailV1Command({
          Source: "approvals@example.com",
          Destination: { ToAddresses: ["ana@example.com"] },
          Message: { Subject: { Data: "No body" }, Body: {} },
        }),
      ),
    );

    expect(v2).toMatchObject({
      name: "BadRequestException",
      $metadata: { httpStatusCode: 400 },
    });
    expect(v1).toMatchObject({
      name: "InvalidParameterValue",
      $metadata: { httpStatusCode: 400 },
    });
  });

  it("refuses an SES v1 request whose body is not a form, which the mailbox would read otherwise", async () => {
    const response = await post("ses", "/", '{"Action":"GetSendQuota","a":"&Action=SendEmail&b="}', {
      "content-type": "application/json",
    });

    expect(response.status).toBe(400);
    expect(await response.text()).toContain("<Code>MissingAction</Code>");
  });

  it("names an SES v2 path the mailbox does not serve as an unknown operation", async () => {
    const response = await send("ses", "GET", "/v2/email/outbound-emails");

    expect(response.status).toBe(404);
    expect(response.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
  });

  it.each(["99999999999999999999999", "007", "1.5"])(
    "refuses the viewer's since=%s, which the mailbox would answer twice",
    async (since) => {
      const response = await fetch(`${urlOf(mailbox.server)}/store?since=${since}`);

      expect(response.status).toBe(400);
    },
  );

  it("answers HEAD on the viewer's page and refuses a clear-store body that is not JSON, without a stack trace", async () => {
    const mailboxUrl = urlOf(mailbox.server);

    const head = await fetch(`${mailboxUrl}/`, { method: "HEAD" });
    const clear = await fetch(`${mailboxUrl}/clear-store`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });

    expect(head.status).toBe(200);
    expect(clear.status).toBe(400);
    expect(await clear.text()).not.toContain("node_modules");
  });

  it("keeps the mailbox port up when its viewer is asked for an email that does not exist", async () => {
    const mailboxUrl = urlOf(mailbox.server);

    const download = await fetch(`${mailboxUrl}/get-emlContent?messageId=nope`);
    const badSince = await fetch(`${mailboxUrl}/store?since=yesterday`);
    const unknownAction = await fetch(`${mailboxUrl}/`, {
      method: "POST",
      headers: {
        authorization: authorizationFor("ses"),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "Action=ListIdentities",
    });

    expect(download.status).toBe(404);
    expect(badSince.status).toBe(400);
    expect(unknownAction.status).toBe(400);
    expect((await fetch(`${mailboxUrl}/store`)).status).toBe(200);
  });
});
