import { describe, expect, it } from "vitest";
import type { TimelineEntry } from "../../api/schemas.ts";
import {
  ApprovalPolicyApplied,
  ApprovalRequested,
  ApprovalStageCompleted,
  ApprovalStageStarted,
  ApprovalVoteRecorded,
  DetailValidationError,
  LeaseStarted,
  ProvisioningFailed,
  ProvisioningStarted,
  type RawEnvelope,
  RequestAccepted,
  RequestApproved,
  RequestCancelled,
  RequestExpired,
  RequesterNotified,
  RequestInvalid,
  RequestRejected,
  ResourceProvisioned,
  ResourceRequested,
} from "../../events/index.ts";
import { refusalIdOf } from "../../events/request-id.ts";
import { REQUEST_STATUSES, type RequestStatus } from "../../events/request-status.ts";
import {
  envelopeOf,
  sampleBucketRequest,
  sampleDatabaseEstimate,
  sampleDatabaseRequest,
  sampleRequest,
  sampleUnknownBucketEstimate,
} from "../../test/support/fixtures.ts";
import { decide, type IntakeRules } from "../intake/domain.ts";
import {
  auditRecordOf,
  EmptyTimelineError,
  mayRead,
  projectView,
  readAccessOf,
  statusOf,
  UnknownEventTypeError,
} from "./domain.ts";
import {
  APPROVER,
  expiredFlow,
  FINANCE,
  failedFlow,
  INSTANCE_ID,
  invalidFlow,
  PROVISIONED_DATABASE,
  permutations,
  provisionedFlow,
  rejectedFlow,
  reusedIdFlow,
  secondsAfter,
  TEAM_LEADS,
  twoStageFlow,
} from "./testing/flows.ts";

const START = "2025-03-01T09:00:00Z";

/** Intake's rules, for the ids it gives a request. */
const INTAKE_RULES: IntakeRules = {
  allowedRegions: ["us-east-1"],
  defaultRegion: "us-east-1",
  lease: { min: "PT1H", max: "P90D" },
};

const entriesOf = (envelopes: readonly RawEnvelope[]): TimelineEntry[] =>
  envelopes.map((envelope) => auditRecordOf(envelope).entry);

describe("statusOf", () => {
  const cases: [string, string[], RequestStatus][] = [
    ["nothing seen yet", [], "SUBMITTED"],
    ["only the request", [ResourceRequested.detailType], "SUBMITTED"],
    ["accepted", [ResourceRequested.detailType, RequestAccepted.detailType], "SUBMITTED"],
    ["approvers asked", [RequestAccepted.detailType, ApprovalRequested.detailType], "PENDING_APPROVAL"],
    ["approved", [ApprovalRequested.detailType, RequestApproved.detailType], "APPROVED"],
    ["rejected", [ApprovalRequested.detailType, RequestRejected.detailType], "REJECTED"],
    ["expired", [ApprovalRequested.detailType, RequestExpired.detailType], "EXPIRED"],
    ["refused by intake", [ResourceRequested.detailType, RequestInvalid.detailType], "INVALID"],
    [
      "accepted, and another submission reusing its id refused",
      [RequestInvalid.detailType, RequestAccepted.detailType],
      "SUBMITTED",
    ],
    [
      "asked for, and a reuse of its id refused",
      [ApprovalRequested.detailType, RequestInvalid.detailType],
      "PENDING_APPROVAL",
    ],
    ["launching", [RequestApproved.detailType, ProvisioningStarted.detailType], "PROVISIONING"],
    ["running", [ProvisioningStarted.detailType, ResourceProvisioned.detailType], "PROVISIONED"],
    ["failed launch", [ProvisioningStarted.detailType, ProvisioningFailed.detailType], "FAILED"],
    [
      "running before its launch was seen",
      [ResourceProvisioned.detailType, RequestAccepted.detailType],
      "PROVISIONED",
    ],
    ["an approval and a late expiry", [RequestExpired.detailType, RequestApproved.detailType], "APPROVED"],
    ["a rejection and a late expiry", [RequestExpired.detailType, RequestRejected.detailType], "REJECTED"],
    [
      "withdrawn by its requester",
      [ApprovalStageStarted.detailType, RequestCancelled.detailType],
      "CANCELLED",
    ],
    ["a withdrawal and a late expiry", [RequestExpired.detailType, RequestCancelled.detailType], "CANCELLED"],
    [
      "the requester told after a rejection",
      [RequestRejected.detailType, RequesterNotified.detailType],
      "REJECTED",
    ],
    ["only a notification", [RequesterNotified.detailType], "SUBMITTED"],
    ["repeats", [ApprovalRequested.detailType, ApprovalRequested.detailType], "PENDING_APPROVAL"],
    [
      "a policy's stages applied",
      [RequestAccepted.detailType, ApprovalPolicyApplied.detailType],
      "PENDING_APPROVAL",
    ],
    [
      "a stage started",
      [ApprovalPolicyApplied.detailType, ApprovalStageStarted.detailType],
      "PENDING_APPROVAL",
    ],
    [
      "a vote counted",
      [ApprovalStageStarted.detailType, ApprovalVoteRecorded.detailType],
      "PENDING_APPROVAL",
    ],
    [
      "a stage completed",
      [ApprovalVoteRecorded.detailType, ApprovalStageCompleted.detailType],
      "PENDING_APPROVAL",
    ],
    [
      "the last stage's approval",
      [ApprovalStageCompleted.detailType, RequestApproved.detailType],
      "APPROVED",
    ],
    ["a vote that rejects", [ApprovalVoteRecorded.detailType, RequestRejected.detailType], "REJECTED"],
    ["an expiry while a stage asks", [ApprovalStageStarted.detailType, RequestExpired.detailType], "EXPIRED"],
    [
      "a lease started before the resource's provisioning was seen",
      [RequestApproved.detailType, LeaseStarted.detailType],
      "PROVISIONED",
    ],
  ];

  it.each(cases)("%s", (_case, seen, expected) => {
    expect(statusOf(seen)).toBe(expected);
  });

  it("reaches every status but those of a release, which follow the latest release (lease.test.ts)", () => {
    const releaseStatuses: RequestStatus[] = ["RELEASING", "RELEASED", "RELEASE_FAILED"];
    expect(new Set(cases.map(([, , status]) => status))).toEqual(
      new Set(REQUEST_STATUSES.filter((status) => !releaseStatuses.includes(status))),
    );
  });
});

const flows: [string, RawEnvelope[], RequestStatus][] = [
  ["provisioned", provisionedFlow(sampleRequest({ requestId: "req-provisioned" }), START), "PROVISIONED"],
  ["rejected", rejectedFlow(sampleRequest({ requestId: "req-rejected" }), START), "REJECTED"],
  ["expired", expiredFlow(sampleRequest({ requestId: "req-expired" }), START), "EXPIRED"],
  ["failed", failedFlow(sampleRequest({ requestId: "req-failed" }), START), "FAILED"],
  ["invalid", invalidFlow("req-invalid", START), "INVALID"],
];

describe("projectView over every arrival order", () => {
  it.each(flows)(
    "the %s flow gives one view however its events arrive, and repeats change nothing",
    (_flow, envelopes, status) => {
      const entries = entriesOf(envelopes);
      const requestId = auditRecordOf(envelopes[0] as RawEnvelope).requestId;
      const inFlowOrder = projectView(requestId, entries);
      expect(inFlowOrder.status).toBe(status);

      for (const arrival of permutations(entries)) {
        expect(projectView(requestId, arrival)).toEqual(inFlowOrder);
        expect(projectView(requestId, [...arrival, arrival[0] as TimelineEntry])).toEqual(inFlowOrder);
      }
    },
  );

  it.each(flows)(
    "the %s flow's status never moves back while its events arrive in any order",
    (_flow, envelopes, status) => {
      const rank = (value: RequestStatus) =>
        [
          "SUBMITTED",
          "PENDING_APPROVAL",
          "APPROVED|REJECTED|EXPIRED|INVALID",
          "PROVISIONING",
          "PROVISIONED|FAILED",
          "RELEASING",
          "RELEASE_FAILED",
          "RELEASED",
        ].findIndex((stage) => stage.split("|").includes(value));
      const types = envelopes.map((envelope) => envelope["detail-type"]);
      for (const arrival of permutations(types)) {
        const seen = arrival.map((_type, count) => statusOf(arrival.slice(0, count + 1)));
        const ranks = seen.map(rank);
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
        expect(seen.at(-1)).toBe(status);
      }
    },
  );
});

describe("projectView fields", () => {
  it("shows a provisioned request with its decision, instance and approvers", () => {
    const request = sampleRequest({ requestId: "req-1" });
    const view = projectView("req-1", entriesOf(provisionedFlow(request, START)));
    expect(view).toEqual({
      requestId: "req-1",
      status: "PROVISIONED",
      requester: request.requester,
      resource: request.resource,
      justification: request.justification,
      submittedAt: "2025-03-01T09:00:00.000Z",
      updatedAt: "2025-03-01T09:00:06.000Z",
      decision: {
        outcome: "APPROVED",
        approver: APPROVER,
        reason: "Looks fine",
        decidedAt: secondsAfter(START, 3),
      },
      instanceId: INSTANCE_ID,
      privateIp: "10.0.1.25",
      provisionedAt: secondsAfter(START, 5),
      approvers: [APPROVER],
      expiresAt: secondsAfter(START, 3600),
    });
  });

  it("shows a rejection with its reason, and a failed launch with its cause", () => {
    const rejected = projectView(
      "req-r",
      entriesOf(rejectedFlow(sampleRequest({ requestId: "req-r" }), START)),
    );
    expect(rejected.decision).toEqual({
      outcome: "REJECTED",
      approver: APPROVER,
      reason: "Use the shared runner",
      decidedAt: secondsAfter(START, 3),
    });
    const failed = projectView("req-f", entriesOf(failedFlow(sampleRequest({ requestId: "req-f" }), START)));
    expect(failed).toMatchObject({
      status: "FAILED",
      instanceId: INSTANCE_ID,
      failureReason: "The instance terminated before it ran",
    });
  });

  it("shows an expired request with the expiry as its decision", () => {
    const view = projectView("req-e", entriesOf(expiredFlow(sampleRequest({ requestId: "req-e" }), START)));
    expect(view.decision).toEqual({ outcome: "EXPIRED", decidedAt: secondsAfter(START, 3601) });
  });

  it("shows an invalid request's field errors and the requester intake could name", () => {
    const refusalId = refusalIdOf("req-bad-0");
    const view = projectView(refusalId, entriesOf(invalidFlow("req-bad", START)));
    expect(view).toEqual({
      requestId: refusalId,
      status: "INVALID",
      requester: { email: "bob@example.com" },
      submittedAt: "2025-03-01T09:00:00.000Z",
      updatedAt: "2025-03-01T09:00:01.000Z",
      fieldErrors: [
        { field: "resource.instanceType", message: "must be one of t3.nano, ..." },
        { field: "justification", message: "must not be empty" },
      ],
    });
  });

  it("shows a refused reuse of an id as a request of its own: the submission, its requester and why", () => {
    const flow = reusedIdFlow(sampleRequest({ requestId: "req-taken" }), "reuse", START);
    const refusalId = refusalIdOf("reuse-0");
    const view = projectView(refusalId, entriesOf(flow));
    expect(view).toMatchObject({
      requestId: refusalId,
      status: "INVALID",
      requester: { email: "mallory@example.com", name: "Mallory" },
      justification: "Something else entirely",
      fieldErrors: [{ field: "requestId", message: "was already used for a request with different content" }],
    });
  });

  it("keeps the request intake accepted over a later copy of the id with other content", () => {
    const request = sampleRequest({ requestId: "req-2" });
    const flow = provisionedFlow(request, START).slice(0, 3);
    const impostor = envelopeOf(
      ResourceRequested,
      { ...request, justification: "Something else entirely" },
      { id: "late-copy", time: secondsAfter(START, 10) },
    );
    const view = projectView("req-2", entriesOf([impostor, ...flow]));
    expect(view.justification).toBe(request.justification);
    expect(view.updatedAt).toBe("2025-03-01T09:00:10.000Z");
  });

  it("keeps an accepted request's status beside the refusal of a reuse of its id, recorded there before refusals had ids of their own", () => {
    const request = sampleRequest({ requestId: "req-reused" });
    const refusal = envelopeOf(
      RequestInvalid,
      {
        requestId: "req-reused",
        requesterEmail: "mallory@example.com",
        errors: [{ field: "requestId", message: "was already used for a request with different content" }],
        sourceEventId: "other-submission",
        rejectedAt: secondsAfter(START, 7),
      },
      { id: "refusal", time: secondsAfter(START, 7) },
    );
    const withoutRefusal = projectView("req-reused", entriesOf(provisionedFlow(request, START)));

    const view = projectView("req-reused", entriesOf([...provisionedFlow(request, START), refusal]));

    expect(view).toEqual({ ...withoutRefusal, updatedAt: "2025-03-01T09:00:07.000Z" });
  });

  it("shows the request as submitted while only its ResourceRequested has arrived", () => {
    const request = sampleRequest({ requestId: "req-3" });
    const view = projectView("req-3", entriesOf(provisionedFlow(request, START).slice(0, 1)));
    expect(view).toMatchObject({
      status: "SUBMITTED",
      requester: request.requester,
      resource: request.resource,
    });
  });

  it("shows the approval, not the expiry that lost the race, as the decision", () => {
    const request = sampleRequest({ requestId: "req-4" });
    const approvedAndExpired = [
      ...provisionedFlow(request, START).slice(0, 4),
      ...expiredFlow(request, START)
        .slice(3)
        .map((envelope) => ({ ...envelope, id: "expiry" })),
    ];
    const view = projectView("req-4", entriesOf(approvedAndExpired));
    expect(view.status).toBe("APPROVED");
    expect(view.decision?.outcome).toBe("APPROVED");
  });

  it("shows a provisioned database with its region, estimated cost, DB instance and endpoint", () => {
    const request = sampleDatabaseRequest({
      requestId: "req-db",
      region: "eu-west-1",
      ...sampleDatabaseEstimate(),
    });
    const view = projectView("req-db", entriesOf(provisionedFlow(request, START)));
    expect(view).toMatchObject({
      status: "PROVISIONED",
      resource: request.resource,
      region: "eu-west-1",
      estimatedMonthlyCostUsd: 13.98,
      costEstimate: request.costEstimate,
      dbInstanceIdentifier: PROVISIONED_DATABASE.identifier,
      database: PROVISIONED_DATABASE,
    });
    expect(view.instanceId).toBeUndefined();
  });

  it("names the DB instance being created, and the one whose creation failed", () => {
    const request = sampleDatabaseRequest({ requestId: "req-db-failed" });
    const entries = entriesOf(failedFlow(request, START));
    expect(projectView("req-db-failed", entries.slice(0, -1))).toMatchObject({
      status: "PROVISIONING",
      dbInstanceIdentifier: PROVISIONED_DATABASE.identifier,
    });
    expect(projectView("req-db-failed", entries)).toMatchObject({
      status: "FAILED",
      dbInstanceIdentifier: PROVISIONED_DATABASE.identifier,
      failureReason: "The instance terminated before it ran",
    });
  });

  it("shows a configured bucket, and an estimate whose price is unknown as null, not 0", () => {
    const request = sampleBucketRequest({ requestId: "req-bucket", ...sampleUnknownBucketEstimate() });
    const view = projectView("req-bucket", entriesOf(provisionedFlow(request, START)));
    expect(view).toMatchObject({
      status: "PROVISIONED",
      region: "us-east-1",
      estimatedMonthlyCostUsd: null,
      bucket: {
        name: "approvals-team-logs",
        arn: "arn:aws:s3:::approvals-team-logs",
        region: "us-east-1",
      },
    });
  });

  it("shows the region a request asks for before intake accepts it, and no estimate until then", () => {
    const request = sampleDatabaseRequest({
      requestId: "req-db-asked",
      region: "eu-west-1",
      ...sampleDatabaseEstimate(),
    });
    const view = projectView("req-db-asked", entriesOf(provisionedFlow(request, START).slice(0, 1)));
    expect(view).toMatchObject({ status: "SUBMITTED", region: "eu-west-1" });
    expect(view.estimatedMonthlyCostUsd).toBeUndefined();
    expect(view.costEstimate).toBeUndefined();
  });

  it("refuses to project a view without any event", () => {
    expect(() => projectView("req-5", [])).toThrow(EmptyTimelineError);
  });
});

describe("projectView of a request under a two-stage policy", () => {
  const request = sampleRequest({ requestId: "req-two-stages" });
  const flow = twoStageFlow(request, START);
  const viewAfter = (...steps: RawEnvelope[][]) => projectView(request.requestId, entriesOf(steps.flat()));

  it("is pending approval from the policy's application, and explains what it waits for", () => {
    const applied = viewAfter(flow.opened.slice(0, 3));
    expect(applied.status).toBe("PENDING_APPROVAL");
    expect(applied.approval?.waitingFor).toBe("Waiting for team leads (stage 1 of 2) to be asked");

    const view = viewAfter(flow.opened, flow.firstVote);
    expect(view.status).toBe("PENDING_APPROVAL");
    expect(view.approval).toMatchObject({
      policy: { name: "large-instances" },
      waitingFor: "Waiting for 1 more approval from team leads (stage 1 of 2)",
    });
  });

  it("lets everyone asked in any stage read it", () => {
    const view = viewAfter(flow.opened, flow.firstVote, flow.firstStageDone);
    expect(view.approvers).toEqual([...TEAM_LEADS, FINANCE]);
  });

  it("is approved by the last stage's approver, with both stages done", () => {
    const view = viewAfter(flow.opened, flow.firstVote, flow.firstStageDone, flow.approved);
    expect(view.status).toBe("APPROVED");
    expect(view.decision).toMatchObject({ outcome: "APPROVED", approver: FINANCE });
    expect(view.approval?.stages.map(({ state }) => state)).toEqual(["approved", "approved"]);
  });

  it("is only submitted while a policy that approves by itself has not approved yet", () => {
    const [requested, accepted] = flow.opened;
    const autoApproval = envelopeOf(
      ApprovalPolicyApplied,
      {
        requestId: request.requestId,
        request,
        policy: { name: "small-dev-boxes", hash: "abcdef012345" },
        outcome: "autoApprove",
        why: ["small-dev-boxes: instanceType starts with t3."],
        appliedAt: secondsAfter(START, 2),
      },
      { time: secondsAfter(START, 2) },
    );
    const view = viewAfter([requested as RawEnvelope, accepted as RawEnvelope, autoApproval]);
    expect(view.status).toBe("SUBMITTED");
    expect(view.approval).toMatchObject({ outcome: "autoApprove", stages: [] });
  });
});

describe("auditRecordOf", () => {
  it("records an event under its requestId with its envelope's id, type, time and publisher (source and account)", () => {
    const [accepted] = provisionedFlow(sampleRequest({ requestId: "req-6" }), START).slice(1);
    expect(auditRecordOf(accepted as RawEnvelope)).toEqual({
      requestId: "req-6",
      entry: {
        eventId: "req-6-1",
        type: RequestAccepted.detailType,
        time: "2025-03-01T09:00:01.000Z",
        source: RequestAccepted.source,
        account: (accepted as RawEnvelope).account,
        detail: (accepted as RawEnvelope).detail,
      },
    });
  });

  it("keeps the account that published an outside ResourceRequested", () => {
    const requested = envelopeOf(ResourceRequested, sampleRequest(), {
      source: "acme.ci",
      account: "111122223333",
      time: START,
    });
    expect(auditRecordOf(requested).entry).toMatchObject({ source: "acme.ci", account: "111122223333" });
  });

  it("places a valid ResourceRequested under its id, naming the refusal it would go to if intake refused it", () => {
    const requested = envelopeOf(ResourceRequested, sampleRequest({ requestId: "req-named" }), {
      id: "event-valid",
      time: START,
    });
    expect(auditRecordOf(requested)).toMatchObject({
      requestId: "req-named",
      refusalId: refusalIdOf("event-valid"),
    });
  });

  it("places a RequestInvalid under the refusal's id, naming the submission to take off the id it named", () => {
    const [requested, refusal] = reusedIdFlow(sampleRequest({ requestId: "req-taken" }), "reuse", START) as [
      RawEnvelope,
      RawEnvelope,
    ];
    expect(auditRecordOf(refusal)).toMatchObject({
      requestId: refusalIdOf(requested.id),
      refusedSubmission: { requestId: "req-taken", eventId: requested.id },
    });
  });

  it("names no submission to move for a RequestInvalid whose detail named no usable id", () => {
    const refusal = envelopeOf(
      RequestInvalid,
      {
        requestId: refusalIdOf("event-garbage"),
        errors: [{ field: "", message: "must be a JSON object" }],
        sourceEventId: "event-garbage",
        rejectedAt: START,
      },
      { time: START },
    );
    expect(auditRecordOf(refusal)).not.toHaveProperty("refusedSubmission");
  });

  it("places a ResourceRequested without requestId under the id intake derives for it", () => {
    const { requestId: _given, ...content } = sampleRequest({ requestId: "unused" });
    const copies = ["event-a", "event-b"].map((id) =>
      envelopeOf(ResourceRequested, content, { id, time: START }),
    );
    const records = copies.map(auditRecordOf);
    expect(records.map((record) => record.requestId)).toEqual([
      decide(content, "event-a", INTAKE_RULES).requestId,
      decide(content, "event-a", INTAKE_RULES).requestId,
    ]);
  });

  it("records a ResourceRequested that fails the schema under its refusal's id, which intake's RequestInvalid will carry", () => {
    const garbage = envelopeOf(
      ResourceRequested,
      { requestId: "req-someone-elses", requester: 42 },
      { id: "event-junk", time: START },
    );
    const record = auditRecordOf(garbage);
    expect(record.requestId).toBe(refusalIdOf("event-junk"));
    expect(record.requestId).toBe(decide(garbage.detail, "event-junk", INTAKE_RULES).requestId);
    expect(record).not.toHaveProperty("refusalId");
    expect(record.entry.detail).toEqual({ requestId: "req-someone-elses", requester: 42 });
  });

  it("refuses any other event whose detail breaks its contract", () => {
    const broken = envelopeOf(RequestApproved, { requestId: "req-7" }, { id: "event-broken", time: START });
    expect(() => auditRecordOf(broken)).toThrow(DetailValidationError);
  });

  it("refuses an event that is not part of the flow", () => {
    const stray = {
      ...envelopeOf(RequestApproved, {}, { id: "event-x", time: START }),
      "detail-type": "Other",
    };
    expect(() => auditRecordOf(stray)).toThrow(UnknownEventTypeError);
  });
});

describe("who may read a request", () => {
  const view = {
    requestId: "r1",
    status: "PENDING_APPROVAL" as const,
    requester: { email: "Ana@Example.com" },
    approvers: ["Approver@Example.com"],
    submittedAt: "2025-01-01T00:00:00.000Z",
    updatedAt: "2025-01-01T00:00:00.000Z",
  };

  it("lets an operator read every request", () => {
    const access = readAccessOf({ email: "ops@example.com", groups: ["operators"] });
    expect(access).toEqual({ kind: "everything" });
    expect(mayRead(access, view)).toBe(true);
  });

  it("lets a requester read their own request whatever the case of the address, and nobody else's", () => {
    expect(mayRead(readAccessOf({ email: "ana@example.COM", groups: ["requesters"] }), view)).toBe(true);
    expect(mayRead(readAccessOf({ email: "bob@example.com", groups: ["requesters"] }), view)).toBe(false);
  });

  it("lets an approver read the requests they are asked to decide, but a requester only their own", () => {
    expect(mayRead(readAccessOf({ email: "approver@example.com", groups: ["approvers"] }), view)).toBe(true);
    expect(mayRead(readAccessOf({ email: "approver@example.com", groups: ["requesters"] }), view)).toBe(
      false,
    );
    expect(mayRead(readAccessOf({ email: "approver2@example.com", groups: ["approvers"] }), view)).toBe(
      false,
    );
  });

  it("lets nobody but an operator read a request without a known requester or approvers", () => {
    const { requester: _requester, approvers: _approvers, ...anonymous } = view;
    expect(mayRead(readAccessOf({ email: "ana@example.com", groups: ["approvers"] }), anonymous)).toBe(false);
    expect(mayRead(readAccessOf({ email: "ops@example.com", groups: ["operators"] }), anonymous)).toBe(true);
  });
});
