import { StartInstancesCommand } from "@aws-sdk/client-ec2";
import { DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, RDSClient } from "@aws-sdk/client-rds";
import { GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalRequested } from "../../events/approval-requested.ts";
import {
  ExtensionDecided,
  LeaseExpiring,
  LeaseExtended,
  ReleaseFailed,
  ReleaseRequested,
  ResourceReleased,
} from "../../events/lease-events.ts";
import { existingServicesPrincipal, OUTSIDE_PRINCIPAL } from "../../infra/local/edge/principals.ts";
import { sampleDatabaseRequest } from "../support/fixtures.ts";
import {
  ANA,
  decide,
  decisionLinks,
  emailsTo,
  getRequest,
  localUsersEnv,
  OPERATOR_EMAIL,
  type RequestView,
  signedInCaller,
  submit,
  validRequest,
  waitForEmails,
  waitForStatus,
} from "../support/flow.ts";
import { submitAndApprove, timesLogged } from "../support/launches.ts";
import {
  DEFAULT_LEASE_MS,
  describeInstance,
  detailsOn,
  expiresAtTagOf,
  instant,
  LEASES_POLICY,
  LEASES_POLICY_FILE,
  leaseLinksIn,
  leaseStartedOf,
  RELEASE_ACTED,
  RELEASE_WITHIN_MS,
  SECOND_SCALE_LEASES,
  STOPPED_AT_END_PREFIX,
  waitForEvents,
  waitForInstanceState,
} from "../support/leases.ts";
import { type MailboxEmail, type StackUnderTest, startStack } from "../support/stack.ts";

/**
 * Leases on the whole local stack, in seconds (SECOND_SCALE_LEASES): every provisioned resource ends,
 * its requester is reminded before, may ask for more time (through the policy of
 * test/fixtures/policies/leases.json, which extends within 1 minute, asks the approver up to 2 and
 * refuses beyond) or release it early, and at the end its launcher releases it and its reaper makes sure.
 */

const APPROVER = "approver@example.com";
/** Another requester, who must not touch Ana's resources. */
const RILEY = "requester@example.com";

/** PGlite's first start in a fresh data directory takes tens of seconds on a slow machine. */
const POSTGRES_READY_MS = 120_000;

/** The sample instance, its address left to EC2: several run at once here. */
const { privateIp: _address, ...EC2_RESOURCE } = validRequest().resource as Record<string, unknown>;

/** The request's view's lease end, as the portal shows it. */
const leaseEndOnView = (view: RequestView | undefined) =>
  instant((view?.lease as { endsAt?: string | null } | undefined)?.endsAt);

/**
 * Waits until the request's view shows the lease ending at `endMs`: the audit trail projects the view
 * after it appends the event, so the timeline may hold the event a moment before the view shows it.
 */
const waitForLeaseEndOnView = (stack: StackUnderTest, requestId: string, endMs: number) =>
  stack.eventually(
    () => getRequest(stack, requestId),
    (view) => leaseEndOnView(view) === endMs,
  );

describe("leases on the local stack", () => {
  let stack: StackUnderTest;
  let ana: Awaited<ReturnType<typeof signedInCaller>>;
  let riley: Awaited<ReturnType<typeof signedInCaller>>;
  let operator: Awaited<ReturnType<typeof signedInCaller>>;

  beforeAll(async () => {
    stack = await startStack({
      env: {
        ...SECOND_SCALE_LEASES,
        APPROVAL_POLICIES: LEASES_POLICY_FILE,
        RDS_CREATE_DELAY_MS: "50",
        // The launchers' INFO logs tell each time one acts on a release.
        POWERTOOLS_LOG_LEVEL: "INFO",
        ...localUsersEnv(),
      },
    });
    [ana, riley, operator] = await Promise.all([
      signedInCaller(stack, ANA.email),
      signedInCaller(stack, RILEY),
      signedInCaller(stack, OPERATOR_EMAIL),
    ]);
  });
  afterAll(() => stack?.destroy());

  /** Submits an instance request as Ana, approves it, and resolves once its lease runs. */
  const provisionLeased = async (overrides: Record<string, unknown> = {}) => {
    const requestId = await submitAndApprove(stack, EC2_RESOURCE, overrides);
    const started = await leaseStartedOf(stack, requestId);
    expect(started.resource.type).toBe("ec2");
    const instanceId = started.resource.type === "ec2" ? started.resource.instanceId : "";
    return { requestId, started, instanceId };
  };

  const askToExtend = (requestId: string, by: string, justification: string) =>
    ana.post(`/api/requests/${requestId}/extend`, { by, justification });

  it("reminds the requester before the end, then terminates the instance at the end and records it RELEASED once", {
    timeout: DEFAULT_LEASE_MS + RELEASE_WITHIN_MS + 30_000,
  }, async () => {
    const { requestId, started, instanceId } = await provisionLeased();

    expect(started.terms).toEqual({ duration: "PT20S", onEnd: "terminate", max: "PT2M" });
    expect(instant(started.endsAt) - instant(started.startedAt)).toBe(DEFAULT_LEASE_MS);
    await waitForLeaseEndOnView(stack, requestId, instant(started.endsAt));
    const tagged = await stack.eventually(
      () => describeInstance(stack, instanceId),
      (instance) => expiresAtTagOf(instance) !== undefined,
    );
    expect(instant(expiresAtTagOf(tagged))).toBe(instant(started.endsAt));

    const released = await waitForStatus(stack, requestId, "RELEASED", DEFAULT_LEASE_MS + RELEASE_WITHIN_MS);

    expect(detailsOn(released, LeaseExpiring).map(({ n, endsAt }) => ({ n, endsAt }))).toEqual([
      { n: 1, endsAt: started.endsAt },
      { n: 2, endsAt: started.endsAt },
    ]);
    const [release, ...moreReleases] = detailsOn(released, ReleaseRequested);
    expect(moreReleases).toEqual([]);
    expect(release).toMatchObject({ reason: "lease-ended", action: "terminate" });
    expect(instant(release?.requestedAt)).toBeGreaterThanOrEqual(instant(started.endsAt));
    expect(detailsOn(released, ResourceReleased)).toEqual([
      expect.objectContaining({ reason: "lease-ended", action: "terminate", outcome: "terminated" }),
    ]);
    expect(released.lease).toMatchObject({
      endsAt: started.endsAt,
      release: { reason: "lease-ended", action: "terminate", outcome: "terminated" },
    });
    expect((await describeInstance(stack, instanceId)).State?.Name).toBe("terminated");
    expect(timesLogged(stack, "ec2-launcher", RELEASE_ACTED, requestId)).toBe(1);

    const remindersOf = async () =>
      (await emailsTo(stack, ANA.email, requestId)).filter((email) => {
        const links = leaseLinksIn(stack, email, requestId);
        return links.extend !== undefined && links.release !== undefined;
      });
    await stack.eventually(remindersOf, (reminders) => reminders.length >= 2);
    expect(await remindersOf()).toHaveLength(2);
  });

  it("extends within the policy's limit without asking: the end, the reminders and the tag move, and the release waits for the new end", {
    timeout: DEFAULT_LEASE_MS + 15_000 + RELEASE_WITHIN_MS + 30_000,
  }, async () => {
    const { requestId, started, instanceId } = await provisionLeased();
    const newEnd = instant(started.endsAt) + 15_000;

    const asked = await askToExtend(requestId, "PT15S", "The load test runs late");

    expect(asked).toMatchObject({ status: 202, body: { requestId, n: 1, status: "REQUESTED" } });
    expect(instant(String(asked.body.from))).toBe(instant(started.endsAt));
    expect(instant(String(asked.body.until))).toBe(newEnd);
    const extendedView = await waitForEvents(stack, requestId, LeaseExtended);
    expect(detailsOn(extendedView, ExtensionDecided)).toEqual([
      expect.objectContaining({ approved: true, decider: LEASES_POLICY }),
    ]);
    const [extended] = detailsOn(extendedView, LeaseExtended);
    expect(extended).toMatchObject({ previousEndsAt: started.endsAt, decider: LEASES_POLICY });
    expect(instant(extended?.endsAt)).toBe(newEnd);
    await waitForLeaseEndOnView(stack, requestId, newEnd);
    await stack.eventually(
      () => describeInstance(stack, instanceId),
      (instance) => instant(expiresAtTagOf(instance)) === newEnd,
    );

    const released = await waitForStatus(
      stack,
      requestId,
      "RELEASED",
      DEFAULT_LEASE_MS + 15_000 + RELEASE_WITHIN_MS,
    );

    const [release, ...moreReleases] = detailsOn(released, ReleaseRequested);
    expect(moreReleases).toEqual([]);
    expect(release?.reason).toBe("lease-ended");
    expect(instant(release?.requestedAt)).toBeGreaterThanOrEqual(newEnd);
    // The old end's reminders were moved, not sent as well.
    expect(detailsOn(released, LeaseExpiring).map(({ endsAt }) => instant(endsAt))).toEqual([newEnd, newEnd]);
    expect(detailsOn(released, ResourceReleased)).toHaveLength(1);
  });

  it("refuses an extension beyond the policy's maximum at once, tells the requester why, and keeps the end", async () => {
    const { requestId, started } = await provisionLeased({ lease: "PT1M" });
    // Past LEASE_MAX (10 minutes here) no policy is asked: the API refuses it, naming `by`.
    const pastDeployment = await askToExtend(requestId, "PT20M", "All week");
    expect(pastDeployment).toMatchObject({ status: 400, body: { fieldErrors: [{ field: "by" }] } });

    const asked = await askToExtend(requestId, "PT5M", "A whole afternoon more");

    expect(asked.status).toBe(202);
    const decidedView = await waitForEvents(stack, requestId, ExtensionDecided);
    const [decided] = detailsOn(decidedView, ExtensionDecided);
    expect(decided).toMatchObject({ approved: false, decider: LEASES_POLICY });
    expect(decided?.reason).toContain("PT2M");
    expect(detailsOn(decidedView, LeaseExtended)).toEqual([]);
    expect(leaseEndOnView(decidedView)).toBe(instant(started.endsAt));
    await waitForEmails(stack, ANA.email, String(decided?.reason));
  });

  describe("an extension beyond the policy's own limit, asked of the approver in a round of its own", () => {
    /** A lease of 40 s extended by 50 s runs 90 s in all: more than the 1 minute extended without asking. */
    const askRound = async (justification: string) => {
      const leased = await provisionLeased({ lease: "PT40S" });
      const asked = await askToExtend(leased.requestId, "PT50S", justification);
      expect(asked.status).toBe(202);
      // One extension at a time: another waits for this one's decision.
      expect((await askToExtend(leased.requestId, "PT10S", justification)).status).toBe(409);
      // The first email asked for the request itself; the second for its extension.
      const [, round] = await waitForEmails(stack, APPROVER, leased.requestId, 2);
      return { ...leased, round: round as MailboxEmail, newEnd: instant(leased.started.endsAt) + 50_000 };
    };

    it("mails the approver what is extended and why, with links: approving moves the end", async () => {
      const { requestId, round, newEnd, instanceId } = await askRound("The migration needs another run");

      expect(round.body.text).toContain("The migration needs another run");
      const approved = await decide(decisionLinks(round).approve);

      expect(approved.status).toBe(200);
      const extendedView = await waitForEvents(stack, requestId, LeaseExtended);
      expect(detailsOn(extendedView, ExtensionDecided)).toEqual([
        expect.objectContaining({ approved: true, decider: APPROVER }),
      ]);
      expect(detailsOn(extendedView, LeaseExtended)).toEqual([
        expect.objectContaining({ decider: APPROVER }),
      ]);
      expect(instant(detailsOn(extendedView, LeaseExtended)[0]?.endsAt)).toBe(newEnd);
      await waitForLeaseEndOnView(stack, requestId, newEnd);
      expect(
        detailsOn(extendedView, ApprovalRequested).filter((asked) => asked.extension?.n === 1),
      ).toHaveLength(1);
      await stack.eventually(
        () => describeInstance(stack, instanceId),
        (instance) => instant(expiresAtTagOf(instance)) === newEnd,
      );
    });

    it("tells the requester the approver's reason when the approver rejects it, and keeps the end", async () => {
      const { requestId, round, started } = await askRound("Just in case");

      const rejected = await decide(decisionLinks(round).reject, { reason: "Not this sprint" });

      expect(rejected.status).toBe(200);
      const decidedView = await waitForEvents(stack, requestId, ExtensionDecided);
      expect(detailsOn(decidedView, ExtensionDecided)).toEqual([
        expect.objectContaining({ approved: false, decider: APPROVER, reason: "Not this sprint" }),
      ]);
      expect(detailsOn(decidedView, LeaseExtended)).toEqual([]);
      expect(leaseEndOnView(decidedView)).toBe(instant(started.endsAt));
      await waitForEmails(stack, ANA.email, "Not this sprint");
    });
  });

  describe("release now", () => {
    it("releases the requester's own resource at once (released-by-requester); another requester gets 404", async () => {
      const { requestId, instanceId } = await provisionLeased({ lease: "PT2M" });

      const byOther = await riley.post(`/api/requests/${requestId}/release`, {});
      const extendByOther = await riley.post(`/api/requests/${requestId}/extend`, {
        by: "PT10S",
        justification: "Not mine to ask",
      });
      expect(byOther.status).toBe(404);
      expect(extendByOther.status).toBe(404);
      expect((await getRequest(stack, requestId))?.status).toBe("PROVISIONED");

      const released = await ana.post(`/api/requests/${requestId}/release`, { reason: "Finished early" });

      expect(released).toEqual({
        status: 202,
        body: { requestId, status: "RELEASING", action: "terminate", reason: "released-by-requester" },
      });
      const view = await waitForStatus(stack, requestId, "RELEASED", RELEASE_WITHIN_MS);
      expect(detailsOn(view, ReleaseRequested)).toEqual([
        expect.objectContaining({ reason: "released-by-requester", note: "Finished early" }),
      ]);
      expect(detailsOn(view, ReleaseRequested)[0]?.by?.email).toBe(ANA.email);
      expect(detailsOn(view, ResourceReleased)).toEqual([
        expect.objectContaining({ reason: "released-by-requester", outcome: "terminated" }),
      ]);
      expect((await describeInstance(stack, instanceId)).State?.Name).toBe("terminated");
      const again = await ana.post(`/api/requests/${requestId}/release`, {});
      expect(again.status).toBe(409);
    });

    it("releases anyone's resource for an operator (released-by-operator), who may not extend it (404)", async () => {
      const { requestId, instanceId } = await provisionLeased({ lease: "PT2M" });

      const extendByOperator = await operator.post(`/api/requests/${requestId}/extend`, {
        by: "PT1M",
        justification: "Only the requester asks",
      });
      const released = await operator.post(`/api/requests/${requestId}/release`, {});

      expect(extendByOperator.status).toBe(404);

      expect(released).toMatchObject({ status: 202, body: { reason: "released-by-operator" } });
      const view = await waitForStatus(stack, requestId, "RELEASED", RELEASE_WITHIN_MS);
      expect(detailsOn(view, ResourceReleased)).toEqual([
        expect.objectContaining({ reason: "released-by-operator", outcome: "terminated" }),
      ]);
      expect((await describeInstance(stack, instanceId)).State?.Name).toBe("terminated");
    });
  });

  it("stops again an instance of a stop-at-end lease that someone started after its release", async () => {
    const { requestId, started, instanceId } = await provisionLeased({
      lease: "PT2M",
      justification: `${STOPPED_AT_END_PREFIX} keep the disk for later`,
    });
    expect(started.terms.onEnd).toBe("stop");
    expect((await ana.post(`/api/requests/${requestId}/release`, {})).body).toMatchObject({ action: "stop" });
    const released = await waitForStatus(stack, requestId, "RELEASED", RELEASE_WITHIN_MS);
    expect(detailsOn(released, ResourceReleased)).toEqual([expect.objectContaining({ outcome: "stopped" })]);
    await waitForInstanceState(stack, instanceId, "stopped");

    const restarted = await stack.ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));

    expect(restarted.StartingInstances?.map((change) => change.CurrentState?.Name)).toEqual(["pending"]);
    // Started, it boots and runs, and the launcher, told it runs, stops it again.
    await waitForInstanceState(stack, instanceId, "stopped");
    expect((await getRequest(stack, requestId))?.status).toBe("RELEASED");
  });

  describe("a lease the deployment or the policy does not allow", () => {
    it.each([
      { lease: "none", saying: "does not allow a lease with no end" },
      { lease: "PT3M", saying: "PT3M is longer than the PT2M" },
    ])(
      "rejects a request for lease $lease by its policy, saying why, and asks no approver",
      async ({ lease, saying }) => {
        const submitted = await submit(stack, validRequest({ lease }));
        expect(submitted.status).toBe(202);
        const requestId = String(submitted.body.requestId);

        const rejected = await waitForStatus(stack, requestId, "REJECTED");

        expect(rejected.decision).toMatchObject({ outcome: "REJECTED", approver: LEASES_POLICY });
        expect(rejected.decision?.reason).toMatch(/^lease: /);
        expect(rejected.decision?.reason).toContain(saying);
        expect(await emailsTo(stack, APPROVER, requestId)).toEqual([]);
      },
    );

    it("answers 400 naming `lease` for a lease shorter than LEASE_MIN or longer than LEASE_MAX", async () => {
      for (const lease of ["PT0.5S", "PT11M"]) {
        const submitted = await submit(stack, validRequest({ lease }));

        expect(submitted.status).toBe(400);
        expect(submitted.body.fieldErrors).toEqual([expect.objectContaining({ field: "lease" })]);
      }
    });
  });

  it("deletes a PostgreSQL database at the end of its lease, after a final snapshot", {
    timeout: POSTGRES_READY_MS + DEFAULT_LEASE_MS + RELEASE_WITHIN_MS + 30_000,
  }, async () => {
    const rds = new RDSClient({
      endpoint: stack.edgeUrl,
      region: "us-east-1",
      credentials: await existingServicesPrincipal(stack.dataDir),
    });
    try {
      const requestId = await submitAndApprove(stack, sampleDatabaseRequest().resource);
      const started = await leaseStartedOf(stack, requestId, POSTGRES_READY_MS);
      expect(started.terms.onEnd).toBe("snapshot-and-delete");

      const released = await waitForStatus(
        stack,
        requestId,
        "RELEASED",
        DEFAULT_LEASE_MS + RELEASE_WITHIN_MS,
      );

      const [outcome] = detailsOn(released, ResourceReleased);
      expect(outcome).toMatchObject({
        reason: "lease-ended",
        action: "snapshot-and-delete",
        outcome: "deleted",
      });
      const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({}));
      expect(
        DBInstances.filter((instance) =>
          instance.TagList?.some((tag) => tag.Key === "RequestId" && tag.Value === requestId),
        ),
      ).toEqual([]);
      const snapshotId = String(outcome?.finalSnapshotIdentifier);
      const { DBSnapshots = [] } = await rds.send(
        new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshotId }),
      );
      expect(DBSnapshots.map((snapshot) => snapshot.DBSnapshotIdentifier)).toEqual([snapshotId]);
    } finally {
      rds.destroy();
    }
  });

  describe("buckets", () => {
    let outside: S3Client;
    beforeAll(() => {
      outside = new S3Client({
        endpoint: stack.edgeUrl,
        region: "us-east-1",
        credentials: OUTSIDE_PRINCIPAL,
        forcePathStyle: true,
      });
    });
    afterAll(() => outside?.destroy());

    it("deletes an empty bucket at the end of its lease", {
      timeout: DEFAULT_LEASE_MS + RELEASE_WITHIN_MS + 30_000,
    }, async () => {
      const Bucket = "lease-scratch";
      const requestId = await submitAndApprove(stack, { type: "s3", bucketName: Bucket });

      const released = await waitForStatus(
        stack,
        requestId,
        "RELEASED",
        DEFAULT_LEASE_MS + RELEASE_WITHIN_MS,
      );

      expect(detailsOn(released, ResourceReleased)).toEqual([
        expect.objectContaining({ reason: "lease-ended", action: "delete-if-empty", outcome: "deleted" }),
      ]);
      await expect(outside.send(new HeadBucketCommand({ Bucket }))).rejects.toMatchObject({
        $metadata: { httpStatusCode: 404 },
      });
    });

    it("keeps a bucket with objects in it, RELEASE_FAILED, and tells the requester and the operators", async () => {
      const Bucket = "lease-kept";
      const requestId = await submitAndApprove(stack, { type: "s3", bucketName: Bucket }, { lease: "PT2M" });
      await leaseStartedOf(stack, requestId);
      await outside.send(new PutObjectCommand({ Bucket, Key: "report.csv", Body: "month,total\n1,42\n" }));

      expect((await ana.post(`/api/requests/${requestId}/release`, {})).status).toBe(202);

      const failed = await waitForStatus(stack, requestId, "RELEASE_FAILED", RELEASE_WITHIN_MS);
      expect(detailsOn(failed, ReleaseFailed)).toEqual([
        expect.objectContaining({ kept: true, reason: "released-by-requester", action: "delete-if-empty" }),
      ]);
      expect(detailsOn(failed, ResourceReleased)).toEqual([]);
      const kept = await outside.send(new GetObjectCommand({ Bucket, Key: "report.csv" }));
      expect(await kept.Body?.transformToString()).toBe("month,total\n1,42\n");
      const [problem] = detailsOn(failed, ReleaseFailed);
      for (const address of [ANA.email, OPERATOR_EMAIL]) {
        await waitForEmails(stack, address, String(problem?.problem));
      }
    });
  });
});
