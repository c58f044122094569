import { describe, expect, it } from "vitest";
import type { DetailOf } from "../../events/contract.ts";
import type { ExtensionDecided } from "../../events/lease-events.ts";
import { sampleBucketRequest, sampleDatabaseRequest, sampleRequest } from "../../test/support/fixtures.ts";
import {
  extensionDecidedTransition,
  extensionTransition,
  joinTransition,
  type LeaseRecord,
  LeaseRefusedError,
  leasedResourceOf,
  releaseNowTransition,
  releaseOutcomeTransition,
  roleOf,
  staleTimerRepair,
  type TimerDue,
  termsOf,
  timersOf,
  timerTransition,
  whyTimerIgnored,
} from "./domain.ts";
import { applied } from "./store.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** LEASE_REMINDERS' default, P3D,P1D,PT2H, longest first. */
const REMINDERS = [3 * DAY, DAY, 2 * HOUR];
const PROVISIONED_AT = "2026-12-07T12:00:00.000Z";
const NOW = new Date(PROVISIONED_AT);
const LIMITS = { default: "P7D", max: "P90D" };
const TERMS = { duration: "P7D", onEnd: "terminate" as const, max: "P30D" };

const request = sampleRequest({ requestId: "req-1", requester: { email: "Ana@Example.com", name: "Ana" } });
const resource = { type: "ec2" as const, instanceId: "i-0123456789abcdef0", region: "us-east-1" };
const ANA = { email: "ana@example.com", subject: "sub-ana", groups: ["requesters"] };
const OPERATOR = { email: "ops@example.com", subject: "sub-ops", groups: ["operators"] };

const fresh = (): LeaseRecord => ({ requestId: "req-1", version: 0 });

const approvedHalf = { request, terms: TERMS };
const provisionedHalf = { request, resource, provisionedAt: PROVISIONED_AT };

/** A lease the way the store holds it after `halves` joined it in that order. */
const joined = (...halves: Parameters<typeof joinTransition>[1][]): LeaseRecord =>
  halves.reduce<LeaseRecord>((record, half) => {
    const transition = joinTransition(record, half, REMINDERS, NOW);
    return transition ? applied(record, transition, NOW) : record;
  }, fresh());

const running = () => joined(approvedHalf, provisionedHalf);

const detailTypesOf = (record: LeaseRecord) =>
  Object.values(record.outbox ?? {}).map((entry) =>
    "detailType" in entry
      ? entry.detailType
      : "schedule" in entry
        ? `schedule ${entry.schedule.name}`
        : "cancel",
  );

const refusalOf = (act: () => unknown) => {
  try {
    act();
  } catch (error) {
    if (error instanceof LeaseRefusedError) return { field: error.field, message: error.message };
    throw error;
  }
  return undefined;
};

describe("a lease's terms", () => {
  it("are the policy's, as RequestApproved carries them", () => {
    expect(termsOf(TERMS, request, LIMITS)).toEqual(TERMS);
  });

  it("are the deployment's on an approval from before leases: LEASE_DEFAULT, the type's default end, LEASE_MAX", () => {
    expect(termsOf(undefined, request, LIMITS)).toEqual({ duration: "P7D", onEnd: "terminate", max: "P90D" });
    expect(termsOf(undefined, sampleDatabaseRequest(), LIMITS).onEnd).toBe("snapshot-and-delete");
    expect(termsOf(undefined, sampleBucketRequest(), LIMITS).onEnd).toBe("delete-if-empty");
  });
});

describe("a leased resource", () => {
  it("is what the launcher provisioned, in the request's region or else the stack's", () => {
    expect(
      leasedResourceOf(
        { requestId: "req-1", request, instanceId: resource.instanceId, provisionedAt: PROVISIONED_AT },
        "eu-west-1",
      ),
    ).toEqual({ ...resource, region: "eu-west-1" });
    const database = sampleDatabaseRequest({ region: "eu-central-1" });
    expect(
      leasedResourceOf(
        {
          requestId: database.requestId,
          request: database,
          database: {
            identifier: "orders-db",
            host: "db.local",
            port: 5432,
            masterUserSecretArn: "arn:secret",
          },
          provisionedAt: PROVISIONED_AT,
        },
        "us-east-1",
      ),
    ).toEqual({ type: "rds", dbInstanceIdentifier: "orders-db", region: "eu-central-1" });
    const bucket = sampleBucketRequest({ region: undefined });
    expect(
      leasedResourceOf(
        {
          requestId: bucket.requestId,
          request: bucket,
          bucket: {
            name: "approvals-team-logs",
            arn: "arn:aws:s3:::approvals-team-logs",
            region: "ap-south-1",
          },
          provisionedAt: PROVISIONED_AT,
        },
        "us-east-1",
      ),
    ).toEqual({ type: "s3", bucketName: "approvals-team-logs", region: "ap-south-1" });
  });
});

describe("a lease's timers", () => {
  const ENDS_AT = "2026-12-14T12:00:00.000Z";

  it("are each reminder still ahead, numbered in LEASE_REMINDERS' order, and the end", () => {
    const timers = timersOf("req-1", ENDS_AT, REMINDERS, NOW).map(({ schedule }) => schedule);

    expect(timers.map(({ name, at }) => [name, at])).toEqual([
      ["req-1.lease-reminder-1", "2026-12-11T12:00:00.000Z"],
      ["req-1.lease-reminder-2", "2026-12-13T12:00:00.000Z"],
      ["req-1.lease-reminder-3", "2026-12-14T10:00:00.000Z"],
      ["req-1.lease-end", ENDS_AT],
    ]);
    expect(timers[1]?.detail).toEqual({
      requestId: "req-1",
      kind: "reminder",
      n: 2,
      endsAt: ENDS_AT,
      dueAt: "2026-12-13T12:00:00.000Z",
    });
    expect(timers[3]?.detail).toEqual({ requestId: "req-1", kind: "end", endsAt: ENDS_AT, dueAt: ENDS_AT });
  });

  it("leave out reminders whose moment has passed, and are none for a lease with no end", () => {
    const shortEnd = "2026-12-08T12:00:00.000Z";

    expect(timersOf("req-1", shortEnd, REMINDERS, NOW).map(({ schedule }) => schedule.name)).toEqual([
      "req-1.lease-reminder-3",
      "req-1.lease-end",
    ]);
    expect(timersOf("req-1", null, REMINDERS, NOW)).toEqual([]);
  });
});

describe("a lease's start", () => {
  it("waits for both the approval and the provisioning, in either order, and counts from the provisioning", () => {
    for (const order of [
      [approvedHalf, provisionedHalf],
      [provisionedHalf, approvedHalf],
    ]) {
      const [first, second] = order as [typeof approvedHalf, typeof provisionedHalf];
      const half = joined(first);
      expect(half.status).toBeUndefined();
      expect(detailTypesOf(half)).toEqual([]);

      const lease = joined(first, second);
      expect(lease).toMatchObject({
        status: "ACTIVE",
        startedAt: PROVISIONED_AT,
        endsAt: "2026-12-14T12:00:00.000Z",
        terms: TERMS,
        resource,
      });
      expect(detailTypesOf(lease)).toEqual([
        "LeaseStarted",
        "schedule req-1.lease-reminder-1",
        "schedule req-1.lease-reminder-2",
        "schedule req-1.lease-reminder-3",
        "schedule req-1.lease-end",
      ]);
    }
  });

  it("happens once: the same half again changes nothing", () => {
    const lease = running();

    expect(joinTransition(lease, provisionedHalf, REMINDERS, NOW)).toBeUndefined();
    expect(joinTransition(lease, approvedHalf, REMINDERS, NOW)).toBeUndefined();
  });

  it("has no end, and no timers, when its terms say none", () => {
    const lease = joined({ request, terms: { ...TERMS, duration: null, max: null } }, provisionedHalf);

    expect(lease.endsAt).toBeNull();
    expect(detailTypesOf(lease)).toEqual(["LeaseStarted"]);
  });
});

describe("a due timer", () => {
  const ENDS_AT = "2026-12-14T12:00:00.000Z";
  const reminder = (n: number, endsAt = ENDS_AT): TimerDue => ({
    requestId: "req-1",
    kind: "reminder",
    n,
    endsAt,
    dueAt: endsAt,
  });
  const end: TimerDue = { requestId: "req-1", kind: "end", endsAt: ENDS_AT, dueAt: ENDS_AT };

  it("reminds the requester once, with the resource, the end and what will happen then", () => {
    const lease = running();
    const reminded = applied(lease, timerTransition(lease, reminder(2), NOW), NOW);

    expect(Object.values(reminded.outbox ?? {}).at(-1)).toEqual({
      detailType: "LeaseExpiring",
      detail: {
        requestId: "req-1",
        request,
        resource,
        endsAt: ENDS_AT,
        onEnd: "terminate",
        n: 2,
        remindedAt: NOW.toISOString(),
      },
    });
    expect(whyTimerIgnored(reminded, reminder(2))).toBe("the reminder was sent already");
    expect(whyTimerIgnored(reminded, reminder(3))).toBeUndefined();
  });

  it("ends the lease: RELEASING, and the release the terms say, for the lease having ended", () => {
    const lease = running();
    const ended = applied(lease, timerTransition(lease, end, NOW), NOW);

    expect(ended.status).toBe("RELEASING");
    expect(Object.values(ended.outbox ?? {}).at(-1)).toEqual({
      detailType: "ReleaseRequested",
      detail: {
        requestId: "req-1",
        request,
        resource,
        action: "terminate",
        reason: "lease-ended",
        requestedAt: NOW.toISOString(),
      },
    });
    expect(whyTimerIgnored(ended, end)).toBe("the lease is RELEASING");
  });

  it("does nothing for a lease not running, or whose end moved since it was set", () => {
    expect(whyTimerIgnored(undefined, end)).toBe("the lease is not running");
    expect(whyTimerIgnored(joined(approvedHalf), end)).toBe("the lease is not running");
    expect(whyTimerIgnored(running(), reminder(1, "2026-12-10T12:00:00.000Z"))).toBe(
      `the lease's end moved to ${ENDS_AT}`,
    );
  });

  it("of an end the running lease moved past is owed again for the end as it is, should a stale make have set it back", () => {
    const OLD_END = "2026-12-10T12:00:00.000Z";
    const stale: TimerDue = { requestId: "req-1", kind: "end", endsAt: OLD_END, dueAt: OLD_END };
    const lease = running();

    expect(staleTimerRepair(lease, stale, REMINDERS, NOW)).toEqual({
      set: {},
      owed: [
        {
          schedule: {
            name: "req-1.lease-end",
            at: ENDS_AT,
            detail: { requestId: "req-1", kind: "end", endsAt: ENDS_AT, dueAt: ENDS_AT },
          },
        },
      ],
    });
    expect(staleTimerRepair(lease, reminder(2, OLD_END), REMINDERS, NOW)?.owed).toEqual([
      expect.objectContaining({ schedule: expect.objectContaining({ name: "req-1.lease-reminder-2" }) }),
    ]);
  });

  it("of the end as it is, of a reminder sent already, or of a lease no longer running, repairs nothing", () => {
    const OLD_END = "2026-12-10T12:00:00.000Z";
    const lease = running();
    const reminded = applied(lease, timerTransition(lease, reminder(2), NOW), NOW);
    const ended = applied(lease, timerTransition(lease, end, NOW), NOW);

    expect(staleTimerRepair(lease, end, REMINDERS, NOW)).toBeUndefined();
    expect(staleTimerRepair(reminded, reminder(2, OLD_END), REMINDERS, NOW)).toBeUndefined();
    expect(
      staleTimerRepair(ended, { ...end, endsAt: OLD_END, dueAt: OLD_END }, REMINDERS, NOW),
    ).toBeUndefined();
  });
});

describe("who may extend or release a lease", () => {
  it("is its requester, by subject when the request names one, else by address whatever its case", () => {
    expect(roleOf(request, ANA)).toBe("requester");
    const withSubject = sampleRequest({ requester: { email: "ana@example.com", subject: "sub-ana-2" } });
    expect(roleOf(withSubject, ANA)).toBeUndefined();
    expect(roleOf(withSubject, { ...ANA, subject: "sub-ana-2" })).toBe("requester");
  });

  it("is any operator, and nobody else", () => {
    expect(roleOf(request, OPERATOR)).toBe("operator");
    expect(
      roleOf(request, { email: "bob@example.com", subject: "sub-bob", groups: ["requesters", "approvers"] }),
    ).toBeUndefined();
  });
});

describe("an extension asked for", () => {
  const ask = (record: LeaseRecord, byMs = 3 * DAY, max = "P90D") =>
    extensionTransition(record, {
      byMs,
      justification: "Release week",
      caller: ANA,
      min: "PT1H",
      max,
      now: NOW,
    });

  it("waits for its decision, numbered from 1, from the current end", () => {
    const lease = running();
    const asked = ask(lease);

    expect(asked.extension).toEqual({
      n: 1,
      from: "2026-12-14T12:00:00.000Z",
      until: "2026-12-17T12:00:00.000Z",
      justification: "Release week",
      askedBy: { email: ANA.email, subject: ANA.subject },
      askedAt: NOW.toISOString(),
    });
    expect(asked.owed).toEqual([
      {
        detailType: "ExtensionRequested",
        detail: {
          requestId: "req-1",
          request,
          resource,
          terms: TERMS,
          extension: asked.extension,
          startedAt: PROVISIONED_AT,
        },
      },
    ]);
    expect(refusalOf(() => ask(applied(lease, asked, NOW)))).toEqual({
      field: undefined,
      message: expect.stringContaining("has an extension to 2026-12-17T12:00:00.000Z waiting"),
    });
  });

  it("is refused, naming by, when the whole lease would run longer than LEASE_MAX", () => {
    expect(refusalOf(() => ask(running(), 3 * DAY, "P9D"))).toEqual({
      field: "by",
      message: expect.stringContaining("longer than the P9D (LEASE_MAX) any lease may run"),
    });
    expect(refusalOf(() => ask(running(), 3 * DAY, "P10D"))).toBeUndefined();
  });

  it("is refused, naming by, when it ends past any date there is, before a date is made of it", () => {
    for (const byMs of [99_999_999 * DAY, 1e20 * HOUR, Number.POSITIVE_INFINITY]) {
      expect(refusalOf(() => ask(running(), byMs))).toEqual({
        field: "by",
        message: expect.stringContaining("longer than the P90D (LEASE_MAX)"),
      });
    }
  });

  it("is refused, naming by, when it adds less than LEASE_MIN", () => {
    expect(refusalOf(() => ask(running(), 0.5))).toEqual({
      field: "by",
      message: "is shorter than the PT1H (LEASE_MIN) an extension adds at the least",
    });
    expect(refusalOf(() => ask(running(), HOUR))).toBeUndefined();
  });

  it("is refused for a lease not running or with no end", () => {
    expect(refusalOf(() => ask(joined(approvedHalf)))?.message).toContain("is not provisioned yet");
    const endless = joined({ request, terms: { ...TERMS, duration: null, max: null } }, provisionedHalf);
    expect(refusalOf(() => ask(endless))?.message).toContain("has no end to extend");
  });
});

describe("an extension decided", () => {
  const asked = () => {
    const lease = running();
    return applied(
      lease,
      extensionTransition(lease, {
        byMs: 3 * DAY,
        justification: "Release week",
        caller: ANA,
        min: "PT1H",
        max: "P90D",
        now: NOW,
      }),
      NOW,
    );
  };
  const decision = (approved: boolean, n = 1): DetailOf<typeof ExtensionDecided> => ({
    requestId: "req-1",
    request,
    extension: {
      n,
      from: "2026-12-14T12:00:00.000Z",
      until: "2026-12-17T12:00:00.000Z",
      justification: "Release week",
    },
    approved,
    ...(approved ? { decider: "policy:default" } : { reason: "not this week" }),
    decidedAt: NOW.toISOString(),
  });

  it("approved, moves the end, forgets the reminders sent, moves the timers and owes LeaseExtended", () => {
    const lease = { ...asked(), remindersSent: [1], outbox: {} };
    const transition = extensionDecidedTransition(lease, decision(true), REMINDERS, NOW);
    const extended = applied(lease, transition ?? { set: {}, owed: [] }, NOW);

    expect(extended).toMatchObject({ endsAt: "2026-12-17T12:00:00.000Z", remindersSent: [] });
    expect(extended.pendingExtension).toBeUndefined();
    expect(detailTypesOf(extended)).toEqual([
      "schedule req-1.lease-reminder-1",
      "schedule req-1.lease-reminder-2",
      "schedule req-1.lease-reminder-3",
      "schedule req-1.lease-end",
      "LeaseExtended",
    ]);
    expect(Object.values(extended.outbox ?? {}).at(-1)).toMatchObject({
      detail: {
        previousEndsAt: "2026-12-14T12:00:00.000Z",
        endsAt: "2026-12-17T12:00:00.000Z",
        decider: "policy:default",
        extension: { n: 1 },
      },
    });
    expect(extensionDecidedTransition(extended, decision(true), REMINDERS, NOW)).toBeUndefined();
  });

  it("refused, clears the extension waiting and keeps the end", () => {
    const lease = { ...asked(), outbox: {} };
    const refused = applied(
      lease,
      extensionDecidedTransition(lease, decision(false), REMINDERS, NOW) ?? { set: {}, owed: [] },
      NOW,
    );

    expect(refused.endsAt).toBe("2026-12-14T12:00:00.000Z");
    expect(refused.pendingExtension).toBeUndefined();
    expect(detailTypesOf(refused)).toEqual([]);
  });

  it("changes nothing when it is not the extension waiting", () => {
    expect(extensionDecidedTransition(asked(), decision(true, 2), REMINDERS, NOW)).toBeUndefined();
  });

  it("approved after the end released the lease, extends nothing and stays refused as too late, once", () => {
    const lease = asked();
    const ended = applied(
      lease,
      timerTransition(lease, { requestId: "req-1", kind: "end", endsAt: lease.endsAt ?? "", dueAt: "" }, NOW),
      NOW,
    );
    const late = applied(
      ended,
      extensionDecidedTransition(ended, decision(true), REMINDERS, NOW) ?? { set: {}, owed: [] },
      NOW,
    );

    expect(late).toMatchObject({
      status: "RELEASING",
      endsAt: "2026-12-14T12:00:00.000Z",
      extensionTooLate: {
        n: 1,
        until: "2026-12-17T12:00:00.000Z",
        reason: "the lease ended before the extension was approved",
        decidedAt: NOW.toISOString(),
      },
    });
    expect(late.outbox).toEqual(ended.outbox);
    expect(extensionDecidedTransition(late, decision(true), REMINDERS, NOW)).toBeUndefined();
    expect(extensionDecidedTransition(ended, decision(false), REMINDERS, NOW)).toBeUndefined();
  });
});

describe("a release now", () => {
  const release = (record: LeaseRecord, role: "requester" | "operator") =>
    releaseNowTransition(record, {
      caller: role === "requester" ? ANA : OPERATOR,
      role,
      note: "done early",
      offsetsMs: REMINDERS,
      now: NOW,
    });

  it("by the requester or an operator, releases as the terms say and takes the lease's timers back", () => {
    const byRequester = release(running(), "requester");
    const byOperator = release(running(), "operator");

    expect(byRequester.set.status).toBe("RELEASING");
    expect(byRequester.owed).toEqual([
      {
        detailType: "ReleaseRequested",
        detail: {
          requestId: "req-1",
          request,
          resource,
          action: "terminate",
          reason: "released-by-requester",
          by: { email: ANA.email, subject: ANA.subject },
          note: "done early",
          requestedAt: NOW.toISOString(),
        },
      },
      {
        cancel: [
          "req-1.lease-reminder-1",
          "req-1.lease-reminder-2",
          "req-1.lease-reminder-3",
          "req-1.lease-end",
        ],
      },
    ]);
    expect(byOperator.release.reason).toBe("released-by-operator");
  });

  it("is refused, naming the state, unless the lease runs", () => {
    const releasing = applied(running(), release(running(), "requester"), NOW);

    expect(refusalOf(() => release(releasing, "operator"))?.message).toContain("it is being released");
    expect(refusalOf(() => release(joined(provisionedHalf), "operator"))?.message).toContain(
      "not provisioned yet",
    );
  });
});

describe("a release's outcome", () => {
  const releasing = () => {
    const lease = running();
    return applied(
      lease,
      timerTransition(
        lease,
        { requestId: "req-1", kind: "end", endsAt: lease.endsAt ?? "", dueAt: NOW.toISOString() },
        NOW,
      ),
      NOW,
    );
  };
  const base = {
    requestId: "req-1",
    request,
    resource,
    action: "terminate" as const,
    reason: "lease-ended" as const,
    /** The release the lease asked for: its end, at NOW. */
    releaseRequestedAt: NOW.toISOString(),
  };

  it("confirmed, makes the lease RELEASED, once", () => {
    const lease = releasing();
    const report = {
      released: true as const,
      ...base,
      outcome: "terminated" as const,
      releasedAt: NOW.toISOString(),
    };
    const released = applied(
      lease,
      releaseOutcomeTransition(lease, report, REMINDERS) ?? { set: {}, owed: [] },
      NOW,
    );

    expect(released).toMatchObject({
      status: "RELEASED",
      outcome: { released: true, outcome: "terminated", releasedAt: NOW.toISOString() },
    });
    expect(releaseOutcomeTransition(released, report, REMINDERS)).toBeUndefined();
  });

  it("failed or kept, makes the lease RELEASE_FAILED with the problem", () => {
    const lease = releasing();
    const transition = releaseOutcomeTransition(
      lease,
      {
        released: false,
        ...base,
        problem: "the bucket is not empty",
        kept: true,
        attempts: 1,
        failedAt: NOW.toISOString(),
      },
      REMINDERS,
    );

    expect(transition?.set).toMatchObject({
      status: "RELEASE_FAILED",
      outcome: { released: false, problem: "the bucket is not empty", kept: true },
    });
    expect(transition?.owed).toEqual([]);
  });

  it("changes nothing for a report of the release before the one now asked again (a late delivery)", () => {
    const lease = releasing();
    const failure = {
      released: false as const,
      ...base,
      problem: "kept",
      kept: true,
      attempts: 1,
      failedAt: NOW.toISOString(),
    };
    const earlier = new Date(NOW.getTime() - 60_000).toISOString();

    expect(
      releaseOutcomeTransition(lease, { ...failure, releaseRequestedAt: earlier }, REMINDERS),
    ).toBeUndefined();
    expect(
      releaseOutcomeTransition(
        lease,
        { ...failure, releaseRequestedAt: lease.release?.requestedAt },
        REMINDERS,
      ),
    ).toBeDefined();
  });

  const endedOutside = {
    released: true as const,
    ...base,
    releaseRequestedAt: undefined,
    reason: "ended-outside" as const,
    outcome: "terminated" as const,
    releasedAt: "2026-12-08T09:00:00.000Z",
  };

  it("of a resource ended outside this tool, releases a running lease with that reason and takes its timers back", () => {
    const lease: LeaseRecord = {
      ...running(),
      pendingExtension: {
        n: 1,
        from: "2026-12-14T12:00:00.000Z",
        until: "2026-12-17T12:00:00.000Z",
        justification: "Release week",
        askedBy: { email: ANA.email },
        askedAt: NOW.toISOString(),
      },
      outbox: {},
    };
    const released = applied(
      lease,
      releaseOutcomeTransition(lease, endedOutside, REMINDERS) ?? { set: {}, owed: [] },
      NOW,
    );

    expect(released).toMatchObject({
      status: "RELEASED",
      release: { reason: "ended-outside", action: "terminate", requestedAt: "2026-12-08T09:00:00.000Z" },
      outcome: { released: true, outcome: "terminated", releasedAt: "2026-12-08T09:00:00.000Z" },
    });
    expect(released.pendingExtension).toBeUndefined();
    expect(detailTypesOf(released)).toEqual(["cancel"]);
  });

  it("of a resource ended outside this tool, releases a lease being released, whose own release it overtook", () => {
    const released = releaseOutcomeTransition(releasing(), endedOutside, REMINDERS);

    expect(released?.set).toMatchObject({
      status: "RELEASED",
      release: { reason: "ended-outside" },
    });
    expect(released?.owed).toEqual([]);
  });

  it("naming no release, changes nothing unless it says the resource is gone from a lease running or being released", () => {
    const lease = releasing();
    const failed = applied(
      lease,
      releaseOutcomeTransition(
        lease,
        {
          released: false,
          ...base,
          problem: "still running",
          kept: false,
          attempts: 3,
          failedAt: NOW.toISOString(),
        },
        REMINDERS,
      ) ?? { set: {}, owed: [] },
      NOW,
    );
    const { releaseRequestedAt: _, ...unnamed } = base;

    expect(
      releaseOutcomeTransition(
        lease,
        {
          released: false,
          ...unnamed,
          problem: "gone?",
          kept: false,
          attempts: 1,
          failedAt: NOW.toISOString(),
        },
        REMINDERS,
      ),
    ).toBeUndefined();
    expect(releaseOutcomeTransition(failed, endedOutside, REMINDERS)).toBeUndefined();
    expect(releaseOutcomeTransition(joined(approvedHalf), endedOutside, REMINDERS)).toBeUndefined();
  });
});
