import { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import type { EventContract } from "../../events/contract.ts";
import type { AcceptedRequest } from "../../events/request.ts";
import type { AskedApproval } from "./domain.ts";
import type { EventPublisher } from "./outcomes.ts";
import type { ApprovalStore } from "./store.ts";
import { createDecisionToken, type DecisionAction, hashToken } from "./token.ts";

/** Fakes and fixtures shared by the approval-mail and decision tests. */

export const TEST_KEY = Buffer.from("key-for-tests-only-0123456789abcdef", "utf8");

export const sampleRequest = (overrides: Partial<AcceptedRequest> = {}): AcceptedRequest => ({
  requestId: "req-1",
  requester: { email: "ana@example.com", name: "Ana" },
  resource: {
    type: "ec2",
    instanceType: "t3.micro",
    os: "amazon-linux-2023",
    name: "build-box",
    volume: { sizeGiB: 20, type: "gp3" },
  },
  justification: "Nightly builds",
  ...overrides,
});

export interface PublishedEvent {
  detailType: string;
  source: string;
  detail: Record<string, unknown>;
}

/** A publisher that checks each detail against its contract, as the real one does, and keeps it. */
export const recordingPublisher = () => {
  const published: PublishedEvent[] = [];
  const publisher: EventPublisher = {
    publish: async (contract: EventContract, details: unknown, options = {}) => {
      const list = Array.isArray(details) ? details : [details];
      for (const detail of list) {
        published.push({
          detailType: contract.detailType,
          source: options.source ?? contract.source,
          detail: contract.schema.parse(detail) as Record<string, unknown>,
        });
      }
      return list.map((_, index) => `event-${published.length + index}`);
    },
  };
  return {
    publisher,
    published,
    ofType: (detailType: string) => published.filter((e) => e.detailType === detailType),
  };
};

/** A clock the test moves by hand. */
export const manualClock = (start = new Date("2026-03-01T10:00:00.000Z")) => {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (seconds: number) => {
      current += seconds * 1000;
    },
  };
};

export const silentLogger = () => new Logger({ serviceName: "test", logLevel: "SILENT" });

export const lambdaContext = (functionName = "test-function"): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName,
  functionVersion: "$LATEST",
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
  memoryLimitInMB: "128",
  awsRequestId: "test-request",
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: "test",
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/** The envelope EventBridge delivers a detail in. */
export const busEnvelope = (contract: EventContract, detail: unknown, id = "event-1") => ({
  version: "0",
  id,
  "detail-type": contract.detailType,
  source: contract.source,
  account: "000000000000",
  time: "2026-03-01T10:00:00Z",
  region: "us-east-1",
  resources: [],
  detail,
});

export type IssuedLinks = Record<string, Record<DecisionAction, string>>;

/** Stores a pending approval as approval-mail would and returns each approver's tokens. */
export const seedPendingApproval = async (
  store: ApprovalStore,
  {
    request,
    approvers,
    expiresAt,
    createdAt,
  }: { request: AcceptedRequest; approvers: string[]; expiresAt: Date; createdAt: Date },
): Promise<IssuedLinks> => {
  let nonce = 0;
  const random = (size: number) => Buffer.alloc(size, ++nonce);
  const links: IssuedLinks = {};
  for (const approver of approvers) {
    const issue = (action: DecisionAction) =>
      createDecisionToken({ requestId: request.requestId, action, approver, expiresAt }, TEST_KEY, random);
    links[approver] = { approve: issue("approve"), reject: issue("reject") };
  }
  const record: AskedApproval = {
    requestId: request.requestId,
    request,
    requesterEmail: request.requester.email.toLowerCase(),
    createdAt: createdAt.toISOString(),
    status: "PENDING",
    approvers,
    grants: Object.fromEntries(
      Object.entries(links).map(([approver, tokens]) => [
        approver,
        {
          approve: [hashToken(tokens.approve)],
          reject: [hashToken(tokens.reject)],
          mailSentAt: createdAt.toISOString(),
        },
      ]),
    ),
    expiresAt: expiresAt.toISOString(),
    sweepTask: "EXPIRE",
    sweepAt: expiresAt.toISOString(),
  };
  await store.createIfAbsent(record);
  return links;
};
