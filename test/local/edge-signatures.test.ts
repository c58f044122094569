import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { EventBridgeClient, ListEventBusesCommand, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { SESClient, SendEmailCommand as SendEmailV1Command } from "@aws-sdk/client-ses";
import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { SignatureV4 } from "@smithy/signature-v4";
import dynalite from "dynalite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDbService } from "../../infra/local/dynamodb.ts";
import { createEc2Api } from "../../infra/local/ec2/ec2-api.ts";
import { LocalEc2 } from "../../infra/local/ec2/local-ec2.ts";
import { OUTSIDE_PRINCIPAL } from "../../infra/local/edge/principals.ts";
import { type RunningEdge, startEdge } from "../../infra/local/edge/server.ts";
import { createEventBridgeApi } from "../../infra/local/eventbridge/api.ts";
import { type Mailbox, startMailbox } from "../../infra/local/mailbox.ts";
import { RecordingBus, TEST_REGION, TEST_SERVICES_PRINCIPAL } from "../support/local-events.ts";

const MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret " +
  "Access Key and signing method. Consult the service documentation for details.";
const INVALID_TOKEN = "The security token included in the request is invalid.";
const UNSIGNED_HOST = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
const AMZ_DATE = String.raw`\d{8}T\d{6}Z`;

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const UNKNOWN_KEY: Credentials = { accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "whatever" };
const WRONG_SECRET: Credentials = {
  accessKeyId: OUTSIDE_PRINCIPAL.accessKeyId,
  secretAccessKey: "not-local",
};
const MINUTE = 60_000;

/**
 * The SDK's own signer, but leaving the `host` header out of what it signs, as a hand-made client may:
 * every other header is signed, so the signature itself is valid.
 */
class HostUnsignedSigner {
  private readonly signer: SignatureV4;
  constructor(options: ConstructorParameters<typeof SignatureV4>[0]) {
    this.signer = new SignatureV4(options);
  }
  sign(...[request, options]: Parameters<SignatureV4["sign"]>) {
    return this.signer.sign(request, { ...options, unsignableHeaders: new Set(["host"]) });
  }
}
type SignerConstructor = typeof HostUnsignedSigner;

/**
 * An edge in front of every service local mode runs, knowing the services' and the outside principal,
 * called by the real SDK clients: each refusal must be the one the SDK raises against AWS.
 */
describe("the edge checks every request's SigV4 signature as AWS does", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "edge-signatures-"));
  const bus = new RecordingBus();
  const ec2 = new LocalEc2({ dataDir, region: "us-east-1", onStateChange: () => {} });
  let dynamo: Server;
  let mailbox: Mailbox;
  let edge: RunningEdge;

  const config = (credentials: Credentials, clockOffsetMs = 0, signerConstructor?: SignerConstructor) => ({
    endpoint: edge.url,
    region: TEST_REGION,
    credentials,
    maxAttempts: 1,
    systemClockOffset: clockOffsetMs,
    signerConstructor,
  });

  /** One call per protocol the edge speaks, as each SDK client makes it. */
  const calls = {
    EventBridge: (credentials: Credentials, offset?: number, signer?: SignerConstructor) =>
      new EventBridgeClient(config(credentials, offset, signer)).send(new ListEventBusesCommand({})),
    DynamoDB: (credentials: Credentials, offset?: number, signer?: SignerConstructor) =>
      new DynamoDBClient(config(credentials, offset, signer)).send(new ListTablesCommand({})),
    EC2: (credentials: Credentials, offset?: number, signer?: SignerConstructor) =>
      new EC2Client(config(credentials, offset, signer)).send(new DescribeInstancesCommand({})),
    "SES v1": (credentials: Credentials, offset?: number, signer?: SignerConstructor) =>
      new SESClient(config(credentials, offset, signer)).send(
        new SendEmailV1Command({
          Source: "approvals@example.com",
          Destination: { ToAddresses: ["ana@example.com"] },
          Message: { Subject: { Data: "Signed" }, Body: { Text: { Data: "hello" } } },
        }),
      ),
    "SES v2": (credentials: Credentials, offset?: number, signer?: SignerConstructor) =>
      new SESv2Client(config(credentials, offset, signer)).send(
        new SendEmailCommand({
          FromEmailAddress: "approvals@example.com",
          Destination: { ToAddresses: ["ana@example.com"] },
          Content: { Simple: { Subject: { Data: "Signed" }, Body: { Text: { Data: "hello" } } } },
        }),
      ),
  };
  type Protocol = keyof typeof calls;

  const failureOf = (call: Promise<unknown>): Promise<unknown> =>
    call.then(
      () => {
        throw new Error("expected the call to be refused");
      },
      (error: unknown) => error,
    );

  beforeAll(async () => {
    dynamo = dynalite({ createTableMs: 0 });
    dynamo.listen(0, "127.0.0.1");
    await once(dynamo, "listening");
    mailbox = await startMailbox({ host: "127.0.0.1", port: 0, dataDir });
    edge = await startEdge({
      port: 0,
      principals: [TEST_SERVICES_PRINCIPAL, OUTSIDE_PRINCIPAL],
      services: {
        events: createEventBridgeApi({ bus }),
        ec2: createEc2Api(ec2),
        dynamodb: dynamoDbService(dynamo),
        ses: mailbox.sesApi,
        email: mailbox.sesApi,
      },
    });
  });

  afterAll(async () => {
    await edge.close();
    await ec2.close();
    await new Promise((done) => dynamo.close(done));
    await mailbox.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(Object.keys(calls) as Protocol[])(
    "serves %s to the services' own credentials",
    async (protocol) => {
      await expect(calls[protocol](TEST_SERVICES_PRINCIPAL)).resolves.toBeDefined();
    },
  );

  it("serves EventBridge to the outside credentials, to publish as another system", async () => {
    await expect(calls.EventBridge(OUTSIDE_PRINCIPAL)).resolves.toBeDefined();
  });

  it.each([
    ["DynamoDB", 400, "AccessDeniedException"],
    ["EC2", 403, "UnauthorizedOperation"],
    ["SES v1", 403, "AccessDenied"],
    ["SES v2", 403, "AccessDeniedException"],
  ] as const)(
    "refuses %s to the outside credentials, as IAM refuses what no policy allows: %i %s",
    async (protocol, status, name) => {
      const refusal = await calls[protocol](OUTSIDE_PRINCIPAL).catch((error: unknown) => error);
      expect(refusal).toMatchObject({ name, $metadata: { httpStatusCode: status } });
      expect((refusal as Error).message).toContain(OUTSIDE_PRINCIPAL.arn);
    },
  );

  it.each([
    ["EventBridge", 400, "UnrecognizedClientException", INVALID_TOKEN],
    ["DynamoDB", 400, "UnrecognizedClientException", INVALID_TOKEN],
    ["EC2", 401, "AuthFailure", "AWS was not able to validate the provided access credentials"],
    ["SES v1", 403, "InvalidClientTokenId", INVALID_TOKEN],
    ["SES v2", 403, "UnrecognizedClientException", INVALID_TOKEN],
  ] as const)("refuses %s an access key it does not know: %i %s", async (protocol, status, name, message) => {
    const refusal = await failureOf(calls[protocol](UNKNOWN_KEY));

    expect(refusal).toMatchObject({ name, message, $metadata: { httpStatusCode: status } });
  });

  it.each([
    ["EventBridge", 400, "InvalidSignatureException"],
    ["DynamoDB", 400, "InvalidSignatureException"],
    ["EC2", 403, "SignatureDoesNotMatch"],
    ["SES v1", 403, "SignatureDoesNotMatch"],
    ["SES v2", 403, "InvalidSignatureException"],
  ] as const)("refuses %s a signature made with the wrong secret: %i %s", async (protocol, status, name) => {
    const refusal = await failureOf(calls[protocol](WRONG_SECRET));

    expect(refusal).toMatchObject({ name, message: MISMATCH, $metadata: { httpStatusCode: status } });
  });

  it.each([
    ["EventBridge", 400, "InvalidSignatureException"],
    ["DynamoDB", 400, "InvalidSignatureException"],
    ["EC2", 403, "SignatureDoesNotMatch"],
    ["SES v1", 403, "SignatureDoesNotMatch"],
    ["SES v2", 403, "InvalidSignatureException"],
  ] as const)(
    "refuses %s a signature that does not cover the host header: %i %s",
    async (protocol, status, name) => {
      const refusal = await failureOf(calls[protocol](OUTSIDE_PRINCIPAL, 0, HostUnsignedSigner));

      expect(refusal).toMatchObject({ name, message: UNSIGNED_HOST, $metadata: { httpStatusCode: status } });
    },
  );

  it.each([
    ["EventBridge", 400, "InvalidSignatureException"],
    ["DynamoDB", 400, "InvalidSignatureException"],
    ["SES v1", 403, "SignatureDoesNotMatch"],
    ["SES v2", 403, "InvalidSignatureException"],
  ] as const)("refuses %s a signature older than 15 minutes: %i %s", async (protocol, status, name) => {
    const refusal = await failureOf(calls[protocol](OUTSIDE_PRINCIPAL, -16 * MINUTE));

    expect(refusal).toMatchObject({ name, $metadata: { httpStatusCode: status } });
    expect((refusal as Error).message).toMatch(
      new RegExp(
        `^Signature expired: ${AMZ_DATE} is now earlier than ${AMZ_DATE} \\(${AMZ_DATE} - 15 min\\.\\)$`,
      ),
    );
  });

  it("refuses EC2 a signature older than 15 minutes as EC2 does, RequestExpired", async () => {
    const refusal = await failureOf(calls.EC2(OUTSIDE_PRINCIPAL, -16 * MINUTE));

    expect(refusal).toMatchObject({
      name: "RequestExpired",
      message: "Request has expired.",
      $metadata: { httpStatusCode: 400 },
    });
  });

  it("refuses a signature dated more than 15 minutes ahead, and accepts one within the skew", async () => {
    const ahead = await failureOf(calls.EventBridge(OUTSIDE_PRINCIPAL, 16 * MINUTE));

    expect(ahead).toMatchObject({ name: "InvalidSignatureException" });
    expect((ahead as Error).message).toMatch(
      new RegExp(
        `^Signature not yet current: ${AMZ_DATE} is still later than ${AMZ_DATE} \\(${AMZ_DATE} \\+ 15 min\\.\\)$`,
      ),
    );
    await expect(calls.EventBridge(OUTSIDE_PRINCIPAL, -14 * MINUTE)).resolves.toBeDefined();
    await expect(calls.EventBridge(OUTSIDE_PRINCIPAL, 14 * MINUTE)).resolves.toBeDefined();
  });

  it("refuses a body changed after it was signed, and puts nothing on the bus", async () => {
    const client = new EventBridgeClient(config(OUTSIDE_PRINCIPAL));
    // After signing, as a proxy on the way would: same length, so only the signature can tell.
    type Signed = { request: { body: string } };
    const tamper = (next: (args: Signed) => Promise<unknown>) => async (args: Signed) => {
      args.request.body = args.request.body.replace("ci.pipeline", "ci.pipe-out");
      return next(args);
    };
    client.middlewareStack.addRelativeTo(tamper as never, {
      relation: "after",
      toMiddleware: "httpSigningMiddleware",
      name: "tamperWithTheBody",
    });
    const accepted = bus.acceptedEvents.length;

    const refusal = await failureOf(
      client.send(
        new PutEventsCommand({ Entries: [{ Source: "ci.pipeline", DetailType: "Tampered", Detail: "{}" }] }),
      ),
    );

    expect(refusal).toMatchObject({ name: "InvalidSignatureException", message: MISMATCH });
    expect(bus.acceptedEvents).toHaveLength(accepted);
  });

  it("names the missing parts of an incomplete Authorization header", async () => {
    const response = await fetch(edge.url, {
      method: "POST",
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=local/20260101/${TEST_REGION}/events/aws4_request, SignedHeaders=host`,
        "x-amz-date": "20260101T000000Z",
        "x-amz-target": "AWSEvents.ListEventBuses",
        "content-type": "application/x-amz-json-1.1",
      },
      body: "{}",
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: "IncompleteSignatureException",
      message: "Authorization header requires 'Signature' parameter.",
    });
  });

  it("refuses a presigned (query string) request, which no client of ours makes, saying so", async () => {
    const query = new URLSearchParams({
      "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
      "X-Amz-Credential": `local/20260101/${TEST_REGION}/events/aws4_request`,
      "X-Amz-Date": "20260101T000000Z",
      "X-Amz-SignedHeaders": "host",
      "X-Amz-Signature": "0".repeat(64),
    });

    const response = await fetch(`${edge.url}/?${query}`, {
      method: "POST",
      headers: { "x-amz-target": "AWSEvents.ListEventBuses", "content-type": "application/x-amz-json-1.1" },
      body: "{}",
    });

    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      __type: "MissingAuthenticationTokenException",
      message: expect.stringContaining("presigned"),
    });
  });
});
