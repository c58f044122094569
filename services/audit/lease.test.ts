import { describe, expect, it } from "vitest";
import type { RequestView, TimelineEntry } from "../../api/schemas.ts";
import {
  LeaseStarted,
  type RawEnvelope,
  ReleaseFailed,
  ReleaseRequested,
  ResourceReleased,
} from "../../events/index.ts";
import {
  envelopeOf,
  sampleBucketRequest,
  sampleDatabaseEstimate,
  sampleDatabaseRequest,
  sampleRequest,
  sampleUnknownBucketEstimate,
} from "../../test/support/fixtures.ts";
import { auditRecordOf, costSoFarOf, projectView } from "./domain.ts";
import {
  APPROVER,
  FINAL_SNAPSHOT,
  LEASE_POLICY,
  leaseFlow,
  permutations,
  provisionedFlow,
  secondsAfter,
  TEAM_LEADS,
} from "./testing/flows.ts";

const START = "2026-12-07T10:00:00Z";
const [LEAD_A] = TEAM_LEADS;

const entriesOf = (envelopes: readonly RawEnvelope[]): TimelineEntry[] =>
  envelopes.map((envelope) => auditRecordOf(envelope).entry);

/** An EC2 request with its estimate: t3.micro at $0.0104 an hour and 20 GiB of gp3 at $0.08 a GiB-month. */
const ec2Request = sampleRequest({
  requestId: "req-leased",
  estimatedMonthlyCostUsd: 9.19,
  costEstimate: {
    region: "us-east-1",
    parts: [
      { item: "t3.micro (Linux)", quantity: 730, unit: "hours", unitPriceUsd: 0.0104, monthlyUsd: 7.59 },
      { item: "gp3 root volume", quantity: 20, unit: "GiB-months", unitPriceUsd: 0.08, monthlyUsd: 1.6 },
    ],
    pricesAsOf: "2026-12-07",
  },
});
const provisioned = provisionedFlow(ec2Request, START);
const lease = leaseFlow(ec2Request, START);
const viewOf = (...steps: RawEnvelope[][]) => projectView(ec2Request.requestId, entriesOf(steps.flat()));

describe("a request's status through its lease", () => {
  it("stays PROVISIONED while the lease starts, reminds, and an extension goes through its round, then is RELEASING, then RELEASED", () => {
    const steps = [...lease.started, ...lease.extensionAsked, ...lease.extensionApproved, ...lease.released];
    const statuses = steps.map((_step, count) => viewOf(provisioned, steps.slice(0, count + 1)).status);

    expect(statuses).toEqual([
      ...Array.from({ length: 11 }, () => "PROVISIONED"),
      "RELEASING",
      "RELEASING",
      "RELEASED",
    ]);
  });

  it("stays PROVISIONED when an extension is refused", () => {
    expect(viewOf(provisioned, lease.started, lease.extensionAsked, lease.extensionRefused).status).toBe(
      "PROVISIONED",
    );
  });

  it("is RELEASE_FAILED when the launcher keeps a bucket that holds objects", () => {
    const bucket = sampleBucketRequest({ requestId: "req-kept" });
    const { started, kept } = leaseFlow(bucket, START);
    const view = projectView(
      bucket.requestId,
      entriesOf([...provisionedFlow(bucket, START), ...started, ...kept]),
    );
    expect(view.status).toBe("RELEASE_FAILED");
  });

  it("is not made pending by an extension's round that arrives before the rest of the flow", () => {
    const accepted = provisioned.slice(0, 2);
    expect(viewOf(accepted, lease.extensionAsked).status).toBe("SUBMITTED");
  });

  it("gives one view however the lease's events arrive, and never moves the status back meanwhile", () => {
    const [requested, accepted, asked, approved, launching, ready] = provisioned;
    const settled = [requested, accepted, asked, approved, launching] as RawEnvelope[];
    const [started] = lease.started;
    const [extensionAsked, , roundStarted] = lease.extensionAsked;
    const extended = lease.extensionApproved.at(-1);
    const [releaseAsked, , released] = lease.released;
    const arriving = entriesOf([
      ready,
      started,
      extensionAsked,
      roundStarted,
      extended,
      releaseAsked,
      released,
    ] as RawEnvelope[]);
    const inFlowOrder = projectView(ec2Request.requestId, [...entriesOf(settled), ...arriving]);
    const rank = ["APPROVED", "PROVISIONING", "PROVISIONED", "RELEASING", "RELEASED"];

    for (const arrival of permutations(arriving.slice(0, 6))) {
      const inOrder = [...arrival, arriving[6] as TimelineEntry];
      expect(projectView(ec2Request.requestId, [...entriesOf(settled), ...inOrder])).toEqual(inFlowOrder);
      const ranks = inOrder.map((_entry, count) =>
        rank.indexOf(
          projectView(ec2Request.requestId, [...entriesOf(settled), ...inOrder.slice(0, count + 1)]).status,
        ),
      );
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    }
  });
});

describe("the lease on the request view", () => {
  it("shows the terms, its start and end, each extension with its round and outcome, and the release", () => {
    const view = viewOf(
      provisioned,
      lease.started,
      lease.extensionAsked,
      lease.extensionApproved,
      lease.released,
    );
    const decidedAt = secondsAfter(lease.endsAt, -2 * 86400 + 3600);

    expect(view.leaseEndsAt).toBe(lease.extendedUntil);
    expect(view.lease).toEqual({
      duration: "P7D",
      onEnd: "terminate",
      max: "P30D",
      startedAt: secondsAfter(START, 5),
      endsAt: lease.extendedUntil,
      extensions: [
        {
          ...lease.extension,
          askedBy: ec2Request.requester.email,
          askedAt: secondsAfter(lease.endsAt, -2 * 86400),
          status: "approved",
          decider: LEAD_A,
          decidedAt,
          expiresAt: lease.roundExpiresAt,
          approval: {
            policy: { name: LEASE_POLICY.name, hash: LEASE_POLICY.hash, why: ["dev: matches everything"] },
            outcome: "stages",
            stages: [
              expect.objectContaining({
                name: "team leads",
                state: "approved",
                asked: [{ email: LEAD_A, askedAt: secondsAfter(lease.endsAt, -2 * 86400) }],
                approvedBy: [{ email: LEAD_A, at: decidedAt }],
              }),
            ],
          },
        },
      ],
      release: {
        reason: "lease-ended",
        action: "terminate",
        requestedAt: lease.extendedUntil,
        outcome: "terminated",
        releasedAt: secondsAfter(lease.extendedUntil, 90),
      },
    });
  });

  it("shows the terms the policy settled once the request is approved, and its end once it starts", () => {
    const [requested, accepted, asked, approved] = provisioned as [
      RawEnvelope,
      RawEnvelope,
      RawEnvelope,
      RawEnvelope,
    ];
    const approvedWithTerms = { ...approved, detail: { ...(approved.detail as object), lease: lease.terms } };

    const settled = viewOf([requested, accepted, asked, approvedWithTerms]);
    expect(settled.lease).toEqual({ duration: "P7D", onEnd: "terminate", max: "P30D", extensions: [] });
    expect(settled.leaseEndsAt).toBeUndefined();

    const started = viewOf(provisioned, lease.started);
    expect(started.lease).toMatchObject({ startedAt: lease.startedAt, endsAt: lease.endsAt });
    expect(started.leaseEndsAt).toBe(lease.endsAt);
  });

  it("waits for the extension's approver while its round asks, and keeps the request's own approval and deadline apart", () => {
    const before = viewOf(provisioned, lease.started);
    const view = viewOf(provisioned, lease.started, lease.extensionAsked);

    expect(view.lease?.extensions).toEqual([
      expect.objectContaining({ n: 1, status: "requested", askedBy: ec2Request.requester.email }),
    ]);
    expect(view.lease?.extensions[0]?.approval?.waitingFor).toBe(
      "Waiting for 1 more approval from team leads",
    );
    expect(view.approvers).toEqual([APPROVER, LEAD_A]);
    expect(view.expiresAt).toBe(before.expiresAt);
    expect(view.approval).toEqual(before.approval);
    expect(view.decision).toEqual(before.decision);
    expect(view.leaseEndsAt).toBe(lease.endsAt);
  });

  it("shows a refused extension with who refused it and why, and the end it did not move", () => {
    const view = viewOf(provisioned, lease.started, lease.extensionAsked, lease.extensionRefused);

    expect(view.leaseEndsAt).toBe(lease.endsAt);
    expect(view.lease?.extensions).toEqual([
      expect.objectContaining({ n: 1, status: "refused", decider: LEAD_A, reason: "Run them in the day" }),
    ]);
    expect(view.lease?.extensions[0]?.approval?.stages[0]).toMatchObject({
      state: "rejected",
      rejectedBy: { email: LEAD_A, reason: "Run them in the day" },
    });
  });

  it("shows a lease without an end as null", () => {
    const [started] = lease.started;
    const forever = envelopeOf(
      LeaseStarted,
      {
        ...(started?.detail as object),
        terms: { duration: null, onEnd: "terminate", max: null },
        endsAt: null,
      },
      { id: "forever", time: secondsAfter(START, 10) },
    );
    const view = viewOf(provisioned, [forever]);

    expect(view.leaseEndsAt).toBeNull();
    expect(view.lease).toMatchObject({ duration: null, endsAt: null });
  });

  it("shows a database's final snapshot, and a kept bucket with why", () => {
    const database = sampleDatabaseRequest({ requestId: "req-db-leased" });
    const databaseLease = leaseFlow(database, START);
    const bucket = sampleBucketRequest({ requestId: "req-bucket-leased" });
    const bucketLease = leaseFlow(bucket, START);

    const deleted = projectView(
      database.requestId,
      entriesOf([...provisionedFlow(database, START), ...databaseLease.started, ...databaseLease.released]),
    );
    const kept = projectView(
      bucket.requestId,
      entriesOf([...provisionedFlow(bucket, START), ...bucketLease.started, ...bucketLease.kept]),
    );

    expect(deleted.lease?.release).toMatchObject({
      action: "snapshot-and-delete",
      outcome: "deleted",
      finalSnapshotIdentifier: FINAL_SNAPSHOT,
    });
    expect(kept.lease?.release).toEqual({
      reason: "lease-ended",
      action: "delete-if-empty",
      requestedAt: bucketLease.extendedUntil,
      problem: "The bucket holds 3 objects: empty it, then release it",
      kept: true,
      failedAt: secondsAfter(bucketLease.extendedUntil, 5),
    });
  });
});

describe("a lease's end once it is released", () => {
  const earlyAt = secondsAfter(lease.endsAt, -86400);
  const [endAsked] = lease.released as [RawEnvelope];
  const releasedEarly = envelopeOf(
    ReleaseRequested,
    {
      ...(endAsked.detail as object),
      reason: "released-by-requester",
      by: { email: ec2Request.requester.email },
      note: "Done with it",
      requestedAt: earlyAt,
    },
    { id: "released-early", time: earlyAt },
  );

  it("is when the release was asked for, while the lease keeps the end it was planned to have", () => {
    const view = viewOf(provisioned, lease.started, [releasedEarly]);

    expect(view.status).toBe("RELEASING");
    expect(view.leaseEndsAt).toBe(earlyAt);
    expect(view.lease?.endsAt).toBe(lease.endsAt);
  });

  it("is when the resource was found gone, for one ended outside this tool", () => {
    const endedAt = secondsAfter(lease.endsAt, -3600);
    const [, , released] = lease.released as [RawEnvelope, RawEnvelope, RawEnvelope];
    const { releaseRequestedAt: _none, ...detail } = released.detail as Record<string, unknown>;
    const endedOutside = envelopeOf(
      ResourceReleased,
      { ...detail, reason: "ended-outside", releasedAt: endedAt },
      { id: "ended-outside", time: endedAt },
    );
    const view = viewOf(provisioned, lease.started, [endedOutside]);

    expect(view.status).toBe("RELEASED");
    expect(view.leaseEndsAt).toBe(endedAt);
    expect(view.lease?.release).toEqual({
      reason: "ended-outside",
      action: "terminate",
      outcome: "terminated",
      releasedAt: endedAt,
    });
  });
});

describe("a resource released more than once", () => {
  const bucket = sampleBucketRequest({ requestId: "req-emptied" });
  const bucketLease = leaseFlow(bucket, START);
  const [firstAsked, firstKept] = bucketLease.kept as [RawEnvelope, RawEnvelope];
  const { request, resource } = firstAsked.detail as { request: unknown; resource: unknown };
  const by = { email: bucket.requester.email };
  const secondAt = secondsAfter(bucketLease.extendedUntil, 3600);
  const secondAsked = envelopeOf(
    ReleaseRequested,
    {
      requestId: bucket.requestId,
      request,
      resource,
      action: "delete-if-empty",
      reason: "released-by-requester",
      by,
      note: "Emptied it",
      requestedAt: secondAt,
    },
    { id: "second-asked", time: secondAt },
  );
  const secondReleased = envelopeOf(
    ResourceReleased,
    {
      requestId: bucket.requestId,
      request,
      resource,
      action: "delete-if-empty",
      outcome: "deleted",
      reason: "released-by-requester",
      by,
      releaseRequestedAt: secondAt,
      releasedAt: secondsAfter(secondAt, 30),
    },
    { id: "second-released", time: secondsAfter(secondAt, 30) },
  );
  const bucketView = (...steps: RawEnvelope[]) =>
    projectView(
      bucket.requestId,
      entriesOf([...provisionedFlow(bucket, START), ...bucketLease.started, ...steps]),
    );

  it("is RELEASING again when a bucket kept at the end is released again, then RELEASED", () => {
    expect(bucketView(firstAsked, firstKept).status).toBe("RELEASE_FAILED");
    expect(bucketView(firstAsked, firstKept, secondAsked).status).toBe("RELEASING");
    expect(bucketView(firstAsked, firstKept, secondAsked, secondReleased).status).toBe("RELEASED");
  });

  it("shows the latest release only, with its own reason, note and outcome, and ends the lease then", () => {
    const view = bucketView(firstAsked, firstKept, secondAsked, secondReleased);

    expect(view.lease?.release).toEqual({
      reason: "released-by-requester",
      action: "delete-if-empty",
      by: bucket.requester.email,
      note: "Emptied it",
      requestedAt: secondAt,
      outcome: "deleted",
      releasedAt: secondsAfter(secondAt, 30),
    });
    expect(view.leaseEndsAt).toBe(secondAt);
  });

  it("is not moved back by a late report of the earlier release, whenever it arrives", () => {
    const lateKept = envelopeOf(ReleaseFailed, firstKept.detail, {
      id: "late-kept",
      time: secondsAfter(secondAt, 60),
    });

    const running = bucketView(firstAsked, secondAsked, lateKept);
    expect(running.status).toBe("RELEASING");
    expect(running.lease?.release).toEqual({
      reason: "released-by-requester",
      action: "delete-if-empty",
      by: bucket.requester.email,
      note: "Emptied it",
      requestedAt: secondAt,
    });
    const done = bucketView(secondReleased, lateKept, firstAsked, secondAsked);
    expect(done.status).toBe("RELEASED");
    expect(done.lease?.release).toEqual({
      ...running.lease?.release,
      outcome: "deleted",
      releasedAt: secondsAfter(secondAt, 30),
    });
  });

  it("is RELEASED when the launcher confirms the release it had reported failed, and by a report seen before the ask", () => {
    const confirmedAfterAll = envelopeOf(
      ResourceReleased,
      {
        requestId: bucket.requestId,
        request,
        resource,
        action: "delete-if-empty",
        outcome: "deleted",
        reason: "lease-ended",
        releaseRequestedAt: bucketLease.extendedUntil,
        releasedAt: secondsAfter(bucketLease.extendedUntil, 600),
      },
      { id: "confirmed", time: secondsAfter(bucketLease.extendedUntil, 600) },
    );

    expect(bucketView(firstAsked, firstKept, confirmedAfterAll).status).toBe("RELEASED");
    expect(bucketView(confirmedAfterAll).lease?.release).toMatchObject({
      requestedAt: bucketLease.extendedUntil,
      outcome: "deleted",
    });
  });
});

describe("costSoFarOf", () => {
  const provisionedAt = "2026-12-07T10:00:00.000Z";
  const threeDaysOn = new Date("2026-12-10T11:00:00.000Z");
  const running = (request: Pick<RequestView, "costEstimate">): Parameters<typeof costSoFarOf>[0] => ({
    provisionedAt,
    ...request,
  });

  it("prices an instance's hours and its volume's share of a month, as of now while it runs", () => {
    // 73 hours: 73 x $0.0104 + 20 GiB x $0.08 x 73 / 730.
    expect(costSoFarOf(running(ec2Request), threeDaysOn)).toEqual({
      hours: 73,
      usd: 0.92,
      asOf: "2026-12-10T11:00:00.000Z",
    });
  });

  it("prices a database's hours and storage the same way", () => {
    // 73 x $0.016 + 20 GiB x $0.115 x 73 / 730.
    expect(costSoFarOf(running(sampleDatabaseEstimate()), threeDaysOn)?.usd).toBe(1.4);
  });

  it("stops counting at the release", () => {
    const { provisionedAt: releasedFrom, lease: released } = viewOf(
      provisioned,
      lease.started,
      lease.released,
    );
    const dayAfter = new Date(Date.parse(secondsAfter(lease.extendedUntil, 90)) + 86_400_000);

    // Ten days and 90 seconds from provisioning to the release.
    expect(
      costSoFarOf({ ...running(ec2Request), provisionedAt: releasedFrom, lease: released }, dayAfter),
    ).toMatchObject({
      hours: 240.03,
    });
  });

  it("counts a bucket's hours, but leaves its cost unknown: S3 bills by use, never 0", () => {
    const billedByUse = {
      ...sampleUnknownBucketEstimate().costEstimate,
      region: "us-east-1",
      pricesAsOf: "2026-12-07",
      parts: [
        {
          item: "S3 Standard storage",
          quantity: 0,
          unit: "GiB-months" as const,
          unitPriceUsd: 0.023,
          monthlyUsd: null,
          unknownBecause: "S3 bills by the GiB actually stored",
        },
      ],
    };
    expect(costSoFarOf(running({ costEstimate: billedByUse }), threeDaysOn)).toMatchObject({
      hours: 73,
      usd: null,
    });
    expect(costSoFarOf(running(sampleUnknownBucketEstimate()), threeDaysOn)?.usd).toBeNull();
  });

  it("is absent before the resource is provisioned, and for a request without an estimate", () => {
    expect(costSoFarOf({ costEstimate: ec2Request.costEstimate }, threeDaysOn)).toBeUndefined();
    expect(costSoFarOf({ provisionedAt }, threeDaysOn)).toBeUndefined();
  });
});
