import { ApprovalPolicyApplied } from "../../../events/approval-policy-applied.ts";
import { ApprovalStageCompleted } from "../../../events/approval-stage-completed.ts";
import { ApprovalStageStarted } from "../../../events/approval-stage-started.ts";
import { ApprovalVoteRecorded } from "../../../events/approval-vote-recorded.ts";
import {
  type AcceptedRequest,
  ApprovalRequested,
  DEFAULT_END_ACTIONS,
  type DetailInputOf,
  type EventContract,
  ExtensionDecided,
  ExtensionRequested,
  type LeasedResource,
  LeaseExpiring,
  LeaseExtended,
  LeaseStarted,
  type LeaseTerms,
  LeaseTimerDue,
  ProvisioningFailed,
  ProvisioningStarted,
  type RawEnvelope,
  ReleaseCheckDue,
  ReleaseFailed,
  ReleaseRequested,
  RequestAccepted,
  RequestApproved,
  RequestCancelled,
  RequestExpired,
  RequesterNotified,
  RequestInvalid,
  RequestRejected,
  ResourceProvisioned,
  ResourceReleased,
  ResourceRequested,
  refusalIdOf,
} from "../../../events/index.ts";
import { envelopeOf } from "../../../test/support/fixtures.ts";
import { hashToken } from "../../shared/decision-token.ts";

/** Envelope times have whole seconds, as EventBridge writes them. */
export const secondsAfter = (start: string, seconds: number): string =>
  new Date(Date.parse(start) + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Builds a request's events one second apart, with ids `<requestId>-<n>`. */
const flowOf = (requestId: string, start: string) => {
  let step = 0;
  return <C extends EventContract>(contract: C, detail: DetailInputOf<C>): RawEnvelope => {
    const envelope = envelopeOf(contract, detail, {
      id: `${requestId}-${step}`,
      time: secondsAfter(start, step),
    });
    step++;
    return envelope;
  };
};

/** The request as its requester sent it: intake adds the cost estimate when it accepts it. */
const submissionOf = ({
  estimatedMonthlyCostUsd: _total,
  costEstimate: _estimate,
  ...submitted
}: AcceptedRequest): DetailInputOf<typeof ResourceRequested> => submitted;

export const APPROVER = "approver@example.com";
export const INSTANCE_ID = "i-0123456789abcdef0";

export const PROVISIONED_DATABASE = {
  identifier: "orders-1a2b3c4d",
  host: "orders-1a2b3c4d.abcdefghij.us-east-1.rds.amazonaws.com",
  port: 5432,
  masterUserSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0a1b2c3d-AbCdEf",
  databaseName: "orders",
} as const;

/**
 * What the launcher of the request's type names its launch by, and what it reports once the resource
 * is ready: an instance, a database or a bucket.
 */
const launchOf = (request: AcceptedRequest) => {
  const { resource } = request;
  switch (resource.type) {
    case "ec2":
      return {
        named: { instanceId: INSTANCE_ID },
        ready: { instanceId: INSTANCE_ID, privateIp: "10.0.1.25" },
      };
    case "rds":
      return {
        named: { dbInstanceIdentifier: PROVISIONED_DATABASE.identifier },
        ready: { database: PROVISIONED_DATABASE },
      };
    case "s3":
      return {
        named: { bucketName: resource.bucketName },
        ready: {
          bucket: {
            name: resource.bucketName,
            arn: `arn:aws:s3:::${resource.bucketName}`,
            region: request.region ?? "us-east-1",
          },
        },
      };
  }
};

const requestedAndAskedFor = (request: AcceptedRequest, start: string) => {
  const event = flowOf(request.requestId, start);
  const { requestId } = request;
  const opening = [
    event(ResourceRequested, submissionOf(request)),
    event(RequestAccepted, { requestId, request, acceptedAt: secondsAfter(start, 1) }),
    event(ApprovalRequested, {
      requestId,
      request,
      approvers: [APPROVER],
      linkHashes: {
        [APPROVER]: { approve: [hashToken("approve-link")], reject: [hashToken("reject-link")] },
      },
      expiresAt: secondsAfter(start, 3600),
      requestedAt: secondsAfter(start, 2),
    }),
  ];
  return { event, opening };
};

const notified = (request: AcceptedRequest, about: RawEnvelope, at: string) => ({
  requestId: request.requestId,
  requesterEmail: request.requester.email,
  about: about["detail-type"],
  aboutEventId: about.id,
  messageId: `message-${about.id}`,
  notifiedAt: at,
});

/** Submitted, approved and launched: the events before the resource is ready or fails. */
const launched = (request: AcceptedRequest, start: string) => {
  const { event, opening } = requestedAndAskedFor(request, start);
  const { requestId } = request;
  const events = [
    ...opening,
    event(RequestApproved, {
      requestId,
      request,
      approver: APPROVER,
      reason: "Looks fine",
      decidedAt: secondsAfter(start, 3),
    }),
    event(ProvisioningStarted, {
      requestId,
      request,
      approver: APPROVER,
      ...launchOf(request).named,
      startedAt: secondsAfter(start, 4),
    }),
  ];
  return { event, events };
};

/** Every event of the happy path, in flow order, ending with the requester told. */
export const provisionedFlow = (request: AcceptedRequest, start: string): RawEnvelope[] => {
  const { event, events } = launched(request, start);
  const provisioned = event(ResourceProvisioned, {
    requestId: request.requestId,
    request,
    ...launchOf(request).ready,
    provisionedAt: secondsAfter(start, 5),
  });
  return [
    ...events,
    provisioned,
    event(RequesterNotified, notified(request, provisioned, secondsAfter(start, 6))),
  ];
};

export const rejectedFlow = (request: AcceptedRequest, start: string): RawEnvelope[] => {
  const { event, opening } = requestedAndAskedFor(request, start);
  const rejected = event(RequestRejected, {
    requestId: request.requestId,
    request,
    approver: APPROVER,
    reason: "Use the shared runner",
    decidedAt: secondsAfter(start, 3),
  });
  return [
    ...opening,
    rejected,
    event(RequesterNotified, notified(request, rejected, secondsAfter(start, 4))),
  ];
};

export const expiredFlow = (request: AcceptedRequest, start: string): RawEnvelope[] => {
  const { event, opening } = requestedAndAskedFor(request, start);
  return [
    ...opening,
    event(RequestExpired, {
      requestId: request.requestId,
      request,
      expiresAt: secondsAfter(start, 3600),
      expiredAt: secondsAfter(start, 3601),
    }),
  ];
};

export const failedFlow = (request: AcceptedRequest, start: string): RawEnvelope[] => {
  const { event, events } = launched(request, start);
  return [
    ...events,
    event(ProvisioningFailed, {
      requestId: request.requestId,
      request,
      ...launchOf(request).named,
      errorCode: "InsufficientInstanceCapacity",
      reason: "The instance terminated before it ran",
      failedAt: secondsAfter(start, 5),
    }),
  ];
};

/**
 * A ResourceRequested that fails the schema, naming `givenRequestId`, and intake's answer to it, under
 * the refusal's own id (`refusalIdOf` the first event's id). Event ids are `<label>-<n>`.
 */
export const invalidFlow = (givenRequestId: string, start: string, label = givenRequestId): RawEnvelope[] => {
  const event = flowOf(label, start);
  const requested = event(ResourceRequested, {
    requestId: givenRequestId,
    requester: { email: "bob@example.com" },
    resource: { type: "ec2", instanceType: "t3.huge", os: "amazon-linux-2023" },
    justification: "",
  } as unknown as DetailInputOf<typeof ResourceRequested>);
  return [
    requested,
    event(RequestInvalid, {
      requestId: refusalIdOf(requested.id),
      givenRequestId,
      requesterEmail: "bob@example.com",
      errors: [
        { field: "resource.instanceType", message: "must be one of t3.nano, ..." },
        { field: "justification", message: "must not be empty" },
      ],
      sourceEventId: requested.id,
      rejectedAt: secondsAfter(start, 1),
    }),
  ];
};

export const MALLORY = "mallory@example.com";

/**
 * A valid ResourceRequested from someone else that reuses an accepted request's id with other
 * content, and intake's refusal of it under the refusal's own id. Event ids are `<label>-<n>`.
 */
export const reusedIdFlow = (request: AcceptedRequest, label: string, start: string): RawEnvelope[] => {
  const event = flowOf(label, start);
  const requested = event(ResourceRequested, {
    ...request,
    requester: { email: MALLORY, name: "Mallory" },
    justification: "Something else entirely",
  });
  return [
    requested,
    event(RequestInvalid, {
      requestId: refusalIdOf(requested.id),
      givenRequestId: request.requestId,
      requesterEmail: MALLORY,
      errors: [{ field: "requestId", message: "was already used for a request with different content" }],
      sourceEventId: requested.id,
      rejectedAt: secondsAfter(start, 1),
    }),
  ];
};

/** Every order of the items, for checking that arrival order does not matter. */
export function* permutations<T>(items: readonly T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (const [index, item] of items.entries()) {
    const rest = [...items.slice(0, index), ...items.slice(index + 1)];
    for (const tail of permutations(rest)) yield [item, ...tail];
  }
}

export const TEAM_LEADS = ["lead-a@example.com", "lead-b@example.com", "lead-c@example.com"] as const;
export const FINANCE = "finance@example.com";
export const TWO_STAGE_POLICY = { name: "large-instances", hash: "0123456789ab" } as const;

/**
 * A request under a two-stage policy (team leads, 2 of 3; then finance, 1 of 1), approved by lead-a
 * and lead-b, then finance: each step's events, in flow order, so tests take the flow up to a step.
 */
export const twoStageFlow = (request: AcceptedRequest, start: string) => {
  const event = flowOf(request.requestId, start);
  const { requestId } = request;
  const policy = TWO_STAGE_POLICY;
  const expiresAt = secondsAfter(start, 3 * 86400);
  const stage = (index: number) => ({ index, name: ["team leads", "finance"][index] ?? "", count: 2 });
  const asked = (index: number, approvers: readonly string[], at: number) => [
    event(ApprovalStageStarted, {
      requestId,
      request,
      policy,
      stage: stage(index),
      approvers: approvers.map((email) => ({ email })),
      quorum: index === 0 ? 2 : 1,
      expiresAt,
      startedAt: secondsAfter(start, at),
    }),
    event(ApprovalRequested, {
      requestId,
      request,
      stage: stage(index),
      approvers: [...approvers],
      linkHashes: Object.fromEntries(
        approvers.map((email) => [
          email,
          { approve: [hashToken(`approve-${email}`)], reject: [hashToken(`reject-${email}`)] },
        ]),
      ),
      expiresAt,
      requestedAt: secondsAfter(start, at + 1),
    }),
  ];
  const vote = (index: number, approver: string, approvals: number, at: number) =>
    event(ApprovalVoteRecorded, {
      requestId,
      stage: stage(index),
      approver,
      action: "approve",
      approvals,
      quorum: index === 0 ? 2 : 1,
      votedAt: secondsAfter(start, at),
    });
  const [leadA, leadB, leadC] = TEAM_LEADS;
  const opened = [
    event(ResourceRequested, submissionOf(request)),
    event(RequestAccepted, { requestId, request, acceptedAt: secondsAfter(start, 1) }),
    event(ApprovalPolicyApplied, {
      requestId,
      request,
      policy,
      outcome: "stages",
      stages: [
        { name: "team leads", approvers: { groups: ["team-leads"], emails: [] }, quorum: 2 },
        { name: "finance", approvers: { groups: [], emails: [FINANCE] }, quorum: "all" },
      ],
      expiresAt,
      why: ["small-dev-boxes: instanceType is not t3.*", "large-instances: matches everything else"],
      appliedAt: secondsAfter(start, 2),
    }),
    ...asked(0, [leadA, leadB, leadC], 3),
  ];
  const firstVote = [vote(0, leadA, 1, 5)];
  const firstStageDone = [
    vote(0, leadB, 2, 6),
    event(ApprovalStageCompleted, {
      requestId,
      stage: stage(0),
      approvedBy: [{ email: leadA }, { email: leadB }],
      completedAt: secondsAfter(start, 6),
    }),
    ...asked(1, [FINANCE], 7),
  ];
  const approved = [
    vote(1, FINANCE, 1, 9),
    event(ApprovalStageCompleted, {
      requestId,
      stage: stage(1),
      approvedBy: [{ email: FINANCE }],
      completedAt: secondsAfter(start, 9),
    }),
    event(RequestApproved, {
      requestId,
      request,
      approver: FINANCE,
      policy,
      approvals: [
        { stage: 0, approver: leadA, decidedAt: secondsAfter(start, 5) },
        { stage: 0, approver: leadB, decidedAt: secondsAfter(start, 6) },
        { stage: 1, approver: FINANCE, decidedAt: secondsAfter(start, 9) },
      ],
      decidedAt: secondsAfter(start, 9),
    }),
  ];
  const rejectedByLeadC = [
    event(ApprovalVoteRecorded, {
      requestId,
      stage: stage(0),
      approver: leadC,
      action: "reject",
      reason: "Too big for a test",
      approvals: 1,
      quorum: 2,
      votedAt: secondsAfter(start, 6),
    }),
    event(RequestRejected, {
      requestId,
      request,
      approver: leadC,
      reason: "Too big for a test",
      policy,
      approvals: [{ stage: 0, approver: leadA, decidedAt: secondsAfter(start, 5) }],
      decidedAt: secondsAfter(start, 6),
    }),
  ];
  const expired = [
    event(RequestExpired, {
      requestId,
      request,
      policy,
      expiresAt,
      expiredAt: secondsAfter(start, 3 * 86400 + 1),
    }),
  ];
  /** The requester withdraws it after lead A's approval. */
  const withdrawn = [
    event(RequestCancelled, {
      requestId,
      request,
      cancelledBy: request.requester.email,
      reason: "Found a spare box",
      policy,
      approvals: [{ stage: 0, approver: leadA, decidedAt: secondsAfter(start, 5) }],
      cancelledAt: secondsAfter(start, 7),
    }),
  ];
  return { opened, firstVote, firstStageDone, approved, rejectedByLeadC, expired, withdrawn };
};

/** The resource a provisioned flow's lease holds: what `launchOf` named. */
const leasedResourceOf = (request: AcceptedRequest): LeasedResource => {
  const region = request.region ?? "us-east-1";
  switch (request.resource.type) {
    case "ec2":
      return { type: "ec2", instanceId: INSTANCE_ID, region };
    case "rds":
      return { type: "rds", dbInstanceIdentifier: PROVISIONED_DATABASE.identifier, region };
    case "s3":
      return { type: "s3", bucketName: request.resource.bucketName, region };
  }
};

const RELEASE_OUTCOMES = { ec2: "terminated", rds: "deleted", s3: "deleted" } as const;

export const LEASE_POLICY = { name: "dev", hash: "abcdef012345" } as const;
export const FINAL_SNAPSHOT = "orders-1a2b3c4d-final";
const DAY = 86_400;

/**
 * The lease of a request of `provisionedFlow` (provisioned 5 seconds after `start`): 7 days, then its
 * type's default end, at most 30 days. Each step's events, in flow order, with ids `<requestId>-lease-<n>`
 * and envelope times a second apart from 10 seconds after `start`; the times inside are the lease's own.
 * Its one extension asks 3 days more, and its round asks lead-a, who approves it or refuses it.
 */
export const leaseFlow = (request: AcceptedRequest, start: string) => {
  const event = flowOf(`${request.requestId}-lease`, secondsAfter(start, 10));
  const { requestId } = request;
  const resource = leasedResourceOf(request);
  const terms: LeaseTerms = {
    duration: "P7D",
    onEnd: DEFAULT_END_ACTIONS[request.resource.type],
    max: "P30D",
  };
  const startedAt = secondsAfter(start, 5);
  const endsAt = secondsAfter(startedAt, 7 * DAY);
  const extendedUntil = secondsAfter(endsAt, 3 * DAY);
  const askedAt = secondsAfter(endsAt, -2 * DAY);
  const extension = { n: 1, from: endsAt, until: extendedUntil, justification: "The load tests run late" };
  const [leadA = ""] = TEAM_LEADS;
  const stage = { index: 0, name: "team leads", count: 1 };
  const roundExpiresAt = secondsAfter(askedAt, DAY);
  const decidedAt = secondsAfter(askedAt, 3600);

  const started = [
    event(LeaseStarted, { requestId, request, resource, terms, startedAt, endsAt }),
    event(LeaseTimerDue, {
      requestId,
      kind: "reminder",
      endsAt,
      n: 1,
      dueAt: secondsAfter(endsAt, -3 * DAY),
    }),
    event(LeaseExpiring, {
      requestId,
      request,
      resource,
      endsAt,
      onEnd: terms.onEnd,
      n: 1,
      remindedAt: secondsAfter(endsAt, -3 * DAY),
    }),
  ];
  const extensionAsked = [
    event(ExtensionRequested, {
      requestId,
      request,
      resource,
      terms,
      extension: { ...extension, askedBy: { email: request.requester.email }, askedAt },
      startedAt,
    }),
    event(ApprovalPolicyApplied, {
      requestId,
      extension,
      request,
      lease: terms,
      policy: LEASE_POLICY,
      outcome: "stages",
      stages: [{ name: "team leads", approvers: { groups: ["team-leads"], emails: [] }, quorum: 1 }],
      expiresAt: roundExpiresAt,
      why: ["dev: matches everything"],
      appliedAt: askedAt,
    }),
    event(ApprovalStageStarted, {
      requestId,
      extension,
      request,
      lease: terms,
      policy: LEASE_POLICY,
      stage,
      approvers: [{ email: leadA }],
      quorum: 1,
      expiresAt: roundExpiresAt,
      startedAt: askedAt,
    }),
    event(ApprovalRequested, {
      requestId,
      extension,
      request,
      stage,
      approvers: [leadA],
      linkHashes: { [leadA]: { approve: [hashToken("approve-ext-1")], reject: [hashToken("reject-ext-1")] } },
      expiresAt: roundExpiresAt,
      requestedAt: askedAt,
    }),
  ];
  const extensionApproved = [
    event(ApprovalVoteRecorded, {
      requestId,
      extension,
      stage,
      approver: leadA,
      action: "approve",
      approvals: 1,
      quorum: 1,
      votedAt: decidedAt,
    }),
    event(ApprovalStageCompleted, {
      requestId,
      extension,
      stage,
      approvedBy: [{ email: leadA }],
      completedAt: decidedAt,
    }),
    event(ExtensionDecided, {
      requestId,
      request,
      extension,
      approved: true,
      decider: leadA,
      policy: LEASE_POLICY,
      approvals: [{ stage: 0, approver: leadA, decidedAt }],
      decidedAt,
    }),
    event(LeaseExtended, {
      requestId,
      request,
      resource,
      extension,
      previousEndsAt: endsAt,
      endsAt: extendedUntil,
      decider: leadA,
      extendedAt: decidedAt,
    }),
  ];
  const extensionRefused = [
    event(ApprovalVoteRecorded, {
      requestId,
      extension,
      stage,
      approver: leadA,
      action: "reject",
      reason: "Run them in the day",
      approvals: 0,
      quorum: 1,
      votedAt: decidedAt,
    }),
    event(ExtensionDecided, {
      requestId,
      request,
      extension,
      approved: false,
      decider: leadA,
      reason: "Run them in the day",
      policy: LEASE_POLICY,
      decidedAt,
    }),
  ];
  /** At the end of the extended lease: the launcher's first check finds it gone. */
  const releaseAsked = event(ReleaseRequested, {
    requestId,
    request,
    resource,
    action: terms.onEnd,
    reason: "lease-ended",
    requestedAt: extendedUntil,
  });
  const checked = event(ReleaseCheckDue, {
    requestId,
    resourceType: resource.type,
    attempt: 1,
    dueAt: secondsAfter(extendedUntil, 60),
  });
  const released = [
    releaseAsked,
    checked,
    event(ResourceReleased, {
      requestId,
      request,
      resource,
      action: terms.onEnd,
      outcome: RELEASE_OUTCOMES[resource.type],
      reason: "lease-ended",
      ...(resource.type === "rds" && { finalSnapshotIdentifier: FINAL_SNAPSHOT }),
      releaseRequestedAt: extendedUntil,
      releasedAt: secondsAfter(extendedUntil, 90),
    }),
  ];
  /** At the end of the extended lease, a bucket that still holds objects is kept. */
  const kept = [
    releaseAsked,
    event(ReleaseFailed, {
      requestId,
      request,
      resource,
      action: terms.onEnd,
      reason: "lease-ended",
      problem: "The bucket holds 3 objects: empty it, then release it",
      kept: true,
      attempts: 1,
      releaseRequestedAt: extendedUntil,
      failedAt: secondsAfter(extendedUntil, 5),
    }),
  ];
  return {
    terms,
    startedAt,
    endsAt,
    extendedUntil,
    extension,
    roundExpiresAt,
    started,
    extensionAsked,
    extensionApproved,
    extensionRefused,
    released,
    kept,
  };
};
